package config_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/muster-bot/muster/config"
)

// assertProblems checks that err is a *config.Error holding exactly the
// wanted problems, in order: same file, line and key, and a message that
// contains the wanted text.
func assertProblems(tb testing.TB, err error, want []config.Problem, msgs []string) {
	tb.Helper()
	var cfgErr *config.Error
	if !errors.As(err, &cfgErr) {
		tb.Fatalf("error = %v, want a *config.Error", err)
	}
	got := cfgErr.Problems
	if len(got) != len(want) {
		tb.Fatalf("got %d problems, want %d:\n%v", len(got), len(want), err)
	}
	for i, p := range got {
		w := want[i]
		if p.File != w.File || p.Line != w.Line || p.Key != w.Key || !strings.Contains(p.Msg, msgs[i]) {
			tb.Errorf("problem %d = %q\nwant        %q with message containing %q", i, p, w, msgs[i])
		}
	}
}

func TestParseReportsProblem(t *testing.T) {
	const sevs = "default_severity: SEV1\nseverities:\n  - name: SEV1\n    update_every: 30m\n  - name: SEV2\n" // lines 1-5
	for _, tc := range []struct {
		name string
		yaml string
		env  map[string]string
		line int
		key  string
		msg  string
	}{
		// Unknown keys.
		{"misspelled key", "log:\n  levle: debug\n", nil, 2, "log.levle", `did you mean "level"?`},
		{"misspelled top-level key", "severites: []\n", nil, 1, "severites", `did you mean "severities"?`},
		{"dashes for underscores", sevs + "    update-every: 1h\n", nil, 6, "severities[1].update-every", `did you mean "update_every"?`},
		{"key in the wrong section", "listen: \":9090\"\n", nil, 1, "listen", "did you mean http.listen or metrics.listen?"},
		{"unknown key lists the valid ones", "http:\n  port: 80\n", nil, 2, "http.port", "valid keys here: listen"},
		{"secret in the file", "slack:\n  api_url: https://slack.com/api/\n  bot_token: xoxb-1\n", nil, 3, "slack.bot_token", "set SLACK_BOT_TOKEN instead"},
		{"key given twice", "http:\n  listen: :1\n  listen: :2\n", nil, 3, "http.listen", "given twice (first at line 2)"},

		// Values that do not decode.
		{"bad duration", sevs + "    update_every: 30 mins\n", nil, 6, "severities[1].update_every",
			`"30 mins" is not a duration (examples: 30m, 1h, 90s)`},
		{"duration without unit", "reminders:\n  tick: 10\n", nil, 2, "reminders.tick", `"10" is not a duration`},
		{"negative duration", "reminders:\n  no_ic_after: -1m\n", nil, 2, "reminders.no_ic_after", "negative"},
		{"bad digest schedule", "digest:\n  schedule: every monday\n", nil, 2, "digest.schedule", `is not a cron schedule such as "0 9 * * 1"`},
		{"unknown digest platform", "digest:\n  platform: irc\n", nil, 2, "digest.platform", "choose one of slack, teams, console"},
		{"negative cadence", sevs + "    update_every: -1h\n", nil, 6, "severities[1].update_every", "negative"},
		{"negative public cadence", sevs + "    public_every: -1h\n", nil, 6, "severities[1].public_every", "negative"},
		{"review window backwards", "postmortem:\n  review_window:\n    from: 48h\n    to: 24h\n", nil, 4, "postmortem.review_window.to", "before from"},
		{"review days", "postmortem:\n  working_hours:\n    start: \"09:00\"\n    end: \"17:00\"\n    days: [mon]\n", nil, 5, "postmortem.working_hours.days", "postmortem.weekends"},
		{"review hours shorter than the meeting", "postmortem:\n  review_length: 2h\n  working_hours:\n    start: \"09:00\"\n    end: \"10:00\"\n", nil, 3, "postmortem.working_hours", "shorter than the review"},
		{"owner reminded too often", "postmortem:\n  remind_every: 5m\n", nil, 2, "postmortem.remind_every", "at most hourly"},
		{"component without a name", "statuspage:\n  components:\n    - description: x\n", nil, 3, "statuspage.components[0].name", "needs a name"},
		{"component named twice", "statuspage:\n  components:\n    - name: API\n    - name: api\n", nil, 4, "statuspage.components[1].name", "already the name of statuspage.components[0]"},
		{"zero tick", "reminders:\n  tick: 0s\n", nil, 2, "reminders.tick", "is 0s; it must be at least 1s"},
		{"sub-second tick", "reminders:\n  tick: 500ms\n", nil, 2, "reminders.tick", "at least 1s"},
		{"not a number", sevs + "    escalate_after: twice\n", nil, 6, "severities[1].escalate_after", `"twice" is not a whole number`},
		{"not a bool", "war_room:\n  date: sometimes\n", nil, 2, "war_room.date", `"sometimes" is not true or false`},
		{"a value for a list", sevs + "    notify: U123\n", nil, 6, "severities[1].notify", `write ["U123"]`},
		{"a list for a section", "http: [\":80\"]\n", nil, 1, "http", "expected keys and values"},
		{"a list for a value", "http:\n  listen: [a]\n", nil, 2, "http.listen", "expected a single value, found a list"},

		// Severities.
		{"empty severities", "severities: []\n", nil, 1, "severities", "the list is empty"},
		{"severities with no entries", "severities:\n", nil, 1, "severities", "the list is empty"},
		{"duplicate severity, other case", sevs + "  - name: sev1\n", nil, 6, "severities[2].name",
			`"sev1" is already the name of severities[0] (line 3)`},
		{"severity without name", sevs + "  - description: what\n", nil, 6, "severities[2].name", "needs a name"},
		{"severity name with a space", "severities:\n  - name: Sev 1\n", nil, 2, "severities[0].name", "must be one word"},
		{"escalate_after below 1", sevs + "    escalate_after: 0\n", nil, 6, "severities[1].escalate_after", "at least 1"},
		{"severity name differing only by a dash", sevs + "  - name: sev-1\n", nil, 6, "severities[2].name",
			`"sev-1" is already the name of severities[0] (line 3)`},
		{"alias is another severity's name", sevs + "    aliases: [p2, SEV1]\n", nil, 6, "severities[1].aliases[1]",
			`"SEV1" is already the name of severities[0] (line 3)`},
		{"alias is another severity's name, spelled otherwise", sevs + "    aliases:\n      - sev_1\n", nil, 7, "severities[1].aliases[0]",
			`"sev_1" is already the name of severities[0] (line 3)`},
		{"alias is another severity's number", sevs + "    aliases: ['1']\n", nil, 6, "severities[1].aliases[0]",
			`"1" is already the number of SEV1, severities[0] (line 3)`},
		{"alias is another severity's alias", "default_severity: SEV1\nseverities:\n  - name: SEV1\n    aliases: [p1, critical]\n  - name: SEV2\n    aliases:\n      - Critical\n", nil, 7,
			"severities[1].aliases[0]", `"Critical" is already an alias of severities[0] (line 4)`},
		{"alias of two words", sevs + "    aliases: [p 2]\n", nil, 6, "severities[1].aliases[0]", "must be one word"},
		{"empty alias", sevs + "    aliases: ['']\n", nil, 6, "severities[1].aliases[0]", "is empty"},
		{"alias private", sevs + "    aliases: [Private]\n", nil, 6, "severities[1].aliases[0]", "makes a declared incident private"},
		{"default severity not configured", "severities:\n  - name: SEV1\n  - name: SEV2\ndefault_severity: SEV9\n", nil, 4, "default_severity",
			`"SEV9" is not a configured severity; choose one of: SEV1, SEV2`},
		{"default SEV3 missing from custom list", "log: {}\nseverities: [{name: SEV1}, {name: SEV2}]\n", nil, 2, "default_severity",
			`is not set, and the default "SEV3" is not among the severities; set it to one of: SEV1, SEV2`},

		// Roles.
		{"empty roles", "roles: []\n", nil, 1, "roles", "the list is empty"},
		{"roles without ic", "roles:\n  - key: comms\n    name: Comms\n", nil, 1, "roles", `no role has key "ic"`},
		{"duplicate role key", "roles:\n  - {key: ic, name: IC}\n  - {key: ops, name: Ops}\n  - {key: ops, name: Ops 2}\n", nil, 4,
			"roles[2].key", `"ops" is already used by roles[1] (line 3)`},
		{"role key with capitals", "roles:\n  - {key: ic, name: IC}\n  - {key: Ops, name: Ops lead, short: O}\n", nil, 3,
			"roles[1].key", "must be lowercase letters"},
		{"role without name", "roles:\n  - key: ic\n", nil, 2, "roles[0].name", `role "ic" needs a name`},
		{"role short clashes with a key", "roles:\n  - {key: ic, name: Commander}\n  - {key: comms, name: Comms, short: IC}\n", nil, 3,
			"roles[1].short", `"IC" is also how roles[0] is called`},

		// Other settings.
		{"listen without port", "http:\n  listen: localhost\n", nil, 2, "http.listen", `"localhost" is not host:port`},
		{"listen port out of range", "http:\n  listen: \"[::1]:99999\"\n", nil, 2, "http.listen", "is not host:port"},
		{"zero read timeout", "http:\n  read_timeout: 0s\n", nil, 2, "http.read_timeout", "is 0s; it must be positive"},
		{"write timeout under Slack's 3s", "http:\n  write_timeout: 1s\n", nil, 2, "http.write_timeout", "at least 3s"},
		{"negative idle timeout", "http:\n  idle_timeout: -1s\n", nil, 2, "http.idle_timeout", "must be positive"},
		{"no pending bodies", "http:\n  max_pending_bodies: 0\n", nil, 2, "http.max_pending_bodies", "at least 1"},
		{"metrics listen without port", "metrics:\n  listen: localhost\n", nil, 2, "metrics.listen", `"localhost" is not host:port`},
		{"metrics on the main listener", "http:\n  listen: \":8080\"\nmetrics:\n  listen: \":8080\"\n", nil, 4, "metrics.listen", "a listener of their own"},
		{"slack team id", "slack:\n  team_id: acme\n", nil, 2, "slack.team_id", `"acme" is not a Slack id: T followed by`},
		{"slack enterprise id of a team", "slack:\n  enterprise_id: T0123\n", nil, 2, "slack.enterprise_id", "E followed by"},
		{"slack app id", "slack:\n  app_id: a01\n", nil, 2, "slack.app_id", "A followed by"},
		{"empty store path", "store:\n  path: \"\"\n", nil, 2, "store.path", "must not be empty"},
		{"unknown store backend", "store:\n  backend: postgres\n", nil, 2, "store.backend", `"postgres" is not one of: bbolt, etcd`},
		{"etcd without endpoints", "store:\n  backend: etcd\n  etcd:\n    endpoints: []\n", nil, 4, "store.etcd.endpoints", "no endpoints are listed"},
		{"etcd endpoint not a URL", "store:\n  backend: etcd\n  etcd:\n    endpoints: [etcd-0:2379]\n", nil, 4, "store.etcd.endpoints[0]", "is not an http(s) URL"},
		{"etcd prefix without slashes", "store:\n  backend: etcd\n  etcd:\n    prefix: muster\n", nil, 4, "store.etcd.prefix", "must start and end with /"},
		{"etcd leader ttl too short", "store:\n  backend: etcd\n  etcd:\n    leader_ttl: 500ms\n", nil, 4, "store.etcd.leader_ttl", "at least 2s"},
		{"etcd password without user", "store:\n  backend: etcd\n", map[string]string{"ETCD_PASSWORD": "pw"}, 1, "store.etcd.username", "ETCD_PASSWORD is set"},
		{"etcd TLS with an http endpoint", "store:\n  backend: etcd\n  etcd:\n    endpoints: [http://etcd-0:2379]\n    tls:\n      ca_file: ca.pem\n", nil, 4, "store.etcd.endpoints[0]", "write https://"},
		{"etcd cert without key", "store:\n  backend: etcd\n  etcd:\n    endpoints: [https://etcd-0:2379]\n    tls:\n      cert_file: c.pem\n", nil, 5, "store.etcd.tls", "cert_file and key_file go together"},
		{"log format", "log:\n  format: text\n", nil, 2, "log.format", `"text" is not one of: json, console`},
		{"log level", "log:\n  level: verbose\n", nil, 2, "log.level", "debug, info, warn, error"},
		{"prefix with capitals", "war_room:\n  prefix: INC\n", nil, 2, "war_room.prefix", "lowercase letters, digits, - and _"},
		{"prefix too long", "war_room:\n  prefix: incident-response-team\n", nil, 2, "war_room.prefix", "20 or fewer"},
		{"empty prefix", "war_room:\n  prefix: ''\n", nil, 2, "war_room.prefix", "must not be empty"},
		{"slack channel prefix", "slack:\n  channel_prefix: sec incident\n", nil, 2, "slack.channel_prefix", "lowercase letters"},
		{"empty responder", "war_room:\n  responders: [U1, '']\n", nil, 2, "war_room.responders[1]", "is empty"},
		{"slack api_url", "slack:\n  api_url: slack.com/api\n", nil, 2, "slack.api_url", "is not an http(s) URL"},
		{"teams graph_url", "teams:\n  graph_url: \"http://[::1\"\n", nil, 2, "teams.graph_url", "is not an http(s) URL"},
		{"teams login_url", "teams:\n  login_url: login\n", nil, 2, "teams.login_url", "is not an http(s) URL"},
		{"teams service_url", "teams:\n  service_url: ftp://x\n", nil, 2, "teams.service_url", "is not an http(s) URL"},

		// The file as a whole.
		{"syntax error", "log:\n  format: json\n level: info\n", nil, 2, "", "YAML syntax: did not find expected key"},
		{"two documents", "log: {}\n---\nhttp: {}\n", nil, 2, "", "one YAML document"},
		{"not a mapping", "- a\n- b\n", nil, 1, "", "expected keys and values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.yaml), "muster.yaml", env(tc.env))
			want := config.Problem{File: "muster.yaml", Line: tc.line, Key: tc.key}
			assertProblems(t, err, []config.Problem{want}, []string{tc.msg})
		})
	}
}

