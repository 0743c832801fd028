package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/redact"
)

var (
	severityNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
	roleKeyRE      = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
	prefixRE       = regexp.MustCompile(`^[a-z0-9_-]+$`)
	slackIDRE      = regexp.MustCompile(`^[A-Z][A-Z0-9]{2,}$`)
)

// maxPrefix keeps room in an 80-character channel name for the number (or
// date) and the title's slug.
const maxPrefix = 20

// validate checks c after decoding and the environment, recording problems
// in r, and normalizes what it accepts (lowercase log settings, canonical
// default severity name, role shorts, URL slashes).
func validate(c *Config, r *report) {
	oneOf(r, "log.format", &c.Log.Format, "json", "console")
	oneOf(r, "log.level", &c.Log.Level, "debug", "info", "warn", "error")
	validateHTTP(c, r)
	validateWeb(c, r)
	validateStore(c, r)
	if c.Timezone != "" {
		if _, err := time.LoadLocation(c.Timezone); err != nil {
			r.addf("timezone", "%q is not a time zone; use an IANA name such as UTC, Europe/Berlin or America/New_York", c.Timezone)
		}
	}
	if c.Reminders.Tick.Duration < time.Second {
		r.addf("reminders.tick", "is %s; it must be at least 1s, the scheduler's resolution (default 10s)", c.Reminders.Tick)
	}
	nonNegative(r, "reminders.no_ic_after", c.Reminders.NoICAfter, "0 disables the nag")
	if c.Reminders.Actions != "" {
		if _, err := cron.ParseStandard(c.Reminders.Actions); err != nil {
			r.addf("reminders.actions", "%q is not a cron schedule such as \"0 9 * * 1-5\" (weekdays at 09:00): %v", c.Reminders.Actions, err)
		}
	}
	validateDigest(c, r)
	validateSeverities(c, r)
	validateRoles(c, r)
	checkPrefix(r, "war_room.prefix", c.WarRoom.Prefix)
	nonEmpty(r, "war_room.responders", c.WarRoom.Responders)
	validateRunbooks(c, r)
	validateComponents(c, r)
	validateTrackers(c, r)
	validateServices(c, r)
	validateProviders(c, r)
	validatePlatforms(c, r)
	validateAlertmanager(c, r)
	validatePostmortem(c, r)
	for i, u := range c.Webhooks.URLs {
		checkURL(r, fmt.Sprintf("webhooks.urls[%d]", i), u, "https://status.example.com/hooks/muster")
	}
	if len(c.Webhooks.URLs) > 0 && c.Webhooks.Secret == "" {
		r.addf("webhooks.urls", "webhooks are configured but WEBHOOK_SECRET is not set; receivers need it to check the signature")
	}
}

func validateHTTP(c *Config, r *report) {
	h := c.HTTP
	if err := checkListen(h.Listen); err != nil {
		r.addf("http.listen", "%v", err)
	}
	positive(r, "http.read_timeout", h.ReadTimeout, "default 5s")
	// Slack gives up on an acknowledgement after three seconds: a shorter
	// bound would cut off answers Slack still waits for.
	if h.WriteTimeout.Duration < 3*time.Second {
		r.addf("http.write_timeout", "is %s; it must be at least 3s, the time Slack waits for an answer (default 10s)", h.WriteTimeout)
	}
	positive(r, "http.idle_timeout", h.IdleTimeout, "default 60s")
	if h.MaxPendingBodies < 1 {
		r.addf("http.max_pending_bodies", "is %d; it must be at least 1 (default 32)", h.MaxPendingBodies)
	}
	if m := c.Metrics.Listen; m != "" {
		if err := checkListen(m); err != nil {
			r.addf("metrics.listen", "%v", err)
		} else if m == h.Listen {
			r.addf("metrics.listen", "%q is http.listen too; give metrics a listener of their own (e.g. 127.0.0.1:9090), or leave it empty to serve /metrics on http.listen", m)
		}
	}
}

func positive(r *report, path string, d Duration, hint string) {
	if d.Duration <= 0 {
		r.addf(path, "is %s; it must be positive (%s)", d, hint)
	}
}

