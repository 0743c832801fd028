package config

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/muster-bot/muster"
)

// Service is one entry of the service catalog (services:) as written in
// the file. See muster.Service for what each field means.
type Service struct {
	// Name is what people type after svc: and `service`: lowercase
	// letters, digits, - and _, so that it is one word in a command and
	// a bounded label in the metrics.
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	Owners      []string          `yaml:"owners"`   // invited to the war room
	Runbooks    []Runbook         `yaml:"runbooks"` // as the top-level runbooks
	Keywords    []string          `yaml:"keywords"` // whole words of a title that name the service
	PagerDuty   *ServicePagerDuty `yaml:"pagerduty"`
	Opsgenie    *ServiceOpsgenie  `yaml:"opsgenie"`
}

// ServicePagerDuty is how a service's on-call is paged through PagerDuty.
// The routing key is a secret, so the file names only the environment
// variable that holds it.
type ServicePagerDuty struct {
	RoutingKeyEnv    string `yaml:"routing_key_env"`    // e.g. PD_KEY_CHECKOUT
	EscalationPolicy string `yaml:"escalation_policy"`  // e.g. P123ABC
	DeclareOnTrigger bool   `yaml:"declare_on_trigger"` // a PagerDuty incident on it declares one here
	// ServiceID is the PagerDuty service's id (PSVC123): a webhook names
	// the service by it, so declare_on_trigger needs it.
	ServiceID string `yaml:"service_id"`
}

// ServiceOpsgenie is how a service's on-call is paged through Opsgenie.
type ServiceOpsgenie struct {
	Team     string `yaml:"team"`     // the alert's responder team
	Schedule string `yaml:"schedule"` // whose on-calls are invited
}

