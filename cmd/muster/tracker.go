package main

import (
	"fmt"
	"net/http"
	"time"

	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/bot/slack"
	"github.com/muster-bot/muster/bot/trackerhook"
	"github.com/muster-bot/muster/config"
	"github.com/muster-bot/muster/internal/inbound"
	"github.com/muster-bot/muster/tracker/github"
	"github.com/muster-bot/muster/tracker/jira"
)

var (
	_ bot.Tracker          = (*jira.Client)(nil)
	_ bot.Tracker          = (*github.Client)(nil)
	_ bot.EmailFinder      = (*slack.Platform)(nil) // owners are assigned their issues by e-mail
	_ trackerhook.Bodies   = (*inbound.Gate)(nil)
	_ trackerhook.Receiver = (*bot.Bot)(nil)
)

// trackerConfig is where the bot files action items: the client of
// trackers.jira or trackers.github (validation lets only one be set), or
// none.
func trackerConfig(cfg *config.Config, now func() time.Time) (bot.TrackerConfig, error) {
	t := cfg.Trackers
	tc := bot.TrackerConfig{PollEvery: t.PollEvery.Duration, FilePrivate: t.Private, PublicURL: cfg.Web.PublicURL}
	switch {
	case t.Jira.Enabled():
		j := t.Jira
		tc.Name = "Jira"
		tc.Tracker = jira.New(jira.Config{
			URL: j.URL, Project: j.Project, IssueType: j.IssueType, User: j.User, Token: j.Token,
			Priorities: config.PriorityMap(j.Priorities),
		}, nil)
	case t.GitHub.Enabled():
		g := t.GitHub
		c, err := github.New(github.Config{APIURL: g.APIURL, Repo: g.Repo, Token: g.Token, PriorityLabels: config.PriorityMap(g.PriorityLabels)}, nil, now)
		if err != nil {
			return tc, fmt.Errorf("trackers.github: %w", err)
		}
		tc.Name, tc.Tracker = "GitHub", c
	}
	return tc, nil
}

// trackerRoutes serves the webhook of the configured tracker when its
// secret is set: POST /hooks/jira or POST /hooks/github.
func (a *App) trackerRoutes(mux *http.ServeMux) {
	t := a.cfg.Trackers
	log := a.log.With().Str("component", "trackers").Logger()
	switch {
	case t.Jira.Enabled() && t.Jira.WebhookSecret != "":
		mux.Handle("POST /hooks/jira", trackerhook.Jira(t.Jira.WebhookSecret, a.bodies, a.bot, log))
	case t.GitHub.Enabled() && t.GitHub.WebhookSecret != "":
		mux.Handle("POST /hooks/github", trackerhook.GitHub(t.GitHub.WebhookSecret, a.bodies, a.bot, log))
	}
}