func validateStore(c *Config, r *report) {
	oneOf(r, "store.backend", &c.Store.Backend, "bbolt", "etcd")
	if c.Store.Backend != "etcd" {
		if strings.TrimSpace(c.Store.Path) == "" {
			r.addf("store.path", "must not be empty (default ./data/muster.db)")
		}
		return
	}
	e := &c.Store.Etcd
	if len(e.Endpoints) == 0 {
		r.addf("store.etcd.endpoints", "store.backend is etcd but no endpoints are listed (example: [http://etcd-0.etcd:2379])")
	}
	for i, u := range e.Endpoints {
		path := fmt.Sprintf("store.etcd.endpoints[%d]", i)
		if checkURL(r, path, u, "http://etcd-0.etcd:2379") && e.TLS.Enabled() && strings.HasPrefix(u, "http://") {
			// etcd's client talks plain text to an http:// endpoint
			// whatever the TLS settings say.
			r.addf(path, "%q would be plain text although store.etcd.tls is set; write https://", u)
		}
	}
	if !strings.HasPrefix(e.Prefix, "/") || !strings.HasSuffix(e.Prefix, "/") || len(e.Prefix) < 2 {
		r.addf("store.etcd.prefix", "%q must start and end with / and name something, e.g. /muster/ (default); replicas sharing a prefix share incidents", e.Prefix)
	}
	if e.DialTimeout.Duration <= 0 {
		r.addf("store.etcd.dial_timeout", "is %s; it must be positive (default 5s)", e.DialTimeout)
	}
	// etcd leases count whole seconds, and a shorter lease than 2s would
	// change leaders on every garbage-collection pause.
	if e.LeaderTTL.Duration < 2*time.Second {
		r.addf("store.etcd.leader_ttl", "is %s; it must be at least 2s (default 10s)", e.LeaderTTL)
	}
	if e.Password != "" && e.Username == "" {
		r.addf("store.etcd.username", "ETCD_PASSWORD is set but no username is given")
	}
	if (e.TLS.CertFile == "") != (e.TLS.KeyFile == "") {
		r.addf("store.etcd.tls", "cert_file and key_file go together: give both for client-certificate auth, or neither")
	}
}

func validateAlertmanager(c *Config, r *report) {
	a := c.Alertmanager
	if len(a.Severities) > 0 {
		ladder := c.SeverityLadder()
		for i, m := range a.Severities {
			if sev, _, ok := ladder.Find(m.Severity); ok {
				c.Alertmanager.Severities[i].Severity = sev.Name // an alias becomes the name
			} else {
				r.addf(fmt.Sprintf("alertmanager.severities[%d].severity", i), "%q is not a configured severity (choose from %s)", m.Severity, ladder.Choices())
			}
		}
	}
	if a.Token == "" && a.AlertToken == "" {
		return
	}
	if a.Platform != "slack" && a.Platform != "teams" {
		r.addf("alertmanager.platform", "%q: say where alert incidents are declared, slack or teams", a.Platform)
	}
	if strings.TrimSpace(a.Room) == "" {
		r.addf("alertmanager.room", "must name the channel alert incidents are declared from")
	}
}

func validateRunbooks(c *Config, r *report) {
	if len(c.Runbooks) > 0 {
		checkRunbooks(r, "runbooks", c.Runbooks, c.SeverityLadder())
	}
}

// checkRunbooks checks a list of runbooks at path (runbooks, or a
// service's), turning their severities' aliases into names.
func checkRunbooks(r *report, path string, runbooks []Runbook, ladder muster.Severities) {
	for i, rb := range runbooks {
		p := fmt.Sprintf("%s[%d]", path, i)
		if strings.TrimSpace(rb.Title) == "" {
			r.addf(p+".title", "must not be empty; it is the link's text")
		}
		checkURL(r, p+".url", rb.URL, "https://wiki.example.com/runbooks/checkout")
		for j, name := range rb.Severities {
			if sev, _, ok := ladder.Find(name); ok {
				rb.Severities[j] = sev.Name // matched against incidents' severity names
			} else {
				r.addf(fmt.Sprintf("%s.severities[%d]", p, j), "%q is not a configured severity (choose from %s)", name, ladder.Choices())
			}
		}
	}
}

func oneOf(r *report, path string, v *string, choices ...string) {
	s := strings.ToLower(strings.TrimSpace(*v))
	for _, c := range choices {
		if s == c {
			*v = s
			return
		}
	}
	r.addf(path, "%q is not one of: %s", *v, strings.Join(choices, ", "))
}

