package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/config"
	"go.yaml.in/yaml/v3"
)

// env turns a map into the getenv that Load and Parse take.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// mustParse parses yaml that must be valid.
func mustParse(tb testing.TB, yaml string, vars map[string]string) *config.Config {
	tb.Helper()
	c, err := config.Parse([]byte(yaml), "muster.yaml", env(vars))
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return c
}

func TestLoadWithoutPathGivesDefaults(t *testing.T) {
	c, err := config.Load("", nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !reflect.DeepEqual(c, config.Default()) {
		t.Errorf("Load(\"\") = %+v\nwant Default() = %+v", c, config.Default())
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"log.format", c.Log.Format, "json"},
		{"log.level", c.Log.Level, "info"},
		{"http.listen", c.HTTP.Listen, ":8080"},
		{"store.path", c.Store.Path, "./data/muster.db"},
		{"default_severity", c.DefaultSeverity, "SEV3"},
		{"reminders.tick", c.Reminders.Tick.Duration, 10 * time.Second},
		{"reminders.no_ic_after", c.Reminders.NoICAfter.Duration, 5 * time.Minute},
		{"war_room.prefix", c.WarRoom.Prefix, "inc"},
		{"war_room.date", c.WarRoom.Date, false},
		{"slack.api_url", c.Slack.APIURL, "https://slack.com/api/"},
		{"teams.graph_url", c.Teams.GraphURL, "https://graph.microsoft.com/v1.0"},
		{"teams.login_url", c.Teams.LoginURL, "https://login.microsoftonline.com"},
		{"teams.allow_unauthenticated", c.Teams.AllowUnauthenticated, false},
		{"severities", c.SeverityLadder(), muster.DefaultSeverities()},
		{"roles", c.RoleList(), muster.DefaultRoles()},
		{"slack enabled", c.SlackEnabled(), false},
		{"teams enabled", c.TeamsEnabled(), false},
	}
	for _, tc := range checks {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s = %#v, want %#v", tc.name, tc.got, tc.want)
		}
	}
}

func TestShippedFilesParse(t *testing.T) {
	for _, tc := range []struct {
		file  string
		check func(*testing.T, *config.Config)
	}{
		{"../config.example.yaml", func(t *testing.T, c *config.Config) {
			// The example spells out the defaults, so it must equal them.
			if !reflect.DeepEqual(c.SeverityLadder(), config.Default().SeverityLadder()) {
				t.Errorf("example severities = %+v, want the defaults", c.SeverityLadder())
			}
			if !reflect.DeepEqual(c, config.Default()) {
				t.Errorf("example = %+v\nwant the defaults %+v", c, config.Default())
			}
		}},
		{"../demo.yaml", func(t *testing.T, c *config.Config) {
			sev1, _, _ := c.SeverityLadder().Find("SEV1")
			if sev1.UpdateEvery != time.Minute || c.Reminders.Tick.Duration != 5*time.Second ||
				c.Reminders.NoICAfter.Duration != 30*time.Second || c.Store.Path != "./data/demo.db" {
				t.Errorf("demo: SEV1 every %v, tick %v, no_ic_after %v, store %q", sev1.UpdateEvery,
					c.Reminders.Tick, c.Reminders.NoICAfter, c.Store.Path)
			}
		}},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			c, err := config.Load(tc.file, nil)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tc.check(t, c)
		})
	}
}

