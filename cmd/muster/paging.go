package main

import (
	"fmt"
	"strings"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/bot/pagerhook"
	"github.com/muster-bot/muster/config"
	"github.com/muster-bot/muster/paging/opsgenie"
	"github.com/muster-bot/muster/paging/pagerduty"
)

// The providers' clients satisfy what the bot pages through.
var (
	_ bot.PagerDuty = (*pagerduty.Client)(nil)
	_ bot.Opsgenie  = (*opsgenie.Client)(nil)
)

// pagingConfig is how the bot pages the catalog's services: PagerDuty
// when a service has a routing key, Opsgenie when OPSGENIE_API_KEY is set
// (the config refuses a service paged through it otherwise).
func pagingConfig(cfg *config.Config, services muster.Services) bot.Paging {
	p := bot.Paging{Services: services, PagerDutyOnCall: cfg.PagerDuty.APIToken != ""}
	for _, s := range services {
		if s.PagerDuty != nil {
			p.PagerDuty = pagerduty.New(cfg.PagerDuty.EventsURL, cfg.PagerDuty.APIURL, cfg.PagerDuty.APIToken, nil)
			break
		}
	}
	if cfg.Opsgenie.APIKey != "" {
		p.Opsgenie = opsgenie.New(cfg.Opsgenie.APIURL, cfg.Opsgenie.APIKey, nil)
	}
	if base := strings.TrimRight(cfg.Web.PublicURL, "/"); base != "" && cfg.Web.Enabled {
		p.IncidentURL = func(id int) string { return fmt.Sprintf("%s/incidents/%d", base, id) }
	}
	return p
}

// pagerHook is POST /hooks/pagerduty's configuration. Incidents PagerDuty
// triggered are declared where alerts are; a high-urgency one at the
// least severe severity that pages (its on-call is already paged, by
// PagerDuty), a low-urgency one at the default severity.
func pagerHook(cfg *config.Config, services muster.Services) pagerhook.Config {
	ladder := cfg.SeverityLadder()
	high := cfg.DefaultSeverity
	for _, s := range ladder {
		if s.Page {
			high = s.Name
		}
	}
	return pagerhook.Config{
		Secret: cfg.PagerDuty.WebhookSecret, Services: services,
		Platform: cfg.Alertmanager.Platform, Room: cfg.Alertmanager.Room,
		High: high, Low: cfg.DefaultSeverity,
	}
}
