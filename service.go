package muster

import (
	"slices"
	"strings"
	"time"
	"unicode"
)

// Service is one entry of the service catalog: what an incident can
// affect, who owns it, and how its on-call is paged.
type Service struct {
	Name        string
	Description string
	Owners      []string  // chat users or groups invited to the war room
	Runbooks    []Runbook // offered in the war room, as the top-level runbooks
	// Keywords, matched as whole words against titles and alert labels,
	// name the service when a declaration names none.
	Keywords  []string
	PagerDuty *PagerDutyService // nil: not paged through PagerDuty
	Opsgenie  *OpsgenieService  // nil: not paged through Opsgenie
}

// PagerDutyService is how a service's on-call is paged through PagerDuty.
type PagerDutyService struct {
	RoutingKey       string // the Events API v2 integration key, read from routing_key_env
	EscalationPolicy string // whose on-calls are invited to the war room
	DeclareOnTrigger bool   // a PagerDuty incident triggered on it declares one here
	ServiceID        string // the PagerDuty service's id, as its webhooks name it
}

// OpsgenieService is how a service's on-call is paged through Opsgenie.
type OpsgenieService struct {
	Team     string // the alert's responder team
	Schedule string // whose on-calls are invited to the war room
}

// Services is the catalog, in the order of the configuration.
type Services []Service

// Find returns the service named name (case-insensitive).
func (s Services) Find(name string) (Service, bool) {
	i := slices.IndexFunc(s, func(svc Service) bool { return strings.EqualFold(svc.Name, name) })
	if i < 0 {
		return Service{}, false
	}
	return s[i], true
}

// Names are the services' names, for replies listing the valid choices.
func (s Services) Names() []string {
	out := make([]string, len(s))
	for i, svc := range s {
		out[i] = svc.Name
	}
	return out
}

// Lookup finds the services words name (case-insensitive), as the catalog
// spells them, without repeats. A word that names none is EINVALID,
// naming the valid choices.
func (s Services) Lookup(words []string) ([]string, error) {
	var names []string
	for _, w := range words {
		svc, ok := s.Find(w)
		if !ok {
			if len(s) == 0 {
				return nil, Errorf(EINVALID, "%q is not a service: no services are configured (services: in the config).", w)
			}
			return nil, Errorf(EINVALID, "%q is not a service. Services: %s.", w, strings.Join(s.Names(), ", "))
		}
		if !slices.Contains(names, svc.Name) {
			names = append(names, svc.Name)
		}
	}
	return names, nil
}

// Known keeps the words that name a service of the catalog.
func (s Services) Known(words []string) []string {
	var out []string
	for _, w := range words {
		if _, ok := s.Find(w); ok {
			out = append(out, w)
		}
	}
	return out
}

// Match returns the services one of whose keywords is in text as whole
// words (a keyword of several words as those words in a row), ignoring
// case, in the catalog's order: "checkout" matches "Checkout is down"
// but not "checkouts" or "pre-checkout-ish" spelled as one word.
func (s Services) Match(text string) []string {
	words := matchWords(text)
	var names []string
	for _, svc := range s {
		for _, k := range svc.Keywords {
			if kw := matchWords(k); len(kw) > 0 && containsRun(words, kw) {
				names = append(names, svc.Name)
				break
			}
		}
	}
	return names
}

// Owners lists the owners of the named services, without repeats.
func (s Services) Owners(names []string) []string {
	var owners []string
	for _, name := range names {
		svc, _ := s.Find(name)
		for _, o := range svc.Owners {
			if !slices.Contains(owners, o) {
				owners = append(owners, o)
			}
		}
	}
	return owners
}

// matchWords splits text into lowercase words of letters and digits.
func matchWords(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

func containsRun(words, run []string) bool {
	for i := 0; i+len(run) <= len(words); i++ {
		if slices.Equal(words[i:i+len(run)], run) {
			return true
		}
	}
	return false
}

// AddServices adds the named services (catalog names; the caller checks
// them) to those the incident affects, and returns the timeline entry and
// the services that were new. Naming only services already there is
// ECONFLICT.
func (inc *Incident) AddServices(names []string, by string, at time.Time) (Entry, []string, error) {
	var added []string
	for _, name := range names {
		if !slices.Contains(inc.Services, name) && !slices.Contains(added, name) {
			added = append(added, name)
		}
	}
	if len(added) == 0 {
		return Entry{}, nil, Errorf(ECONFLICT, "%s already affects %s.", inc.Ref(), strings.Join(names, ", "))
	}
	inc.Services = append(inc.Services, added...)
	inc.Join(by)
	return Entry{Kind: EntryService, At: at, Actor: by, Text: servicesAdded + strings.Join(added, ", "), Key: true}, added, nil
}

// RemoveServices takes the named services off those the incident
// affects: one named by mistake, or matched by a keyword it should not
// have been. Naming one it does not affect is ECONFLICT.
func (inc *Incident) RemoveServices(names []string, by string, at time.Time) (Entry, error) {
	for _, name := range names {
		if !slices.Contains(inc.Services, name) {
			return Entry{}, Errorf(ECONFLICT, "%s does not affect %s; its services: %s.", inc.Ref(), name, inc.ServiceList())
		}
	}
	inc.Services = slices.DeleteFunc(inc.Services, func(s string) bool { return slices.Contains(names, s) })
	inc.Join(by)
	return Entry{Kind: EntryService, At: at, Actor: by, Text: servicesRemoved + strings.Join(names, ", ")}, nil
}

// ServiceList is the affected services for a message, "none" when none.
func (inc *Incident) ServiceList() string {
	if len(inc.Services) == 0 {
		return "none"
	}
	return strings.Join(inc.Services, ", ")
}

// The texts of the entries that change an incident's services. Nothing
// else records the services at a past entry, so ServicesAfter reads them
// back from these.
const (
	servicesAdded    = "Services affected: added "
	servicesRemoved  = "Services affected: removed "
	declaredServices = " · services: "
)

// DeclaredServices sets the services of a new incident and says so in
// its declared entry.
func (inc *Incident) DeclaredServices(declared *Entry, names []string) {
	if len(names) == 0 {
		return
	}
	inc.Services = slices.Clone(names)
	declared.Text += declaredServices + strings.Join(names, ", ")
}

// ServicesAfter returns the services an incident affects after entry e,
// given those it affected before: replaying a timeline with it tells the
// services as of any entry.
func ServicesAfter(before []string, e Entry) []string {
	switch e.Kind {
	case EntryDeclared:
		if _, list, ok := strings.Cut(e.Text, declaredServices); ok {
			return strings.Split(list, ", ")
		}
		return nil
	case EntryService:
		if list, ok := strings.CutPrefix(e.Text, servicesAdded); ok {
			return append(slices.Clone(before), strings.Split(list, ", ")...)
		}
		if list, ok := strings.CutPrefix(e.Text, servicesRemoved); ok {
			removed := strings.Split(list, ", ")
			return slices.DeleteFunc(slices.Clone(before), func(s string) bool { return slices.Contains(removed, s) })
		}
	}
	return before
}

// MTBF is the mean time between failures of one service: the mean gap
// between the starts of its consecutive incidents, which is the span
// from the first start to the last over the gaps between them. ok is
// false with fewer than two incidents, when there is no gap to measure.
func MTBF(starts []time.Time) (mtbf time.Duration, ok bool) {
	if len(starts) < 2 {
		return 0, false
	}
	first, last := slices.MinFunc(starts, time.Time.Compare), slices.MaxFunc(starts, time.Time.Compare)
	return last.Sub(first) / time.Duration(len(starts)-1), true
}