func TestParseReportsEnvironmentProblem(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		env  map[string]string
		key  string
		msg  string
	}{
		{"bad SLACK_API_URL", "", map[string]string{"SLACK_API_URL": "not a url"}, "SLACK_API_URL", "is not an http(s) URL"},
		{"bot token alone", "", map[string]string{"SLACK_BOT_TOKEN": "xoxb-s3cret"}, "SLACK_BOT_TOKEN", "neither SLACK_SIGNING_SECRET"},
		{"signing secret alone", "", map[string]string{"SLACK_SIGNING_SECRET": "s3cret-signing"}, "SLACK_BOT_TOKEN", "is not set"},
		{"app token alone", "", map[string]string{"SLACK_APP_TOKEN": "xapp-s3cret"}, "SLACK_BOT_TOKEN", "is not set"},
		{"teams password alone", "", map[string]string{"TEAMS_APP_PASSWORD": "s3cret-pw"}, "TEAMS_APP_ID", "is not set"},
		{"teams id alone", "", map[string]string{"TEAMS_APP_ID": "s3cret-app-id"}, "TEAMS_APP_PASSWORD", "allow_unauthenticated"},
		{"teams graph without tenant", "teams:\n  team_id: g\n", map[string]string{"TEAMS_APP_ID": "s3cret-app-id", "TEAMS_APP_PASSWORD": "s3cret-pw"},
			"TEAMS_TENANT_ID", "needs the tenant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.yaml), "muster.yaml", env(tc.env))
			assertProblems(t, err, []config.Problem{{File: "environment", Key: tc.key}}, []string{tc.msg})
			for _, secret := range tc.env {
				if strings.Contains(err.Error(), secret) && tc.key != "SLACK_API_URL" {
					t.Errorf("error %q shows the value of a secret", err)
				}
			}
		})
	}
}