func checkListen(s string) error {
	_, port, err := net.SplitHostPort(s)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q is not host:port (examples: :8080, 127.0.0.1:8080)", s)
	}
	return nil
}

func nonNegative(r *report, path string, d Duration, hint string) {
	if d.Duration < 0 {
		r.addf(path, "%s is negative; %s", d, hint)
	}
}

func nonEmpty(r *report, path string, list []string) {
	for i, s := range list {
		if strings.TrimSpace(s) == "" {
			r.addf(fmt.Sprintf("%s[%d]", path, i), "is empty")
		}
	}
}

func validateSeverities(c *Config, r *report) {
	if len(c.Severities) == 0 {
		if r.given("severities") {
			r.addf("severities", "the list is empty; list at least one severity, or remove the key to use SEV1 to SEV4")
		}
		return
	}
	first := map[string]int{}
	badName := false
	for i := range c.Severities {
		s := &c.Severities[i]
		p := fmt.Sprintf("severities[%d]", i)
		s.Name = strings.TrimSpace(s.Name)
		switch j, dup := first[muster.SeverityKey(s.Name)]; {
		case s.Name == "":
			badName = true
			r.addf(p+".name", "every severity needs a name, such as SEV1")
		case !severityNameRE.MatchString(s.Name):
			badName = true
			r.addf(p+".name", "%q must be one word (letters, digits, - and _) so that people can type it", s.Name)
		case dup:
			r.addf(p+".name", "%q is already the name of severities[%d] (line %d); names are compared ignoring case, - and _",
				s.Name, j, r.line(fmt.Sprintf("severities[%d]", j)))
		default:
			first[muster.SeverityKey(s.Name)] = i
		}
		nonNegative(r, p+".update_every", s.UpdateEvery, "leave it empty for no reminders")
		nonNegative(r, p+".public_every", s.PublicEvery, "leave it empty for no public-page reminders")
		validateHours(r, p+".working_hours", s.WorkingHours)
		if s.EscalateAfter < 1 {
			r.addf(p+".escalate_after", "is %d; it must be at least 1 (default 2)", s.EscalateAfter)
		}
		nonEmpty(r, p+".notify", s.Notify)
		if s.WarRoom == nil {
			yes := true
			s.WarRoom = &yes
		}
		validatePaging(r, p, i, s)
	}
	if badName {
		return // the default may well name the severity whose name is bad
	}
	validateAliases(c, r)
	ladder := c.SeverityLadder()
	if sev, _, ok := ladder.Find(strings.TrimSpace(c.DefaultSeverity)); ok {
		c.DefaultSeverity = sev.Name
		return
	}
	names := strings.Join(ladder.Names(), ", ")
	if r.given("default_severity") {
		r.addf("default_severity", "%q is not a configured severity; choose one of: %s", c.DefaultSeverity, names)
		return
	}
	r.addLinef(r.line("severities"), "default_severity",
		"is not set, and the default %q is not among the severities; set it to one of: %s", c.DefaultSeverity, names)
}

// validateAliases checks severities[].aliases: one word each, and never a
// word that names another severity (its name, its number alone, or one of
// its aliases), compared as muster.Severities.Find compares them, so that
// every word people type names one severity.
func validateAliases(c *Config, r *report) {
	type owner struct {
		sev  int
		what string // "the name of severities[1] (line 7)"
	}
	words := map[string]owner{}
	for i, s := range c.Severities {
		at := fmt.Sprintf("severities[%d] (line %d)", i, r.line(fmt.Sprintf("severities[%d]", i)))
		words[muster.SeverityKey(s.Name)] = owner{i, "the name of " + at}
		if n := muster.SeverityNumber(s.Name); n != "" {
			if o, taken := words[n]; !taken || o.sev == i {
				words[n] = owner{i, "the number of " + s.Name + ", " + at}
			}
		}
	}
	for i := range c.Severities {
		s := &c.Severities[i]
		for j := range s.Aliases {
			p := fmt.Sprintf("severities[%d].aliases[%d]", i, j)
			a := strings.TrimSpace(s.Aliases[j])
			s.Aliases[j] = a
			key := muster.SeverityKey(a)
			o, taken := words[key]
			switch {
			case a == "":
				r.addf(p, "is empty; remove it or write a word such as p1")
			case !severityNameRE.MatchString(a):
				r.addf(p, "%q must be one word (letters, digits, - and _) so that people can type it", a)
			case key == "private":
				r.addf(p, "%q is the word that makes a declared incident private; choose another", a)
			case taken && o.sev != i:
				r.addf(p, "%q is already %s; each word may name one severity (compared ignoring case, - and _)", a, o.what)
			case !taken:
				words[key] = owner{i, fmt.Sprintf("an alias of severities[%d] (line %d)", i, r.line(p))}
			}
		}
	}
}

