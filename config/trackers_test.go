package config_test

import (
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/config"
)

// TestTrackers reads both trackers' settings, fills their defaults, and
// reports each bad setting on its line.
func TestTrackers(t *testing.T) {
	jiraEnv := map[string]string{"JIRA_USER": "bot@example.com", "JIRA_API_TOKEN": "tok", "JIRA_WEBHOOK_SECRET": "whs"}
	c := mustParse(t, "trackers:\n  jira:\n    url: https://acme.atlassian.net/\n    project: OPS\n    priorities: {P0: Blocker}\n", jiraEnv)
	j := c.Trackers.Jira
	if !j.Enabled() || j.URL != "https://acme.atlassian.net" || j.IssueType != "Task" || j.User != "bot@example.com" || j.WebhookSecret != "whs" {
		t.Errorf("jira = %+v; want it on, the URL without its slash, issue type Task, the secrets from the environment", j)
	}
	if got := config.PriorityMap(j.Priorities); got[muster.P0] != "Blocker" || len(got) != 1 {
		t.Errorf("priorities = %v; want p0 Blocker alone", got)
	}
	if c.Trackers.PollEvery.Duration != 15*time.Minute || c.Trackers.Private || c.Trackers.GitHub.Enabled() {
		t.Errorf("trackers = %+v; want a 15m poll, private items kept, GitHub off", c.Trackers)
	}
	g := mustParse(t, "trackers:\n  github:\n    repo: acme/web\n", map[string]string{"GITHUB_TOKEN": "ghp"}).Trackers.GitHub
	if !g.Enabled() || g.APIURL != "https://api.github.com" || g.Token != "ghp" {
		t.Errorf("github = %+v; want it on with the default API URL", g)
	}

	gh := map[string]string{"GITHUB_TOKEN": "ghp"}
	for _, tc := range []struct {
		name, yaml string
		env        map[string]string
		line       int
		key, msg   string
	}{
		{"both trackers", "trackers:\n  jira:\n    url: https://acme.atlassian.net\n    project: OPS\n  github:\n    repo: acme/web\n",
			map[string]string{"JIRA_USER": "u", "JIRA_API_TOKEN": "t", "GITHUB_TOKEN": "g"}, 5, "trackers.github", "one tracker"},
		{"jira project", "trackers:\n  jira:\n    url: https://acme.atlassian.net\n    project: ops team\n", jiraEnv, 4, "trackers.jira.project", "not a Jira project key"},
		{"jira url", "trackers:\n  jira:\n    url: acme.atlassian.net\n    project: OPS\n", jiraEnv, 3, "trackers.jira.url", "not an http(s) URL"},
		{"jira priority", "trackers:\n  jira:\n    url: https://a.atlassian.net\n    project: OPS\n    priorities: {p5: Low}\n", jiraEnv, 5, "trackers.jira.priorities.p5", "use p0, p1 or p2"},
		{"github repo", "trackers:\n  github:\n    repo: acme\n", gh, 3, "trackers.github.repo", "not owner/name"},
		{"github api url", "trackers:\n  github:\n    repo: acme/web\n    api_url: ghe.example.com\n", gh, 4, "trackers.github.api_url", "not an http(s) URL"},
		{"github empty label", "trackers:\n  github:\n    repo: acme/web\n    priority_labels: {p1: \"\"}\n", gh, 4, "trackers.github.priority_labels.p1", "is empty"},
		{"poll too often", "trackers:\n  poll_every: 10s\n", nil, 2, "trackers.poll_every", "at most once a minute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.yaml), "muster.yaml", env(tc.env))
			assertProblems(t, err, []config.Problem{{File: "muster.yaml", Line: tc.line, Key: tc.key}}, []string{tc.msg})
		})
	}
	for _, tc := range []struct {
		name, yaml, key string
	}{
		{"jira without credentials", "trackers:\n  jira:\n    url: https://acme.atlassian.net\n    project: OPS\n", "JIRA_API_TOKEN"},
		{"github without token", "trackers:\n  github:\n    repo: acme/web\n", "GITHUB_TOKEN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.yaml), "muster.yaml", env(nil))
			assertProblems(t, err, []config.Problem{{File: "environment", Key: tc.key}}, []string{"not"})
		})
	}
}
