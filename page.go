package muster

import (
	"fmt"
	"slices"
	"time"
)

// SourcePagerDuty is Incident.Source for an incident declared because
// PagerDuty triggered one on a service with declare_on_trigger.
const SourcePagerDuty = "pagerduty"

// The paging providers, as PageRecord.Provider names them.
const (
	ProviderPagerDuty = "pagerduty"
	ProviderOpsgenie  = "opsgenie"
)

// ProviderName is how people read a provider's name.
func ProviderName(provider string) string {
	switch provider {
	case ProviderPagerDuty:
		return "PagerDuty"
	case ProviderOpsgenie:
		return "Opsgenie"
	}
	return provider
}

// PageState is where one page of a service's on-call stands.
type PageState string

const (
	PageQueued       PageState = "queued"       // to be sent (a trigger waits in the outbox)
	PageTriggered    PageState = "triggered"    // the provider took it
	PageAcknowledged PageState = "acknowledged" // the on-call acknowledged it
	PageResolving    PageState = "resolving"    // to be resolved (a resolve waits in the outbox)
	PageResolved     PageState = "resolved"     // resolved at the provider
	PageFailed       PageState = "failed"       // given up: the provider never took it
)

// PageRecord is what was paged about an incident: one service's on-call
// through one provider. There is at most one record per service and
// provider; its Key is the same for every page of them (see paging.Key).
type PageRecord struct {
	Service  string    `json:"service"`
	Provider string    `json:"provider"`
	Key      string    `json:"key,omitempty"` // "" for a page muster did not send (PagerDuty's own, which declared the incident)
	State    PageState `json:"state"`
	At       time.Time `json:"at"`                // when it reached State
	By       string    `json:"by,omitempty"`      // who asked with `page`; "" for the severity
	Message  string    `json:"message,omitempty"` // what they added
}

// Pageable reports whether a service can be paged: it has a provider.
func (s Service) Pageable() bool { return s.PagerDuty != nil || s.Opsgenie != nil }

// Providers are the providers a service is paged through.
func (s Service) Providers() []string {
	var out []string
	if s.PagerDuty != nil {
		out = append(out, ProviderPagerDuty)
	}
	if s.Opsgenie != nil {
		out = append(out, ProviderOpsgenie)
	}
	return out
}

// PageOf returns the record of the page of service through provider, nil
// when there is none.
func (inc *Incident) PageOf(service, provider string) *PageRecord {
	i := slices.IndexFunc(inc.Pages, func(p PageRecord) bool { return p.Service == service && p.Provider == provider })
	if i < 0 {
		return nil
	}
	return &inc.Pages[i]
}

// QueuePages records the pages an open incident of a paging severity
// owes: one per affected service and provider not paged yet, which
// covers the declaration, an upgrade into such a severity and a service
// added later. A closed incident's pages that reached the provider (or
// may have) are to be resolved. key makes a page's key. It reports
// whether anything changed.
func (inc *Incident) QueuePages(sev Severity, catalog Services, key func(id int, service string) string, at time.Time) bool {
	changed := false
	if !inc.MayPage() {
		return false
	}
	if !inc.Open() {
		for i := range inc.Pages {
			p := &inc.Pages[i]
			if p.Key != "" && (p.State == PageQueued || p.State == PageTriggered || p.State == PageAcknowledged) {
				p.State, p.At = PageResolving, at
				changed = true
			}
		}
		return changed
	}
	// The on-call of the service PagerDuty declared this incident for was
	// paged by PagerDuty already: recorded as such, never paged again.
	external := inc.Source == SourcePagerDuty && len(inc.Pages) == 0
	if !sev.Page && !external {
		return false
	}
	for _, name := range inc.Services {
		svc, ok := catalog.Find(name)
		if !ok {
			continue
		}
		for _, provider := range svc.Providers() {
			if inc.PageOf(svc.Name, provider) != nil {
				continue
			}
			rec := PageRecord{Service: svc.Name, Provider: provider, Key: key(inc.ID, svc.Name), State: PageQueued, At: at}
			switch {
			case external && provider == ProviderPagerDuty:
				rec.Key, rec.State = "", PageTriggered
			case !sev.Page:
				continue
			}
			inc.Pages = append(inc.Pages, rec)
			changed = true
		}
	}
	return changed
}

// RequestPage records `page <service> [message]`: every provider of svc
// pages its on-call again, now, whatever the severity. A page still open
// at the provider is added to rather than sent twice (the key is the
// same). It returns the timeline entry.
func (inc *Incident) RequestPage(svc Service, key string, by, message string, at time.Time) (Entry, error) {
	if !inc.Open() {
		return Entry{}, Errorf(ECONFLICT, "%s is resolved; reopen it to page anyone.", inc.Ref())
	}
	if !inc.MayPage() {
		return Entry{}, Errorf(EINVALID, "%s is a drill: it pages nobody. Bring people into the rehearsal by mentioning them in the war room.", inc.Ref())
	}
	if !svc.Pageable() {
		return Entry{}, Errorf(EINVALID, "%s has no pagerduty or opsgenie in the service catalog, so its on-call cannot be paged.", svc.Name)
	}
	for _, provider := range svc.Providers() {
		rec := PageRecord{Service: svc.Name, Provider: provider, Key: key, State: PageQueued, At: at, By: by, Message: message}
		if p := inc.PageOf(svc.Name, provider); p != nil {
			*p = rec
		} else {
			inc.Pages = append(inc.Pages, rec)
		}
	}
	inc.Join(by)
	text := fmt.Sprintf("Paging %s's on-call", svc.Name)
	if message != "" {
		text += ": " + message
	}
	return Entry{Kind: EntryPage, At: at, Actor: by, Text: text}, nil
}

// Waiting reports whether a page's record asks for a call to its
// provider: a trigger (queued) or a resolve (resolving).
func (p PageRecord) Waiting() bool { return p.State == PageQueued || p.State == PageResolving }