var (
	serviceNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	envNameRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// maxServiceName keeps a service name readable in a header and a label.
const maxServiceName = 40

// checkRoutingKeys checks that the variable each service paged through
// PagerDuty names in routing_key_env is set. One that is not is a
// problem: the service could not be paged, which an operator should learn
// at start, not during an incident. The keys stay out of the Config (see
// ServiceCatalog), so no copy of it, logged or not, holds them.
func checkRoutingKeys(c *Config, getenv func(string) string, r *report) {
	for i, svc := range c.Services {
		pd := svc.PagerDuty
		if pd == nil || !envNameRE.MatchString(pd.RoutingKeyEnv) {
			continue // validateServices reports it
		}
		if strings.TrimSpace(getenv(pd.RoutingKeyEnv)) == "" {
			r.addf(fmt.Sprintf("services[%d].pagerduty.routing_key_env", i),
				"the environment variable %s is not set; set it to the service's Events API v2 integration key, or remove pagerduty from %q", pd.RoutingKeyEnv, svc.Name)
		}
	}
}

// validateServices checks the service catalog and normalizes what it
// accepts (trimmed names and words, runbooks' severity names).
func validateServices(c *Config, r *report) {
	seen := map[string]int{}
	ladder := c.SeverityLadder()
	for i := range c.Services {
		s := &c.Services[i]
		p := fmt.Sprintf("services[%d]", i)
		s.Name = strings.TrimSpace(s.Name)
		j, dup := seen[strings.ToLower(s.Name)]
		switch {
		case s.Name == "":
			r.addf(p+".name", "every service needs a name, such as checkout (what people type after svc:)")
		case !serviceNameRE.MatchString(s.Name):
			r.addf(p+".name", "%q must be lowercase letters, digits, - and _, starting with a letter or digit (e.g. %q), so that it is one word in `svc:%s`",
				s.Name, slug(s.Name), slug(s.Name))
		case len(s.Name) > maxServiceName:
			r.addf(p+".name", "%q is %d characters long; keep it to %d or fewer", s.Name, len(s.Name), maxServiceName)
		case dup:
			r.addf(p+".name", "%q is already the name of services[%d] (line %d)", s.Name, j, r.line(fmt.Sprintf("services[%d]", j)))
		default:
			seen[strings.ToLower(s.Name)] = i
		}
		nonEmpty(r, p+".owners", s.Owners)
		for k := range s.Keywords {
			s.Keywords[k] = strings.Join(strings.Fields(s.Keywords[k]), " ")
		}
		nonEmpty(r, p+".keywords", s.Keywords)
		checkRunbooks(r, p+".runbooks", s.Runbooks, ladder)
		if pd := s.PagerDuty; pd != nil {
			pd.RoutingKeyEnv = strings.TrimSpace(pd.RoutingKeyEnv)
			pd.EscalationPolicy = strings.TrimSpace(pd.EscalationPolicy)
			switch {
			case pd.RoutingKeyEnv == "":
				r.addf(p+".pagerduty.routing_key_env", "must name the environment variable that holds the service's Events API v2 integration key, e.g. PD_KEY_%s", envSlug(s.Name))
			case !envNameRE.MatchString(pd.RoutingKeyEnv):
				r.addf(p+".pagerduty.routing_key_env", "%q is not an environment variable's name (letters, digits and _), e.g. PD_KEY_%s; the key itself belongs in that variable, never in the file",
					pd.RoutingKeyEnv, envSlug(s.Name))
			}
			if strings.ContainsFunc(pd.EscalationPolicy, isSpace) {
				r.addf(p+".pagerduty.escalation_policy", "%q is not a PagerDuty id such as P123ABC", pd.EscalationPolicy)
			}
		}
		if og := s.Opsgenie; og != nil {
			og.Team, og.Schedule = strings.TrimSpace(og.Team), strings.TrimSpace(og.Schedule)
			if og.Team == "" {
				r.addf(p+".opsgenie.team", "must name the Opsgenie team that responds to the service's alerts, e.g. %s", s.Name)
			}
		}
	}
	validateComponentServices(c, r)
}

// validateComponentServices checks that each status-page component
// depends on services of the catalog, named as there.
func validateComponentServices(c *Config, r *report) {
	catalog := c.ServiceCatalog(nil)
	for i, comp := range c.StatusPage.Components {
		for j, name := range comp.Services {
			path := fmt.Sprintf("statuspage.components[%d].services[%d]", i, j)
			if svc, ok := catalog.Find(strings.TrimSpace(name)); ok {
				comp.Services[j] = svc.Name
				continue
			}
			r.addf(path, "%q is not a service of the catalog (services:); choose from %s", name, serviceChoices(catalog))
		}
	}
}

func serviceChoices(s muster.Services) string {
	if len(s) == 0 {
		return "none: the catalog is empty"
	}
	return strings.Join(s.Names(), ", ")
}

// ServiceCatalog converts the services for the commands and the pages,
// with each PagerDuty routing key read through getenv (os.Getenv in main;
// nil reads none) from the variable its routing_key_env names.
func (c *Config) ServiceCatalog(getenv func(string) string) muster.Services {
	var out muster.Services
	for _, s := range c.Services {
		svc := muster.Service{
			Name: s.Name, Description: s.Description,
			Owners:   append([]string(nil), s.Owners...),
			Runbooks: runbookList(s.Runbooks),
			Keywords: append([]string(nil), s.Keywords...),
		}
		if pd := s.PagerDuty; pd != nil {
			svc.PagerDuty = &muster.PagerDutyService{
				RoutingKey: routingKey(getenv, pd.RoutingKeyEnv), EscalationPolicy: pd.EscalationPolicy, DeclareOnTrigger: pd.DeclareOnTrigger,
				ServiceID: pd.ServiceID,
			}
		}
		if og := s.Opsgenie; og != nil {
			svc.Opsgenie = &muster.OpsgenieService{Team: og.Team, Schedule: og.Schedule}
		}
		out = append(out, svc)
	}
	return out
}

func routingKey(getenv func(string) string, name string) string {
	if getenv == nil {
		return ""
	}
	return strings.TrimSpace(getenv(name))
}

// slug suggests a valid service name for a bad one.
func slug(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(name)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case b.Len() > 0:
			b.WriteRune('-')
		}
	}
	if s := strings.Trim(b.String(), "-"); s != "" {
		return s
	}
	return "checkout"
}

func envSlug(name string) string {
	return strings.ToUpper(strings.ReplaceAll(slug(name), "-", "_"))
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' }
