package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

// Trackers is the team's issue tracker action items are filed in: Jira
// or GitHub Issues, one at a time (the done state read back must have one
// source).
type Trackers struct {
	Jira   JiraTracker   `yaml:"jira"`
	GitHub GitHubTracker `yaml:"github"`
	// PollEvery is how often the leader reads the state of the filed
	// items not yet done, for setups without webhooks; default 15m, 0
	// never.
	PollEvery Duration `yaml:"poll_every"`
	// Private files the action items of private incidents too, with the
	// item's text and the incident's reference only. Default false: a
	// private incident's items stay in muster.
	Private bool `yaml:"private"`
}

// JiraTracker is a Jira Cloud project (REST API v3).
type JiraTracker struct {
	URL       string `yaml:"url"`        // the site, https://acme.atlassian.net
	Project   string `yaml:"project"`    // the project key, OPS
	IssueType string `yaml:"issue_type"` // default Task
	// Priorities maps muster's priorities (p0, p1, p2) to Jira's priority
	// names; default Highest, High, Medium (Jira's default scheme).
	Priorities    map[string]string `yaml:"priorities"`
	User          string            `yaml:"-" env:"JIRA_USER" secret:"true"`      // the e-mail of the account muster acts as
	Token         string            `yaml:"-" env:"JIRA_API_TOKEN" secret:"true"` // that account's API token
	WebhookSecret string            `yaml:"-" env:"JIRA_WEBHOOK_SECRET" secret:"true"`
}

// GitHubTracker is a GitHub repository's issues.
type GitHubTracker struct {
	APIURL string `yaml:"api_url"` // default https://api.github.com
	Repo   string `yaml:"repo"`    // owner/name
	// PriorityLabels maps muster's priorities (p0, p1, p2) to labels;
	// default "priority: P0" and so on.
	PriorityLabels map[string]string `yaml:"priority_labels"`
	Token          string            `yaml:"-" env:"GITHUB_TOKEN" secret:"true"`
	WebhookSecret  string            `yaml:"-" env:"GITHUB_WEBHOOK_SECRET" secret:"true"`
}

// Enabled reports whether action items are filed in Jira.
func (j JiraTracker) Enabled() bool { return j.URL != "" || j.Project != "" }

// Enabled reports whether action items are filed in GitHub.
func (g GitHubTracker) Enabled() bool { return g.Repo != "" }

// PriorityMap turns a validated priorities section into muster's
// priorities; nil when it is empty, for the client's defaults.
func PriorityMap(m map[string]string) map[muster.Priority]string {
	if len(m) == 0 {
		return nil
	}
	out := map[muster.Priority]string{}
	for k, v := range m {
		if p, ok := muster.ParsePriority(k); ok {
			out[p] = v
		}
	}
	return out
}

var (
	jiraProjectRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]+$`)
	githubRepoRE  = regexp.MustCompile(`^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$`)
)

// defaultPollEvery reads the trackers' state four times an hour: soon
// enough for a done item to show before the next review, few enough
// calls for any rate limit.
const defaultPollEvery = 15 * time.Minute

func validateTrackers(c *Config, r *report) {
	t := &c.Trackers
	j, g := &t.Jira, &t.GitHub
	if t.PollEvery.Duration != 0 && t.PollEvery.Duration < time.Minute {
		r.addf("trackers.poll_every", "is %s; poll at most once a minute (default 15m), or 0 to turn the poll off", t.PollEvery)
	}
	if j.Enabled() && g.Enabled() {
		r.addf("trackers.github", "trackers.jira is set too; muster files action items in one tracker: keep one of them")
	}
	if j.Enabled() {
		if checkURL(r, "trackers.jira.url", j.URL, "https://acme.atlassian.net") {
			j.URL = strings.TrimRight(j.URL, "/")
		}
		if !jiraProjectRE.MatchString(j.Project) {
			r.addf("trackers.jira.project", "%q is not a Jira project key; give the key issues start with, e.g. OPS", j.Project)
		}
		if j.User == "" || j.Token == "" {
			r.envf("JIRA_API_TOKEN", "trackers.jira is set, but JIRA_USER and JIRA_API_TOKEN are not both set; give the e-mail of the account muster files issues as and its API token")
		}
		checkPriorities(r, "trackers.jira.priorities", j.Priorities)
	}
	if g.Enabled() {
		if !githubRepoRE.MatchString(g.Repo) {
			r.addf("trackers.github.repo", "%q is not owner/name, e.g. acme/web", g.Repo)
		}
		if checkURL(r, "trackers.github.api_url", g.APIURL, "https://api.github.com or https://ghe.example.com/api/v3") {
			g.APIURL = strings.TrimRight(g.APIURL, "/")
		}
		if g.Token == "" {
			r.envf("GITHUB_TOKEN", "trackers.github is set, but GITHUB_TOKEN is not; give a token that may create and edit the repository's issues")
		}
		checkPriorities(r, "trackers.github.priority_labels", g.PriorityLabels)
	}
}

func checkPriorities(r *report, path string, m map[string]string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := fmt.Sprintf("%s.%s", path, k)
		if _, ok := muster.ParsePriority(k); !ok {
			r.addf(p, "%q is not a priority; use p0, p1 or p2", k)
		} else if strings.TrimSpace(m[k]) == "" {
			r.addf(p, "is empty; name the priority to use, or leave %s out to send none", k)
		}
	}
}
