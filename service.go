package muster

import (
	"slices"
	"strings"
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
