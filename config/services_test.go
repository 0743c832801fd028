package config_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/config"
)

const catalogYAML = `services:
  - name: checkout
    description: Cart and payment
    owners: ["S0CHECKOUT", U024BE7LH]
    keywords: [checkout, " shopping   cart "]
    runbooks:
      - {title: Checkout runbook, url: "https://wiki.example.com/checkout", severities: [sev1]}
    pagerduty:
      routing_key_env: PD_KEY_CHECKOUT
      escalation_policy: P123ABC
      declare_on_trigger: true
      service_id: PSVC123
    opsgenie: {team: checkout, schedule: checkout_schedule}
  - name: payments
statuspage:
  components:
    - {name: Checkout, services: [CHECKOUT, payments]}
alertmanager: {platform: slack, room: C1}
`

func TestServiceCatalog(t *testing.T) {
	getenv := env(map[string]string{"PD_KEY_CHECKOUT": " r0uting-key\n", "OPSGENIE_API_KEY": "og", "PAGERDUTY_WEBHOOK_SECRET": "whsec"})
	c, err := config.Parse([]byte(catalogYAML), "muster.yaml", getenv)
	if err != nil {
		t.Fatal(err)
	}
	want := muster.Services{
		{
			Name: "checkout", Description: "Cart and payment",
			Owners:    []string{"S0CHECKOUT", "U024BE7LH"},
			Keywords:  []string{"checkout", "shopping cart"},
			Runbooks:  []muster.Runbook{{Title: "Checkout runbook", URL: "https://wiki.example.com/checkout", Severities: []string{"SEV1"}}},
			PagerDuty: &muster.PagerDutyService{RoutingKey: "r0uting-key", EscalationPolicy: "P123ABC", DeclareOnTrigger: true, ServiceID: "PSVC123"},
			Opsgenie:  &muster.OpsgenieService{Team: "checkout", Schedule: "checkout_schedule"},
		},
		{Name: "payments"},
	}
	got := c.ServiceCatalog(getenv)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("catalog = %+v\nwant      %+v", got, want)
	}
	// A component names services as the catalog spells them.
	if got := strings.Join(c.StatusPage.Components[0].Services, ","); got != "checkout,payments" {
		t.Errorf("component services = %q", got)
	}
	// The routing key is nowhere in the Config, so no copy of it leaks it.
	if strings.Contains(fmtConfig(c), "r0uting-key") {
		t.Error("the config holds the routing key")
	}
}

