package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const catalogConfig = `services:
  - name: checkout
    pagerduty: {routing_key_env: PD_KEY_CHECKOUT, escalation_policy: P123ABC}
    opsgenie: {team: checkout-team}
  - name: search
`

// TestSimulateWouldPage: with --services, the simulation says whom the
// declaration would page, from the catalog and the severity's page.
func TestSimulateWouldPage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "muster.yaml")
	if err := os.WriteFile(path, []byte(catalogConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string { return map[string]string{"PD_KEY_CHECKOUT": "k", "OPSGENIE_API_KEY": "og"}[k] }
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--severity", "sev1", "--services", "checkout,search"}, 0,
			"  0:00  declared\n  0:00  would page the on-call of checkout through PagerDuty (critical, escalation policy P123ABC) and Opsgenie (team checkout-team); search through nobody: no pagerduty or opsgenie configured\n" +
				"        (within 10s, at the next check; who is on call is invited; a failing page is retried until 0:15, then given up; resolving resolves it)\n"},
		{[]string{"--severity", "sev3", "--services", "checkout"}, 0, "  0:00  declared\n  0:00  pages nobody: SEV3 has page: false (an upgrade to SEV2 would, and `page <service>` does)\n"},
		{[]string{"--severity", "sev1", "--services", "billing"}, 2, `--services: "billing" is not a service. Services: checkout, search.`},
	} {
		var out, errs bytes.Buffer
		args := append([]string{"simulate", "--config", path, "--for", "1h"}, tc.args...)
		code := run(context.Background(), args, strings.NewReader(""), &out, &errs, getenv)
		if code != tc.code || !strings.Contains(out.String()+errs.String(), tc.want) {
			t.Errorf("muster %s: exit %d\n%s%s\nwant exit %d with %q", strings.Join(args, " "), code, out.String(), errs.String(), tc.code, tc.want)
		}
	}
	// Without the routing key's variable, the config is refused with its line.
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"check-config", "--config", path}, strings.NewReader(""), &out, &errs, func(string) string { return "" }); code == 0 ||
		!strings.Contains(errs.String()+out.String(), "muster.yaml:3: services[0].pagerduty.routing_key_env: the environment variable PD_KEY_CHECKOUT is not set") {
		t.Errorf("check-config without PD_KEY_CHECKOUT: exit %d\n%s%s", code, out.String(), errs.String())
	}
}
