package config

import (
	"fmt"
	"strings"
)

// PagerDuty is how muster reaches PagerDuty: the Events API v2 (pages,
// with each service's routing key), the REST API (who is on call, with
// PAGERDUTY_API_TOKEN) and the v3 webhooks it sends back
// (POST /hooks/pagerduty, signed with PAGERDUTY_WEBHOOK_SECRET).
type PagerDuty struct {
	EventsURL     string `yaml:"events_url"` // default https://events.pagerduty.com/v2/enqueue
	APIURL        string `yaml:"api_url"`    // default https://api.pagerduty.com
	APIToken      string `yaml:"-" env:"PAGERDUTY_API_TOKEN" secret:"true"`
	WebhookSecret string `yaml:"-" env:"PAGERDUTY_WEBHOOK_SECRET" secret:"true"`
}

// Opsgenie is how muster reaches Opsgenie's REST API (alerts and the
// schedules' on-calls), with OPSGENIE_API_KEY.
type Opsgenie struct {
	APIURL string `yaml:"api_url"` // default https://api.opsgenie.com
	APIKey string `yaml:"-" env:"OPSGENIE_API_KEY" secret:"true"`
}

// validateProviders checks the providers' addresses, and that what the
// catalog pages through can be reached: a service paged through Opsgenie
// needs its API key, and one that declares on a PagerDuty trigger needs
// the PagerDuty service's id to be recognized by, the webhook secret to
// hear of it and a place to declare in.
func validateProviders(c *Config, r *report) {
	checkURL(r, "pagerduty.events_url", c.PagerDuty.EventsURL, "https://events.pagerduty.com/v2/enqueue")
	checkURL(r, "pagerduty.api_url", c.PagerDuty.APIURL, "https://api.pagerduty.com")
	checkURL(r, "opsgenie.api_url", c.Opsgenie.APIURL, "https://api.opsgenie.com")
	ids := map[string]int{}
	for i := range c.Services {
		s := &c.Services[i]
		p := fmt.Sprintf("services[%d]", i)
		if s.Opsgenie != nil && c.Opsgenie.APIKey == "" {
			r.addf(p+".opsgenie", "%q is paged through Opsgenie, but OPSGENIE_API_KEY is not set; set it to the key of an Opsgenie API integration, or remove opsgenie from the service", s.Name)
		}
		pd := s.PagerDuty
		if pd == nil {
			continue
		}
		pd.ServiceID = strings.TrimSpace(pd.ServiceID)
		if j, dup := ids[pd.ServiceID]; dup && pd.ServiceID != "" {
			r.addf(p+".pagerduty.service_id", "%q is already the PagerDuty service of services[%d] (line %d); a trigger there would not know which service it is about",
				pd.ServiceID, j, r.line(fmt.Sprintf("services[%d]", j)))
		}
		ids[pd.ServiceID] = i
		if strings.ContainsFunc(pd.ServiceID, isSpace) {
			r.addf(p+".pagerduty.service_id", "%q is not a PagerDuty id such as PSVC123", pd.ServiceID)
		}
		if !pd.DeclareOnTrigger {
			continue
		}
		switch {
		case pd.ServiceID == "":
			r.addf(p+".pagerduty.declare_on_trigger", "needs service_id, the id of the PagerDuty service (PSVC123 in its URL) whose triggered incidents declare here")
		case c.PagerDuty.WebhookSecret == "":
			r.addf(p+".pagerduty.declare_on_trigger", "needs PAGERDUTY_WEBHOOK_SECRET, the secret of the webhook subscription that tells muster of triggered incidents")
		case c.Alertmanager.Platform != "slack" && c.Alertmanager.Platform != "teams":
			r.addf(p+".pagerduty.declare_on_trigger", "needs alertmanager.platform and alertmanager.room: incidents from PagerDuty are declared where alerts are")
		}
	}
}