// TestExampleDocumentsEveryKey keeps config.example.yaml complete: every
// key of Config and every environment variable must appear in it.
func TestExampleDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	example := string(data)
	var walk func(reflect.Type, string)
	walk = func(typ reflect.Type, prefix string) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			if e := f.Tag.Get("env"); e != "" && !strings.Contains(example, e) {
				t.Errorf("config.example.yaml does not mention %s (%s%s)", e, prefix, f.Name)
			}
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" || name == "" {
				continue
			}
			if !strings.Contains(example, name+":") {
				t.Errorf("config.example.yaml does not document %s%s", prefix, name)
			}
			ft := f.Type
			if ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[config.Duration]() {
				walk(ft, prefix+name+".")
			}
		}
	}
	walk(reflect.TypeFor[config.Config](), "")
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		yaml  string
		env   map[string]string
		check func(*testing.T, *config.Config)
	}{
		{"empty file gives defaults", "# nothing but a comment\n", nil, func(t *testing.T, c *config.Config) {
			if !reflect.DeepEqual(c, config.Default()) {
				t.Errorf("got %+v", c)
			}
		}},
		{"empty section keeps its defaults", "http:\nlog: {}\n", nil, func(t *testing.T, c *config.Config) {
			if c.HTTP.Listen != ":8080" || c.Log.Format != "json" {
				t.Errorf("http.listen %q, log.format %q", c.HTTP.Listen, c.Log.Format)
			}
		}},
		{"severity defaults per entry", "severities:\n  - name: P1\n    update_every: 15m\n  - name: P2\n  - name: P3\n  - name: P4\n  - name: P5\ndefault_severity: p2\n", nil,
			func(t *testing.T, c *config.Config) {
				// The two most severe page; PagerDuty's severities go
				// down the ladder, info below.
				want := muster.Severities{
					{Name: "P1", UpdateEvery: 15 * time.Minute, WarRoom: true, EscalateAfter: 2, Page: true, PagerDutySeverity: "critical"},
					{Name: "P2", WarRoom: true, EscalateAfter: 2, Page: true, PagerDutySeverity: "error"},
					{Name: "P3", WarRoom: true, EscalateAfter: 2, PagerDutySeverity: "warning"},
					{Name: "P4", WarRoom: true, EscalateAfter: 2, PagerDutySeverity: "info"},
					{Name: "P5", WarRoom: true, EscalateAfter: 2, PagerDutySeverity: "info"},
				}
				if got := c.SeverityLadder(); !reflect.DeepEqual(got, want) {
					t.Errorf("ladder = %+v, want %+v", got, want)
				}
				if c.DefaultSeverity != "P2" {
					t.Errorf("default_severity = %q, want it spelled as configured, P2", c.DefaultSeverity)
				}
			}},
		{"war room off and notify list", "severities:\n  - name: SEV3\n    war_room: false\n    notify: [U1, \"@sre\"]\n    escalate_after: 3\n", nil,
			func(t *testing.T, c *config.Config) {
				s := c.SeverityLadder()[0]
				if s.WarRoom || s.EscalateAfter != 3 || !slices.Equal(s.Notify, []string{"U1", "@sre"}) {
					t.Errorf("got %+v", s)
				}
			}},
		{"roles: IC listed first, short defaults to name", "roles:\n  - key: comms\n    name: Comms lead\n  - key: ic\n    name: Commander\n    short: IC\n", nil,
			func(t *testing.T, c *config.Config) {
				want := muster.Roles{{Key: "ic", Name: "Commander", Short: "IC"}, {Key: "comms", Name: "Comms lead", Short: "Comms lead"}}
				if got := c.RoleList(); !reflect.DeepEqual(got, want) {
					t.Errorf("roles = %+v, want %+v", got, want)
				}
			}},
		{"values normalized", "log: {format: Console, level: DEBUG}\nslack: {api_url: 'http://127.0.0.1:3000/api'}\nteams: {graph_url: 'http://127.0.0.1:4000/v1.0/'}\n", nil,
			func(t *testing.T, c *config.Config) {
				if c.Log.Format != "console" || c.Log.Level != "debug" {
					t.Errorf("log = %+v", c.Log)
				}
				if c.Slack.APIURL != "http://127.0.0.1:3000/api/" {
					t.Errorf("slack.api_url = %q, want a trailing slash", c.Slack.APIURL)
				}
				if c.Teams.GraphURL != "http://127.0.0.1:4000/v1.0" {
					t.Errorf("teams.graph_url = %q, want no trailing slash", c.Teams.GraphURL)
				}
			}},
		{"zero durations", "reminders: {no_ic_after: 0}\nseverities: [{name: SEV3, update_every: ''}]\n", nil,
			func(t *testing.T, c *config.Config) {
				if c.Reminders.NoICAfter.Duration != 0 || c.SeverityLadder()[0].UpdateEvery != 0 {
					t.Errorf("no_ic_after %v, update_every %v", c.Reminders.NoICAfter, c.SeverityLadder()[0].UpdateEvery)
				}
			}},
		{"SLACK_API_URL overrides slack.api_url", "slack:\n  api_url: https://slack-gov.com/api/\n",
			map[string]string{"SLACK_API_URL": "http://127.0.0.1:9999/api/"},
			func(t *testing.T, c *config.Config) {
				if c.Slack.APIURL != "http://127.0.0.1:9999/api/" {
					t.Errorf("slack.api_url = %q", c.Slack.APIURL)
				}
			}},
		{"secrets from the environment", "", map[string]string{
			"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "sig\n", "SLACK_APP_TOKEN": "xapp-1",
			"TEAMS_APP_ID": "app", "TEAMS_APP_PASSWORD": "pw", "TEAMS_TENANT_ID": "tenant",
		}, func(t *testing.T, c *config.Config) {
			got := []string{c.Slack.BotToken, c.Slack.SigningSecret, c.Slack.AppToken, c.Teams.AppID, c.Teams.AppPassword, c.Teams.TenantID}
			want := []string{"xoxb-1", "sig", "xapp-1", "app", "pw", "tenant"}
			if !slices.Equal(got, want) {
				t.Errorf("secrets = %q, want %q (trimmed)", got, want)
			}
			if !c.SlackEnabled() || !c.SlackSocketMode() || !c.TeamsEnabled() {
				t.Errorf("slack %v socket %v teams %v, want all enabled", c.SlackEnabled(), c.SlackSocketMode(), c.TeamsEnabled())
			}
		}},
		{"Slack over HTTP", "", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "sig"},
			func(t *testing.T, c *config.Config) {
				if !c.SlackEnabled() || c.SlackSocketMode() {
					t.Errorf("slack %v socket %v, want HTTP mode", c.SlackEnabled(), c.SlackSocketMode())
				}
			}},
		{"Teams emulator without a password", "teams: {allow_unauthenticated: true}\n", map[string]string{"TEAMS_APP_ID": "app"},
			func(t *testing.T, c *config.Config) {
				if !c.TeamsEnabled() {
					t.Error("Teams not enabled")
				}
			}},
		{"slack channel prefix overrides war room prefix", "war_room: {prefix: inc}\nslack: {channel_prefix: sec}\n", nil,
			func(t *testing.T, c *config.Config) {
				if c.SlackChannelPrefix() != "sec" || c.WarRoom.Prefix != "inc" {
					t.Errorf("slack prefix %q, war room prefix %q", c.SlackChannelPrefix(), c.WarRoom.Prefix)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, mustParse(t, tc.yaml, tc.env))
		})
	}
}

