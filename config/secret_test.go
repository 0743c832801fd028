package config_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/muster-bot/muster/config"
)

// secrets sets every secret variable to a value easy to spot in output.
var secrets = map[string]string{
	"SLACK_BOT_TOKEN":           "xoxb-secret-bot-token",
	"SLACK_SIGNING_SECRET":      "secret-signing-secret",
	"SLACK_APP_TOKEN":           "xapp-secret-app-token",
	"TEAMS_APP_ID":              "secret-teams-app-id",
	"TEAMS_APP_PASSWORD":        "secret-teams-password",
	"TEAMS_TENANT_ID":           "secret-teams-tenant",
	"ALERTMANAGER_TOKEN":        "secret-alertmanager-token",
	"ALERT_TOKEN":               "secret-alert-token",
	"WEBHOOK_SECRET":            "secret-webhook-secret",
	"ETCD_PASSWORD":             "secret-etcd-password",
	"MUSTER_API_TOKEN":          "secret-muster-api-token",
	"STATUSPAGE_API_KEY":        "secret-statuspage-api-key",
	"MUSTER_OIDC_CLIENT_SECRET": "secret-oidc-client-secret",
	"JIRA_USER":                 "secret-jira-user@example.com",
	"JIRA_API_TOKEN":            "secret-jira-api-token",
	"JIRA_WEBHOOK_SECRET":       "secret-jira-webhook-secret",
	"GITHUB_TOKEN":              "secret-github-token",
	"GITHUB_WEBHOOK_SECRET":     "secret-github-webhook-secret",
	"PAGERDUTY_API_TOKEN":       "secret-pagerduty-api-token",
	"PAGERDUTY_WEBHOOK_SECRET":  "secret-pagerduty-webhook-secret",
	"OPSGENIE_API_KEY":          "secret-opsgenie-api-key",
}

// secretFields returns the value of every field tagged secret:"true",
// found the same way Redacted finds them, keyed by Go field path.
func secretFields(c *config.Config) map[string]string {
	out := map[string]string{}
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.Tag.Get("secret") == "true" {
				out[prefix+f.Name] = v.Field(i).String()
			}
			if f.Type.Kind() == reflect.Struct {
				walk(v.Field(i), prefix+f.Name+".")
			}
		}
	}
	walk(reflect.ValueOf(c).Elem(), "")
	return out
}

func TestRedactedHidesEverySecret(t *testing.T) {
	yaml := "severities:\n  - name: SEV3\n    notify: [U1]\nteams:\n  team_id: g\nalertmanager:\n  platform: slack\n  room: C1\n"
	c := mustParse(t, yaml, secrets)
	before := fmt.Sprintf("%+v", c)

	r := c.Redacted()
	fields := secretFields(r)
	if len(fields) != len(secrets) {
		t.Errorf("%d secret fields, want one per secret variable (%d): %v", len(fields), len(secrets), fields)
	}
	for name, v := range fields {
		if v != config.Redaction {
			t.Errorf("Redacted().%s = %q, want %q", name, v, config.Redaction)
		}
	}
	for name, v := range secretFields(c) {
		if v == config.Redaction || v == "" {
			t.Errorf("original %s = %q: Redacted changed the original", name, v)
		}
	}
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fmt.Sprintf("%+v", r), fmt.Sprintf("%#v", *r), string(js)} {
		for name, secret := range secrets {
			if strings.Contains(out, secret) {
				t.Errorf("redacted output shows %s:\n%s", name, out)
			}
		}
	}

	// The copy shares no memory with the original.
	r.Severities[0].Notify[0] = "changed"
	*r.Severities[0].WarRoom = false
	r.Roles[0].Name = "changed"
	if after := fmt.Sprintf("%+v", c); after != before || !*c.Severities[0].WarRoom {
		t.Errorf("changing the redacted copy changed the original:\nbefore %s\nafter  %s", before, after)
	}
}

func TestRedactedKeepsUnsetSecretsEmpty(t *testing.T) {
	r := config.Default().Redacted()
	for name, v := range secretFields(r) {
		if v != "" {
			t.Errorf("Redacted().%s = %q for an unset secret, want \"\" so logs show it is not configured", name, v)
		}
	}
	if !reflect.DeepEqual(r, config.Default()) {
		t.Errorf("Redacted() of the defaults = %+v, want the defaults", r)
	}
}

// TestSecretsAreEnvironmentOnly checks the tags that keep secrets out of
// files and logs: a secret is a string read only from the environment,
// and everything read only from the environment is a secret.
func TestSecretsAreEnvironmentOnly(t *testing.T) {
	var walk func(typ reflect.Type, prefix string)
	walk = func(typ reflect.Type, prefix string) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			secret := f.Tag.Get("secret") == "true"
			envOnly := f.Tag.Get("yaml") == "-" && f.Tag.Get("env") != ""
			if secret && (f.Type.Kind() != reflect.String || !envOnly) {
				t.Errorf("secret %s%s must be a string tagged yaml:\"-\" and env", prefix, f.Name)
			}
			if envOnly && !secret {
				t.Errorf("%s%s is read only from the environment but not tagged secret", prefix, f.Name)
			}
			if f.Type.Kind() == reflect.Struct {
				walk(f.Type, prefix+f.Name+".")
			}
		}
	}
	walk(reflect.TypeFor[config.Config](), "")
}