// TestParseReportsEveryProblem checks that one run shows all problems, in
// file order, and does not pile a second complaint on a value that failed.
func TestParseReportsEveryProblem(t *testing.T) {
	_, err := config.Load("testdata/many-problems.yaml", env(map[string]string{"SLACK_BOT_TOKEN": "xoxb-secret"}))
	f := "testdata/many-problems.yaml"
	want := []config.Problem{
		{File: f, Line: 3, Key: "log.levle"},
		{File: f, Line: 5, Key: "http.listen"},
		{File: f, Line: 6, Key: "default_severity"},
		{File: f, Line: 10, Key: "severities[0].update_every"},
		{File: f, Line: 11, Key: "severities[1].name"},
		{File: f, Line: 12, Key: "severities[1].escalate_after"},
		{File: f, Line: 14, Key: "roles"},
		{File: f, Line: 15, Key: "roles[0].key"},
		{File: f, Line: 18, Key: "war_room.prefix"},
		{File: "environment", Key: "SLACK_BOT_TOKEN"},
	}
	msgs := []string{
		`did you mean "level"?`,
		"is not host:port",
		`"SEV9" is not a configured severity; choose one of: SEV1, sev1`,
		`"30 mins" is not a duration (examples: 30m, 1h, 90s)`,
		"already the name of severities[0] (line 8)",
		`"abc" is not a whole number`,
		`no role has key "ic"`,
		"must be lowercase letters",
		"20 or fewer",
		"neither SLACK_SIGNING_SECRET",
	}
	assertProblems(t, err, want, msgs)
	text := err.Error()
	if !strings.HasPrefix(text, "10 problems in the config:\n") || strings.Count(text, "\n") != 10 {
		t.Errorf("Error() = %q, want a header and one line per problem", text)
	}
	wantLine := `testdata/many-problems.yaml:10: severities[0].update_every: "30 mins" is not a duration (examples: 30m, 1h, 90s)`
	if !strings.Contains(text, wantLine+"\n") {
		t.Errorf("Error() = %s\nwant it to contain the line\n%s", text, wantLine)
	}
	if strings.Contains(text, "xoxb-secret") {
		t.Errorf("Error() shows a secret: %s", text)
	}
}