func TestParseAnchorsAndMergeKeys(t *testing.T) {
	c := mustParse(t, `
severities:
  - &base
    name: SEV1
    update_every: 30m
    notify: &pager ["S0PAGER"]
    escalate_after: 3
  - <<: *base
    name: SEV2
    update_every: 1h
default_severity: SEV2
war_room:
  responders: *pager
`[1:], nil)
	want := muster.Severities{
		{Name: "SEV1", UpdateEvery: 30 * time.Minute, Notify: []string{"S0PAGER"}, WarRoom: true, EscalateAfter: 3, Page: true, PagerDutySeverity: "critical"},
		{Name: "SEV2", UpdateEvery: time.Hour, Notify: []string{"S0PAGER"}, WarRoom: true, EscalateAfter: 3, Page: true, PagerDutySeverity: "error"},
	}
	if got := c.SeverityLadder(); !reflect.DeepEqual(got, want) {
		t.Errorf("ladder = %+v\nwant %+v", got, want)
	}
	if !slices.Equal(c.WarRoom.Responders, []string{"S0PAGER"}) {
		t.Errorf("responders = %q", c.WarRoom.Responders)
	}
}

func TestLoadReportsUnreadableFile(t *testing.T) {
	_, err := config.Load(filepath.Join(t.TempDir(), "missing.yaml"), nil)
	var cfgErr *config.Error
	if err == nil || errors.As(err, &cfgErr) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want a wrapped not-exist error", err)
	}
}

func TestLoadChecksTemplatesDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "templates:\n  dir: "+dir+"\n")
	if _, err := config.Load(good, nil); err != nil {
		t.Errorf("Load with an existing dir: %v", err)
	}
	bad := write("bad.yaml", "log:\n  level: info\ntemplates:\n  dir: "+filepath.Join(dir, "nope")+"\n")
	_, err := config.Load(bad, nil)
	want := config.Problem{File: bad, Line: 4, Key: "templates.dir"}
	assertProblems(t, err, []config.Problem{want}, []string{"is not a directory"})
}

