// Package config loads muster's YAML configuration, fills in defaults,
// takes secrets from the environment and validates everything at start-up,
// reporting each problem with its file and line.
//
// config.example.yaml at the repository root documents every key.
package config

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

// Config is muster's whole configuration. Fields tagged env are read from
// that environment variable (overriding the file when the variable is set);
// fields tagged secret are hidden by Redacted. Secrets have yaml:"-": they
// never come from, or go to, a file.
type Config struct {
	Log     Log     `yaml:"log"`
	HTTP    HTTP    `yaml:"http"`
	Metrics Metrics `yaml:"metrics"`
	Store   Store   `yaml:"store"`
	// Timezone is the IANA zone in which people write times of day, as
	// in `started 09:55`. Default UTC; times are stored in UTC whatever
	// it is.
	Timezone        string       `yaml:"timezone"`
	DefaultSeverity string       `yaml:"default_severity"`
	Severities      []Severity   `yaml:"severities"`
	Roles           []Role       `yaml:"roles"`
	Reminders       Reminders    `yaml:"reminders"`
	Digest          Digest       `yaml:"digest"`
	WarRoom         WarRoom      `yaml:"war_room"`
	Runbooks        []Runbook    `yaml:"runbooks"`
	Alertmanager    Alertmanager `yaml:"alertmanager"`
	Webhooks        Webhooks     `yaml:"webhooks"`
	Templates       Templates    `yaml:"templates"`
	Console         Console      `yaml:"console"`
	Web             Web          `yaml:"web"`
	StatusPage      StatusPage   `yaml:"statuspage"`
	// Trackers is where action items are filed (Jira or GitHub Issues).
	Trackers Trackers `yaml:"trackers"`
	// Postmortem is what follows a resolve: the review meeting, the
	// owner's reminders, the share channel.
	Postmortem Postmortem `yaml:"postmortem"`
	// Services is the service catalog: what an incident can affect, who
	// owns it and how its on-call is paged.
	Services []Service `yaml:"services"`
	// PagerDuty and Opsgenie are the paging providers' addresses and
	// credentials; the catalog says which services page through them.
	PagerDuty PagerDuty `yaml:"pagerduty"`
	Opsgenie  Opsgenie  `yaml:"opsgenie"`
	Slack     Slack     `yaml:"slack"`
	Teams     Teams     `yaml:"teams"`
	// Permissions maps a command to the roles that may run it on an
	// incident ("any" for everyone), over muster's defaults (resolve,
	// reopen and handoff for the IC). The command names are checked by a
	// Check from the wiring, which knows the commands.
	Permissions map[string][]string `yaml:"permissions"`
}

// Check is a validation that only the caller can make (the commands
// know their own names): it calls problem for each bad setting, naming
// its key, and the problem is reported with the file and line that set
// it, like every other.
type Check func(c *Config, problem func(key, msg string))