func TestProblemString(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    config.Problem
		want string
	}{
		{"full", config.Problem{File: "m.yaml", Line: 3, Key: "http.listen", Msg: "bad"}, "m.yaml:3: http.listen: bad"},
		{"no line", config.Problem{File: "environment", Key: "SLACK_BOT_TOKEN", Msg: "bad"}, "environment: SLACK_BOT_TOKEN: bad"},
		{"no key", config.Problem{File: "m.yaml", Line: 1, Msg: "bad"}, "m.yaml:1: bad"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestParseStopsAliasBombs checks that aliases of aliases, which a few
// hundred bytes can nest into billions of values, are cut short.
func TestParseStopsAliasBombs(t *testing.T) {
	var b strings.Builder
	b.WriteString("x0: &a0 {description: d}\n")
	for i := 1; i < 12; i++ {
		fmt.Fprintf(&b, "x%d: &a%d {<<: [%s]}\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d,", i-1), 10), ","))
	}
	b.WriteString("severities: [{<<: *a11, name: SEV3}]\n")
	_, err := config.Parse([]byte(b.String()), "muster.yaml", nil)
	if err == nil || !strings.Contains(err.Error(), "too many values") {
		t.Errorf("Parse(alias bomb) = %v, want a too-many-values problem", err)
	}
}