// TestMarshalRoundTrip checks that a config written back as YAML (to show
// the effective config) reads back the same, and never holds a secret.
func TestMarshalRoundTrip(t *testing.T) {
	c := mustParse(t, "severities: [{name: SEV1, update_every: 90m, notify: [U1]}, {name: SEV2, war_room: false}]\ndefault_severity: SEV2\nalertmanager: {platform: slack, room: C1}\n", secrets)
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	noSecrets(t, nil, string(out))
	back := mustParse(t, string(out), secrets)
	if !reflect.DeepEqual(back, c) {
		t.Errorf("round trip changed the config:\n%s\ngot  %+v\nwant %+v", out, back, c)
	}
}

func TestRunbooks(t *testing.T) {
	good := "runbooks:\n  - title: Checkout runbook\n    url: https://wiki.example.com/checkout\n    severities: [sev1, SEV2]\n    keywords: [checkout]\n"
	cfg, err := config.Parse([]byte(good), "m.yaml", nil)
	if err != nil {
		t.Fatalf("good runbooks: %v", err)
	}
	if rb := cfg.RunbookList(); len(rb) != 1 || !rb[0].Matches("SEV1", "Checkout down") || rb[0].Matches("SEV3", "Checkout down") || rb[0].Matches("SEV1", "Search down") {
		t.Errorf("runbooks = %+v", rb)
	}
	bad := "runbooks:\n  - title: \"\"\n    url: wiki/checkout\n    severities: [sev9]\n"
	_, err = config.Parse([]byte(bad), "m.yaml", nil)
	for _, want := range []string{"runbooks[0].title", "runbooks[0].url", `runbooks[0].severities[0]: "sev9" is not a configured severity`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad runbooks: %v, want %q", err, want)
		}
	}
}

func TestWorkingHours(t *testing.T) {
	good := "severities:\n  - name: SEV3\n    update_every: 4h\n    working_hours:\n      start: \"09:00\"\n      end: \"18:00\"\n      days: [mon, Fri]\n      timezone: Europe/Berlin\n"
	cfg, err := config.Parse([]byte(good), "m.yaml", nil)
	if err != nil {
		t.Fatalf("good working hours: %v", err)
	}
	h := cfg.SeverityLadder()[0].Hours
	if h == nil || h.Start != 9*time.Hour || h.End != 18*time.Hour || !h.Days[time.Monday] || !h.Days[time.Friday] || h.Days[time.Sunday] || h.Location.String() != "Europe/Berlin" {
		t.Fatalf("hours = %+v", h)
	}
	bad := "severities:\n  - name: SEV3\n    working_hours:\n      start: \"9am\"\n      end: \"08:00\"\n      days: [someday]\n      timezone: Mars/Olympus\n"
	_, err = config.Parse([]byte(bad), "m.yaml", nil)
	for _, want := range []string{"working_hours.start", "working_hours.days[0]", "working_hours.timezone"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad working hours: %v, want %q", err, want)
		}
	}
}

func TestTimezone(t *testing.T) {
	cfg, err := config.Parse([]byte("timezone: Europe/Berlin\n"), "m.yaml", nil)
	if err != nil {
		t.Fatalf("good timezone: %v", err)
	}
	if got := cfg.Location().String(); got != "Europe/Berlin" {
		t.Errorf("location %s; want Europe/Berlin", got)
	}
	cfg, err = config.Parse(nil, "m.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Location(); got != time.UTC {
		t.Errorf("default location %s; want UTC", got)
	}
	_, err = config.Parse([]byte("timezone: Mars/Olympus\n"), "m.yaml", nil)
	if err == nil || !strings.Contains(err.Error(), "m.yaml:1") || !strings.Contains(err.Error(), `"Mars/Olympus" is not a time zone`) {
		t.Errorf("bad timezone: %v; want it reported with its line", err)
	}
}

func TestDigestDefaults(t *testing.T) {
	cfg, err := config.Parse([]byte("digest:\n  channel: C1\n"), "m.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Digest.Schedule != config.DefaultDigestSchedule || cfg.Digest.Channel != "C1" {
		t.Errorf("digest = %+v", cfg.Digest)
	}
	for _, tc := range []struct {
		platform string
		running  []string
		want     string
	}{{"", []string{"teams"}, "teams"}, {"", []string{"slack", "teams"}, "slack"}, {"teams", []string{"slack", "teams"}, "teams"}} {
		cfg.Digest.Platform = tc.platform
		if got := cfg.DigestPlatform(tc.running); got != tc.want {
			t.Errorf("DigestPlatform(%v) with %q = %q, want %q", tc.running, tc.platform, got, tc.want)
		}
	}
}