func validateRoles(c *Config, r *report) {
	if len(c.Roles) == 0 {
		r.addf("roles", "the list is empty; it must hold at least the Incident Commander (key: ic), or remove the key for the default roles")
		return
	}
	owner := map[string]int{} // lowercase key or short → role index
	hasIC := false
	for i := range c.Roles {
		ro := &c.Roles[i]
		p := fmt.Sprintf("roles[%d]", i)
		ro.Key, ro.Name, ro.Short = strings.TrimSpace(ro.Key), strings.TrimSpace(ro.Name), strings.TrimSpace(ro.Short)
		j, dup := owner[ro.Key]
		switch {
		case ro.Key == "":
			r.addf(p+".key", "every role needs a key, such as comms (what people type)")
		case !roleKeyRE.MatchString(ro.Key):
			r.addf(p+".key", "%q must be lowercase letters, digits, - and _, starting with a letter", ro.Key)
		case dup:
			r.addf(p+".key", "%q is already used by roles[%d] (line %d)", ro.Key, j, r.line(fmt.Sprintf("roles[%d]", j)))
		default:
			owner[ro.Key] = i
		}
		hasIC = hasIC || ro.Key == muster.RoleIC
		if ro.Name == "" {
			r.addf(p+".name", "role %q needs a name, such as Communications lead", ro.Key)
		}
		if ro.Short == "" {
			ro.Short = ro.Name
		}
	}
	// People may name a role by its short form too (`role Comms`), so a
	// short must not be another role's key or short.
	for i, ro := range c.Roles {
		short := strings.ToLower(ro.Short)
		if j, taken := owner[short]; taken && j != i && ro.Short != "" {
			r.addf(fmt.Sprintf("roles[%d].short", i), "%q is also how roles[%d] is called; people could not tell them apart", ro.Short, j)
		} else if short != "" && !taken {
			owner[short] = i
		}
	}
	if !hasIC {
		r.addf("roles", "no role has key %q; the Incident Commander is mandatory", muster.RoleIC)
	}
}

func checkPrefix(r *report, path, prefix string) {
	switch {
	case prefix == "":
		r.addf(path, "must not be empty (default inc)")
	case !prefixRE.MatchString(prefix):
		r.addf(path, "%q may hold only lowercase letters, digits, - and _ (Slack's channel-name rules)", prefix)
	case len(prefix) > maxPrefix:
		r.addf(path, "%q is %d characters long; keep it to %d or fewer so that the number and title fit", prefix, len(prefix), maxPrefix)
	}
}

