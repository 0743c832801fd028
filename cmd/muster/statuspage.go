package main

import (
	"time"

	"github.com/muster-bot/muster/config"
	"github.com/muster-bot/muster/web"
)

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