// TestSeverityAliases: aliases reach the ladder, trimmed, and find their
// severity; a severity's own name or number among its aliases is no clash.
func TestSeverityAliases(t *testing.T) {
	yaml := "severities:\n  - name: SEV1\n    aliases: [' p1 ', critical, sev-1, '1']\n  - name: SEV2\n    aliases: [P2]\n  - name: SEV3\n" +
		"runbooks:\n  - {title: DB, url: 'https://wiki.example.com/db', severities: [critical, sev3]}\n" +
		"alertmanager:\n  severities:\n    - {label: page, severity: p2}\n"
	cfg, err := config.Parse([]byte(yaml), "muster.yaml", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	// Elsewhere in the file an alias stands for the severity's name.
	if got := strings.Join(cfg.Runbooks[0].Severities, ","); got != "SEV1,SEV3" {
		t.Errorf("runbook severities = %q, want SEV1,SEV3", got)
	}
	if got := cfg.Alertmanager.Severities[0].Severity; got != "SEV2" {
		t.Errorf("alert label page maps to %q, want SEV2", got)
	}
	ladder := cfg.SeverityLadder()
	if got := strings.Join(ladder[0].Aliases, ","); got != "p1,critical,sev-1,1" {
		t.Errorf("SEV1 aliases = %q", got)
	}
	for word, want := range map[string]string{"p1": "SEV1", "CRITICAL": "SEV1", "p-2": "SEV2", "3": "SEV3"} {
		if sev, _, ok := ladder.Find(word); !ok || sev.Name != want {
			t.Errorf("Find(%q) = %q, %v; want %s", word, sev.Name, ok, want)
		}
	}
}