func validatePlatforms(c *Config, r *report) {
	if checkURL(r, "slack.api_url", c.Slack.APIURL, "https://slack.com/api/") && !strings.HasSuffix(c.Slack.APIURL, "/") {
		c.Slack.APIURL += "/" // slack-go appends method names to it
	}
	if c.Slack.ChannelPrefix != "" {
		checkPrefix(r, "slack.channel_prefix", c.Slack.ChannelPrefix)
	}
	for _, id := range []struct {
		path, value, first, example string
	}{
		{"slack.team_id", c.Slack.TeamID, "T", "T0123ABCD"},
		{"slack.enterprise_id", c.Slack.EnterpriseID, "E", "E0123ABCD"},
		{"slack.app_id", c.Slack.AppID, "A", "A0123ABCD"},
	} {
		if id.value != "" && (!slackIDRE.MatchString(id.value) || !strings.HasPrefix(id.value, id.first)) {
			r.addf(id.path, "%q is not a Slack id: %s followed by capital letters and digits, e.g. %s", id.value, id.first, id.example)
		}
	}
	t := &c.Teams
	for _, u := range []struct {
		path    string
		v       *string
		example string
	}{
		{"teams.graph_url", &t.GraphURL, "https://graph.microsoft.com/v1.0"},
		{"teams.login_url", &t.LoginURL, "https://login.microsoftonline.com"},
		{"teams.service_url", &t.ServiceURL, "http://127.0.0.1:9000"},
		{"teams.openid_metadata_url", &t.OpenIDMetadataURL, "https://login.botframework.com/v1/.well-known/openidconfiguration"},
	} {
		if *u.v == "" && u.path == "teams.service_url" {
			continue // optional
		}
		if checkURL(r, u.path, *u.v, u.example) {
			*u.v = strings.TrimRight(*u.v, "/")
		}
	}

	s := c.Slack
	switch {
	case s.BotToken != "" && s.SigningSecret == "" && s.AppToken == "":
		r.envf("SLACK_BOT_TOKEN", "is set, but neither SLACK_SIGNING_SECRET (HTTP mode) nor SLACK_APP_TOKEN (Socket Mode) is; set one so that Slack can reach muster")
	case s.BotToken == "" && s.SigningSecret != "":
		r.envf("SLACK_BOT_TOKEN", "is not set, but SLACK_SIGNING_SECRET is; muster needs the bot token to post")
	case s.BotToken == "" && s.AppToken != "":
		r.envf("SLACK_BOT_TOKEN", "is not set, but SLACK_APP_TOKEN is; muster needs the bot token to post")
	}
	switch {
	case t.AppID == "" && t.AppPassword != "":
		r.envf("TEAMS_APP_ID", "is not set, but TEAMS_APP_PASSWORD is; set both to enable Teams")
	case t.AppID != "" && t.AppPassword == "" && !t.AllowUnauthenticated:
		r.envf("TEAMS_APP_PASSWORD", "is not set, but TEAMS_APP_ID is; set it, or teams.allow_unauthenticated: true for a local emulator")
	case t.AppID != "" && t.AppPassword != "" && t.TeamID != "" && t.TenantID == "":
		r.envf("TEAMS_TENANT_ID", "is not set, but teams.team_id is; Microsoft Graph needs the tenant to create war-room channels")
	}
}

// checkURL reports whether s is an absolute http(s) URL, recording a
// problem when it is not.
func checkURL(r *report, path, s, example string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.addf(path, "%q is not an http(s) URL (example: %s)", redact.URL(s), example)
		return false
	}
	return true
}

func validateHours(r *report, path string, w *WorkingHours) {
	if w == nil {
		return
	}
	start, okStart := clockTime(w.Start)
	end, okEnd := clockTime(w.End)
	if !okStart {
		r.addf(path+".start", "%q is not a time of day such as 09:00", w.Start)
	}
	if !okEnd {
		r.addf(path+".end", "%q is not a time of day such as 18:00", w.End)
	}
	if okStart && okEnd && start >= end {
		r.addf(path+".end", "%s is not after the start, %s", w.End, w.Start)
	}
	for i, d := range w.Days {
		if _, ok := weekdays[strings.ToLower(d)]; !ok {
			r.addf(fmt.Sprintf("%s.days[%d]", path, i), "%q is not a day; use mon, tue, wed, thu, fri, sat, sun", d)
		}
	}
	if w.Timezone != "" {
		if _, err := time.LoadLocation(w.Timezone); err != nil {
			r.addf(path+".timezone", "%q is not a time zone such as Europe/Berlin or America/New_York", w.Timezone)
		}
	}
}

// pagerDutySeverities are the Events API v2's payload.severity values,
// the default of each rank of the ladder in order (info below).
var pagerDutySeverities = []string{"critical", "error", "warning", "info"}

// pagesByDefault is how many of the most severe severities page when the
// file does not say: SEV1 and SEV2 of the default ladder.
const pagesByDefault = 2

// validatePaging fills in and checks a severity's page and
// pagerduty_severity; rank is its place in the ladder.
func validatePaging(r *report, p string, rank int, s *Severity) {
	if s.Page == nil {
		page := rank < pagesByDefault
		s.Page = &page
	}
	s.PagerDutySeverity = strings.ToLower(strings.TrimSpace(s.PagerDutySeverity))
	if s.PagerDutySeverity == "" {
		s.PagerDutySeverity = pagerDutySeverities[min(rank, len(pagerDutySeverities)-1)]
		return
	}
	for _, v := range pagerDutySeverities {
		if s.PagerDutySeverity == v {
			return
		}
	}
	r.addf(p+".pagerduty_severity", "%q is not a PagerDuty event severity; choose one of: %s", s.PagerDutySeverity, strings.Join(pagerDutySeverities, ", "))
}