func TestServiceProblems(t *testing.T) {
	const one = "services:\n  - name: checkout\n" // lines 1-2
	for _, tc := range []struct {
		name string
		yaml string
		env  map[string]string
		line int
		key  string
		msg  string
	}{
		{"no name", "services:\n  - description: x\n", nil, 2, "services[0].name", "every service needs a name"},
		{"capitals", "services:\n  - name: Check Out\n", nil, 2, "services[0].name", `"Check Out" must be lowercase letters, digits, - and _, starting with a letter or digit (e.g. "check-out")`},
		{"comma", "services:\n  - name: a,b\n", nil, 2, "services[0].name", "must be lowercase"},
		{"too long", "services:\n  - name: " + strings.Repeat("a", 41) + "\n", nil, 2, "services[0].name", "keep it to 40 or fewer"},
		{"twice", one + "  - name: checkout\n", nil, 3, "services[1].name", `"checkout" is already the name of services[0] (line 2)`},
		{"empty owner", one + "    owners: [U1, '']\n", nil, 3, "services[0].owners[1]", "is empty"},
		{"empty keyword", one + "    keywords: ['  ']\n", nil, 3, "services[0].keywords[0]", "is empty"},
		{"runbook without url", one + "    runbooks:\n      - title: x\n", nil, 4, "services[0].runbooks[0].url", "is not an http(s) URL"},
		{"runbook severity", one + "    runbooks:\n      - {title: x, url: 'https://x.example', severities: [sev9]}\n", nil, 4,
			"services[0].runbooks[0].severities[0]", `"sev9" is not a configured severity`},
		{"pagerduty without key variable", one + "    pagerduty:\n      escalation_policy: P1\n", nil, 3,
			"services[0].pagerduty.routing_key_env", "must name the environment variable that holds the service's Events API v2 integration key, e.g. PD_KEY_CHECKOUT"},
		{"key in the file", one + "    pagerduty:\n      routing_key_env: R0123456789abcdef-xyz\n", nil, 4,
			"services[0].pagerduty.routing_key_env", "is not an environment variable's name"},
		{"key variable unset", one + "    pagerduty:\n      routing_key_env: PD_KEY_CHECKOUT\n", nil, 4,
			"services[0].pagerduty.routing_key_env", "the environment variable PD_KEY_CHECKOUT is not set"},
		{"escalation policy with spaces", one + "    pagerduty:\n      routing_key_env: PD\n      escalation_policy: Checkout team\n", map[string]string{"PD": "k"}, 5,
			"services[0].pagerduty.escalation_policy", "is not a PagerDuty id"},
		{"opsgenie without team", one + "    opsgenie:\n      schedule: s\n", map[string]string{"OPSGENIE_API_KEY": "k"}, 3, "services[0].opsgenie.team", "must name the Opsgenie team"},
		{"opsgenie without its key", one + "    opsgenie:\n      team: checkout\n", nil, 3, "services[0].opsgenie",
			`"checkout" is paged through Opsgenie, but OPSGENIE_API_KEY is not set`},
		{"declare on trigger without service id", one + "    pagerduty:\n      routing_key_env: PD\n      declare_on_trigger: true\n",
			map[string]string{"PD": "k", "PAGERDUTY_WEBHOOK_SECRET": "s"}, 5, "services[0].pagerduty.declare_on_trigger", "needs service_id"},
		{"declare on trigger without webhook secret", one + "    pagerduty:\n      routing_key_env: PD\n      service_id: PSVC1\n      declare_on_trigger: true\n",
			map[string]string{"PD": "k"}, 6, "services[0].pagerduty.declare_on_trigger", "needs PAGERDUTY_WEBHOOK_SECRET"},
		{"one pagerduty service twice", one + "    pagerduty: {routing_key_env: PD, service_id: PSVC1}\n  - name: payments\n    pagerduty: {routing_key_env: PD, service_id: PSVC1}\n",
			map[string]string{"PD": "k"}, 5, "services[1].pagerduty.service_id", `"PSVC1" is already the PagerDuty service of services[0] (line 2)`},
		{"events url", "pagerduty:\n  events_url: events.pagerduty.com\n", nil, 2, "pagerduty.events_url", "is not an http(s) URL"},
		{"unknown key", one + "    routing_key: abc\n", nil, 3, "services[0].routing_key", "unknown key"},
		{"component of an unknown service", one + "statuspage:\n  components:\n    - {name: API, services: [checkout, billing]}\n", nil, 5,
			"statuspage.components[0].services[1]", `"billing" is not a service of the catalog (services:); choose from checkout`},
		{"component without a catalog", "statuspage:\n  components:\n    - {name: API, services: [api]}\n", nil, 3,
			"statuspage.components[0].services[0]", "choose from none: the catalog is empty"},
		{"pagerduty severity", "default_severity: SEV1\nseverities:\n  - name: SEV1\n    pagerduty_severity: high\n", nil, 4,
			"severities[0].pagerduty_severity", `"high" is not a PagerDuty event severity; choose one of: critical, error, warning, info`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.yaml), "muster.yaml", env(tc.env))
			want := config.Problem{File: "muster.yaml", Line: tc.line, Key: tc.key}
			assertProblems(t, err, []config.Problem{want}, []string{tc.msg})
		})
	}
}

func TestSeverityPaging(t *testing.T) {
	c := mustParse(t, "severities:\n  - {name: SEV1, page: false, pagerduty_severity: ' Warning '}\n  - {name: SEV2}\n  - {name: SEV3, page: true}\n", nil)
	ladder := c.SeverityLadder()
	for i, want := range []struct {
		page bool
		pd   string
	}{{false, "warning"}, {true, "error"}, {true, "warning"}} {
		if ladder[i].Page != want.page || ladder[i].PagerDutySeverity != want.pd {
			t.Errorf("%s: page %v, pagerduty_severity %q; want %v, %q", ladder[i].Name, ladder[i].Page, ladder[i].PagerDutySeverity, want.page, want.pd)
		}
	}
}

func fmtConfig(c *config.Config) string {
	data, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	return string(data)
}