// Location is the configured time zone, UTC when none is set (or when
// it is invalid, which validation reports).
func (c *Config) Location() *time.Location {
	if c.Timezone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// PermissionList is the permissions over muster's defaults.
func (c *Config) PermissionList() muster.Permissions {
	return muster.DefaultPermissions().With(muster.Permissions(c.Permissions))
}

// Log configures zerolog.
type Log struct {
	Format string `yaml:"format"` // json (default) or console
	Level  string `yaml:"level"`  // debug, info (default), warn or error
}

// HTTP configures the listener for Slack, Teams, health and metrics, and
// how long a client may take: the endpoints are public, and a client that
// sends slowly or never would otherwise hold a connection and its buffers
// for ever.
type HTTP struct {
	Listen string `yaml:"listen"` // host:port, default ":8080"
	// ReadTimeout bounds the reading of a request's headers and body,
	// default 5s.
	ReadTimeout Duration `yaml:"read_timeout"`
	// WriteTimeout bounds the answer to a request of Slack, Teams,
	// Alertmanager or a probe, from the end of its headers, default 10s.
	WriteTimeout Duration `yaml:"write_timeout"`
	// IdleTimeout closes a keep-alive connection left unused this long,
	// default 60s.
	IdleTimeout Duration `yaml:"idle_timeout"`
	// MaxPendingBodies bounds the request bodies read at once before their
	// signature or token is checked; more get 503 with Retry-After.
	// Default 32.
	MaxPendingBodies int `yaml:"max_pending_bodies"`
}

// Metrics configures where /metrics is served.
type Metrics struct {
	// Listen, when set, serves /metrics on this host:port alone (and no
	// longer on http.listen), e.g. "127.0.0.1:9090": the metrics are not
	// authenticated and name the incidents' severities and statuses.
	Listen string `yaml:"listen"`
}

// Store chooses where incidents are kept: one bbolt file (one replica,
// the default) or an etcd cluster (several replicas, for high
// availability).
type Store struct {
	Backend string `yaml:"backend"` // bbolt (default) or etcd
	Path    string `yaml:"path"`    // the bbolt file, default "./data/muster.db"
	Etcd    Etcd   `yaml:"etcd"`
}

// Etcd configures the etcd store and the leader election that keeps one
// replica running the reminders.
type Etcd struct {
	Endpoints   []string `yaml:"endpoints"`    // e.g. http://etcd-0.etcd:2379
	Prefix      string   `yaml:"prefix"`       // every key starts with it, default "/muster/"
	DialTimeout Duration `yaml:"dial_timeout"` // default 5s
	// LeaderTTL is how long a replica that stopped answering stays leader:
	// another takes over the reminders within it. Default 10s.
	LeaderTTL Duration `yaml:"leader_ttl"`
	Username  string   `yaml:"username"`
	Password  string   `yaml:"-" env:"ETCD_PASSWORD" secret:"true"`
	TLS       EtcdTLS  `yaml:"tls"`
}

// EtcdTLS configures TLS to etcd. Any setting given, or an https://
// endpoint, turns TLS on.
type EtcdTLS struct {
	CAFile     string `yaml:"ca_file"`     // CA bundle that signed the servers' certificates
	CertFile   string `yaml:"cert_file"`   // client certificate, for client-certificate auth
	KeyFile    string `yaml:"key_file"`    // its key
	ServerName string `yaml:"server_name"` // the name the servers' certificates must carry, whatever the endpoints' hosts
}

// Enabled reports whether any TLS setting is given.
func (t EtcdTLS) Enabled() bool {
	return t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.ServerName != ""
}

// Severity is one level of the ladder as written in the file. See
// muster.Severity for what each field means.
type Severity struct {
	Name          string   `yaml:"name"`
	Aliases       []string `yaml:"aliases"` // other words for it: p1, critical
	Description   string   `yaml:"description"`
	UpdateEvery   Duration `yaml:"update_every"` // zero: no reminders
	PublicEvery   Duration `yaml:"public_every"` // zero: no public-page reminders
	Notify        []string `yaml:"notify"`
	WarRoom       *bool    `yaml:"war_room"`       // nil in the file means true; Parse fills it in
	EscalateAfter int      `yaml:"escalate_after"` // default 2
	// WorkingHours, when given, hold this severity's update reminders
	// outside them; none by default.
	WorkingHours *WorkingHours `yaml:"working_hours"`
	// Page: whether incidents of this severity page the on-call of their
	// services. Nil in the file means true for the two most severe
	// severities of the ladder; validation fills it in.
	Page *bool `yaml:"page"`
	// PagerDutySeverity is the Events API v2 payload.severity of its
	// pages: critical, error, warning or info. Empty in the file means
	// critical, error, warning, info down the ladder (info below).
	PagerDutySeverity string `yaml:"pagerduty_severity"`
}

// WorkingHours is when a severity's reminders may be sent.
type WorkingHours struct {
	Start    string   `yaml:"start"`    // "09:00"
	End      string   `yaml:"end"`      // "18:00"
	Days     []string `yaml:"days"`     // mon … sun; empty means every day
	Timezone string   `yaml:"timezone"` // IANA name, default UTC
}

// Role is one responder role as written in the file. Short defaults to Name.
type Role struct {
	Key   string `yaml:"key"`
	Name  string `yaml:"name"`
	Short string `yaml:"short"`
}

// Reminders configures the reminder scheduler.
type Reminders struct {
	Tick      Duration `yaml:"tick"`        // how often due reminders are checked, default 10s
	NoICAfter Duration `yaml:"no_ic_after"` // one-time "no IC yet" nag, default 5m; 0 disables
	Actions   string   `yaml:"actions"`     // cron spec for reminding owners of overdue action items; "" never
}

// WarRoom configures war-room channels.
type WarRoom struct {
	Prefix     string   `yaml:"prefix"`     // default "inc"
	Date       bool     `yaml:"date"`       // inc-2026-11-22-slug instead of inc-42-slug
	Responders []string `yaml:"responders"` // standing responders invited to every war room
}

// Alertmanager configures POST /hooks/alertmanager, which declares an
// incident for a firing alert group. It is enabled by ALERTMANAGER_TOKEN,
// the bearer token Alertmanager must send. Grafana's webhook
// (POST /hooks/grafana) and the generic JSON alert (POST /hooks/alert)
// are enabled by ALERT_TOKEN and declare where and at the severities this
// section says: one place for where alerts land, whoever sends them.
type Alertmanager struct {
	Platform      string          `yaml:"platform"`       // where incidents are declared: slack or teams
	Room          string          `yaml:"room"`           // the channel they are declared from
	SeverityLabel string          `yaml:"severity_label"` // default "severity"
	Severities    []AlertSeverity `yaml:"severities"`     // label value → severity
	Token         string          `yaml:"-" env:"ALERTMANAGER_TOKEN" secret:"true"`
	AlertToken    string          `yaml:"-" env:"ALERT_TOKEN" secret:"true"` // Grafana's and the generic alert's
}

// Webhooks configures the signed JSON events sent on every state change of
// an incident (declared, severity, status, role, update, resolved,
// reopened). WEBHOOK_SECRET signs them.
type Webhooks struct {
	URLs   []string `yaml:"urls"`
	Secret string   `yaml:"-" env:"WEBHOOK_SECRET" secret:"true"`
}

// AlertSeverity maps a value of the severity label to a severity.
type AlertSeverity struct {
	Label    string `yaml:"label"`    // e.g. critical
	Severity string `yaml:"severity"` // e.g. SEV1
}

// Runbook is a link the war-room header shows for matching incidents: of
// one of Severities (all when empty) and, when Keywords are given, with one
// of them in the title (case-insensitive).
type Runbook struct {
	Title      string   `yaml:"title"`
	URL        string   `yaml:"url"`
	Severities []string `yaml:"severities"`
	Keywords   []string `yaml:"keywords"`
}

// RunbookList converts the runbooks for the commands.
func (c *Config) RunbookList() []muster.Runbook { return runbookList(c.Runbooks) }

func runbookList(runbooks []Runbook) []muster.Runbook {
	var out []muster.Runbook
	for _, rb := range runbooks {
		out = append(out, muster.Runbook{Title: rb.Title, URL: rb.URL, Severities: rb.Severities, Keywords: rb.Keywords})
	}
	return out
}

// Templates configures the postmortem template.
type Templates struct {
	Dir       string `yaml:"dir"`        // directory whose postmortem.md.tmpl overrides the embedded one
	ExportDir string `yaml:"export_dir"` // postmortem drafts are also written here, as INC-<n>-<slug>.md
}

// Console configures the local REPL platform.
type Console struct {
	User string `yaml:"user"` // default speaker; empty means the OS user name
}

// Slack configures the Slack platform. It is enabled by SLACK_BOT_TOKEN
// together with SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN
// (Socket Mode).
type Slack struct {
	APIURL          string `yaml:"api_url" env:"SLACK_API_URL"` // always ends in "/"
	AnnounceChannel string `yaml:"announce_channel"`
	ChannelPrefix   string `yaml:"channel_prefix"` // overrides war_room.prefix on Slack
	// TeamID, EnterpriseID and AppID, when set, are the workspace (T…),
	// Enterprise Grid organisation (E…) and Slack app (A…) muster is
	// installed in: a request signed with the signing secret but coming
	// from another is refused.
	TeamID       string `yaml:"team_id"`
	EnterpriseID string `yaml:"enterprise_id"`
	AppID        string `yaml:"app_id"`

	BotToken      string `yaml:"-" env:"SLACK_BOT_TOKEN" secret:"true"`
	SigningSecret string `yaml:"-" env:"SLACK_SIGNING_SECRET" secret:"true"`
	AppToken      string `yaml:"-" env:"SLACK_APP_TOKEN" secret:"true"`
}

// Teams configures the Microsoft Teams platform. It is enabled by
// TEAMS_APP_ID. URLs carry no trailing slash.
type Teams struct {
	TeamID               string `yaml:"team_id"`
	AnnounceChannelID    string `yaml:"announce_channel_id"`
	GraphURL             string `yaml:"graph_url"`
	LoginURL             string `yaml:"login_url"`
	ServiceURL           string `yaml:"service_url"`
	OpenIDMetadataURL    string `yaml:"openid_metadata_url"`
	AllowUnauthenticated bool   `yaml:"allow_unauthenticated"`

	AppID       string `yaml:"-" env:"TEAMS_APP_ID" secret:"true"`
	AppPassword string `yaml:"-" env:"TEAMS_APP_PASSWORD" secret:"true"`
	TenantID    string `yaml:"-" env:"TEAMS_TENANT_ID" secret:"true"`
}

// Default returns the configuration used when no file is given.
func Default() *Config {
	c := &Config{
		Log: Log{Format: "json", Level: "info"},
		HTTP: HTTP{
			Listen: ":8080", ReadTimeout: Duration{5 * time.Second}, WriteTimeout: Duration{10 * time.Second},
			IdleTimeout: Duration{time.Minute}, MaxPendingBodies: 32,
		},
		Store: Store{Backend: "bbolt", Path: "./data/muster.db", Etcd: Etcd{
			Endpoints: []string{"http://127.0.0.1:2379"}, Prefix: "/muster/", DialTimeout: Duration{5 * time.Second}, LeaderTTL: Duration{10 * time.Second},
		}},
		Timezone:        "UTC",
		DefaultSeverity: "SEV3",
		Reminders:       Reminders{Tick: Duration{10 * time.Second}, NoICAfter: Duration{5 * time.Minute}, Actions: "0 9 * * 1-5"},
		Digest:          Digest{Schedule: DefaultDigestSchedule},
		WarRoom:         WarRoom{Prefix: "inc"},
		Web:             Web{Enabled: true},
		StatusPage:      StatusPage{Title: "Status", Atlassian: Atlassian{APIURL: "https://api.statuspage.io/v1"}},
		PagerDuty:       PagerDuty{EventsURL: "https://events.pagerduty.com/v2/enqueue", APIURL: "https://api.pagerduty.com"},
		Opsgenie:        Opsgenie{APIURL: "https://api.opsgenie.com"},
		Slack:           Slack{APIURL: "https://slack.com/api/"},
		Trackers:        Trackers{PollEvery: Duration{defaultPollEvery}, Jira: JiraTracker{IssueType: "Task"}, GitHub: GitHubTracker{APIURL: "https://api.github.com"}},
		Alertmanager:    Alertmanager{SeverityLabel: "severity"},
		Permissions:     muster.DefaultPermissions(),
		Postmortem:      defaultPostmortem(),
		Teams: Teams{
			GraphURL:          "https://graph.microsoft.com/v1.0",
			LoginURL:          "https://login.microsoftonline.com",
			OpenIDMetadataURL: "https://login.botframework.com/v1/.well-known/openidconfiguration",
		},
	}
	for _, s := range muster.DefaultSeverities() {
		c.Severities = append(c.Severities, Severity{
			Name:              s.Name,
			Aliases:           append([]string(nil), s.Aliases...),
			Description:       s.Description,
			UpdateEvery:       Duration{s.UpdateEvery},
			PublicEvery:       Duration{s.PublicEvery},
			Notify:            s.Notify,
			WarRoom:           &s.WarRoom,
			EscalateAfter:     s.EscalateAfter,
			Page:              &s.Page,
			PagerDutySeverity: s.PagerDutySeverity,
		})
	}
	for _, r := range muster.DefaultRoles() {
		c.Roles = append(c.Roles, Role{Key: r.Key, Name: r.Name, Short: r.Short})
	}
	return c
}

// Load reads the config file at path ("" for defaults only), applies the
// environment through getenv (os.Getenv in main; nil means an empty
// environment) and validates the result. On failure the error is an
// *Error listing every problem.
func Load(path string, getenv func(string) string, checks ...Check) (*Config, error) {
	if path == "" {
		return Parse(nil, "defaults", getenv, checks...)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, r := parse(data, path, getenv, checks)
	if c.Templates.Dir != "" && !r.bad["templates.dir"] {
		if fi, err := os.Stat(c.Templates.Dir); err != nil || !fi.IsDir() {
			r.addf("templates.dir", "%q is not a directory; it should hold postmortem.md.tmpl", c.Templates.Dir)
		}
	}
	if err := r.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse decodes data as the config file name (used in problem reports),
// fills in defaults, applies the environment and validates. Empty data
// gives the defaults. It does not touch the file system; Load also checks
// that templates.dir exists. On failure the error is an *Error.
func Parse(data []byte, name string, getenv func(string) string, checks ...Check) (*Config, error) {
	c, r := parse(data, name, getenv, checks)
	if err := r.err(); err != nil {
		return nil, err
	}
	return c, nil
}

func parse(data []byte, name string, getenv func(string) string, checks []Check) (*Config, *report) {
	if name == "" {
		name = "config"
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	c := Default()
	r := newReport(name)
	decodeFile(data, c, r)
	applyEnv(c, getenv, r)
	validate(c, r)
	checkRoutingKeys(c, getenv, r)
	for _, check := range checks {
		check(c, func(key, msg string) { r.addf(key, "%s", msg) })
	}
	return c, r
}

// SeverityLadder returns the configured severities, most severe first.
func (c *Config) SeverityLadder() muster.Severities {
	ladder := make(muster.Severities, len(c.Severities))
	for i, s := range c.Severities {
		ladder[i] = muster.Severity{
			Name:              s.Name,
			Aliases:           append([]string(nil), s.Aliases...),
			Description:       s.Description,
			UpdateEvery:       s.UpdateEvery.Duration,
			PublicEvery:       s.PublicEvery.Duration,
			Notify:            append([]string(nil), s.Notify...),
			WarRoom:           s.WarRoom == nil || *s.WarRoom,
			EscalateAfter:     s.EscalateAfter,
			Hours:             s.WorkingHours.hours(),
			Page:              s.Page != nil && *s.Page,
			PagerDutySeverity: s.PagerDutySeverity,
		}
	}
	return ladder
}

// RoleList returns the configured roles, the IC first.
func (c *Config) RoleList() muster.Roles {
	roles := make(muster.Roles, 0, len(c.Roles))
	for _, r := range c.Roles {
		if r.Key == muster.RoleIC {
			roles = append(muster.Roles{{Key: r.Key, Name: r.Name, Short: r.Short}}, roles...)
			continue
		}
		roles = append(roles, muster.Role{Key: r.Key, Name: r.Name, Short: r.Short})
	}
	return roles
}

// SlackEnabled reports whether Slack is configured: a bot token (to post)
// and a signing secret or an app-level token (to receive, over HTTP or
// Socket Mode). Validation rejects a bot token without either, so a
// half-configured Slack is an error at start-up rather than a silent
// fallback to the console.
func (c *Config) SlackEnabled() bool {
	s := c.Slack
	return s.BotToken != "" && (s.SigningSecret != "" || s.AppToken != "")
}

// SlackSocketMode reports whether Slack should connect over Socket Mode,
// which it does whenever an app-level token is set.
func (c *Config) SlackSocketMode() bool { return c.SlackEnabled() && c.Slack.AppToken != "" }

// SlackChannelPrefix is the war-room prefix on Slack: slack.channel_prefix
// when set, war_room.prefix otherwise.
func (c *Config) SlackChannelPrefix() string {
	if c.Slack.ChannelPrefix != "" {
		return c.Slack.ChannelPrefix
	}
	return c.WarRoom.Prefix
}

// TeamsEnabled reports whether Teams is configured (TEAMS_APP_ID is set).
func (c *Config) TeamsEnabled() bool { return c.Teams.AppID != "" }

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// hours converts validated working hours; nil stays nil.
func (w *WorkingHours) hours() *muster.WorkingHours {
	if w == nil {
		return nil
	}
	start, _ := clockTime(w.Start)
	end, _ := clockTime(w.End)
	h := &muster.WorkingHours{Start: start, End: end, Location: time.UTC}
	if loc, err := time.LoadLocation(w.Timezone); err == nil && w.Timezone != "" {
		h.Location = loc
	}
	for _, d := range w.Days {
		h.Days[weekdays[strings.ToLower(d)]] = true
	}
	return h
}

// clockTime reads "09:00" as the time since midnight.
func clockTime(s string) (time.Duration, bool) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, false
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, true
}
