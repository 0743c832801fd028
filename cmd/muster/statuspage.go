package main

import (
	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/config"
	"github.com/muster-bot/muster/statuspage"
)

// The Statuspage client satisfies what the bot mirrors to.
var _ bot.StatusPage = (*statuspage.Client)(nil)

// statuspageMirror returns the Atlassian Statuspage page the bot mirrors
// public posts to, and the components' ids there by name; nil when
// statuspage.atlassian.page_id or STATUSPAGE_API_KEY is unset.
func statuspageMirror(cfg config.StatusPage) (bot.StatusPage, map[string]string) {
	a := cfg.Atlassian
	if !a.Enabled() {
		return nil, nil
	}
	ids := map[string]string{}
	for _, c := range cfg.Components {
		if c.AtlassianID != "" {
			ids[c.Name] = c.AtlassianID
		}
	}
	return statuspage.New(a.APIURL, a.PageID, a.APIKey, nil), ids
}
