package main

import (
	"time"

	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/config"
	"github.com/muster-bot/muster/statuspage"
	"github.com/muster-bot/muster/web"
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

// statusCacheFor is how long the public status pages reuse one read of
// the store: short enough that a post shows at once to whoever reloads,
// long enough that a crowd reloading during an outage costs one read.
const statusCacheFor = 2 * time.Second

// statusConfig is what the public status pages need of statuspage.
func statusConfig(sp config.StatusPage) web.StatusConfig {
	c := web.StatusConfig{Title: sp.Title, CacheFor: statusCacheFor}
	for _, comp := range sp.Components {
		c.Components = append(c.Components, web.StatusComponent{Name: comp.Name, Description: comp.Description})
	}
	return c
}

// componentNames are the components `component` may set.
func componentNames(sp config.StatusPage) []string {
	names := make([]string, len(sp.Components))
	for i, comp := range sp.Components {
		names[i] = comp.Name
	}
	return names
}
