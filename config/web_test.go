package config_test

import (
	"strings"
	"testing"

	"github.com/muster-bot/muster/config"
)

func TestWebSettings(t *testing.T) {
	c := mustParse(t, "", nil)
	if !c.Web.Enabled || c.Web.PublicURL != "" || c.Web.APIToken != "" {
		t.Errorf("default web = %+v, want enabled, no public URL, no token", c.Web)
	}
	c = mustParse(t, "web:\n  enabled: false\n  public_url: https://muster.example.com\n", map[string]string{"MUSTER_API_TOKEN": "tok"})
	if c.Web.Enabled || c.Web.PublicURL != "https://muster.example.com" || c.Web.APIToken != "tok" {
		t.Errorf("web = %+v", c.Web)
	}
	_, err := config.Parse([]byte("web:\n  public_url: muster.example.com\n"), "m.yaml", nil)
	assertProblems(t, err, []config.Problem{{File: "m.yaml", Line: 2, Key: "web.public_url"}}, []string{"not an http(s) URL (example: https://muster.example.com)"})
}

// TestPagesRefusedOffLoopback: without sign-in the pages are served on a
// loopback address only; anywhere else muster must refuse, naming the
// ways out. With sign-in, anywhere.
func TestPagesRefusedOffLoopback(t *testing.T) {
	for _, tc := range []struct {
		addr    string
		enabled bool
		refused bool
		signIn  bool
	}{
		{"127.0.0.1:8080", true, false, false},
		{"127.0.0.2:0", true, false, false},
		{"[::1]:8080", true, false, false},
		{"localhost:8080", true, false, false},
		{":8080", true, true, false},
		{"0.0.0.0:8080", true, true, false},
		{"[::]:8080", true, true, false},
		{"10.1.2.3:8080", true, true, false},
		{"muster.internal:8080", true, true, false},
		{":8080", false, false, false},
		{":8080", true, false, true},
		{"10.1.2.3:8080", true, false, true},
	} {
		c := config.Default()
		c.Web.Enabled = tc.enabled
		if tc.signIn {
			c.Web.OIDC.Issuer = "https://slack.com"
		}
		err := c.PagesRefused(tc.addr)
		if (err != nil) != tc.refused {
			t.Errorf("PagesRefused(%q) with web.enabled %v, sign-in %v = %v, want refused %v", tc.addr, tc.enabled, tc.signIn, err, tc.refused)
		}
		if err != nil && (!strings.Contains(err.Error(), "web.enabled: false") || !strings.Contains(err.Error(), "127.0.0.1") || !strings.Contains(err.Error(), "web.oidc")) {
			t.Errorf("refusal %q does not name the three ways out", err)
		}
	}
}

// TestOIDCSettings: sign-in reads its keys and secret, normalizes the
// domains, and names what is missing or wrong, line by line.
func TestOIDCSettings(t *testing.T) {
	const good = "web:\n  public_url: https://muster.example.com/\n  oidc:\n    issuer: https://slack.com\n    client_id: \"123.456\"\n    allowed_domains: [Example.COM, \"@corp.example.org\"]\n"
	c := mustParse(t, good, map[string]string{"MUSTER_OIDC_CLIENT_SECRET": "s3cret"})
	o := c.Web.OIDC
	if !c.Web.SignIn() || o.Issuer != "https://slack.com" || o.ClientID != "123.456" || o.ClientSecret != "s3cret" ||
		strings.Join(o.AllowedDomains, ",") != "example.com,corp.example.org" || c.Web.PublicURL != "https://muster.example.com" {
		t.Errorf("web = %+v", c.Web)
	}
	if r := c.Redacted(); r.Web.OIDC.ClientSecret != config.Redaction {
		t.Errorf("redacted client secret = %q", r.Web.OIDC.ClientSecret)
	}
	for _, tc := range []struct {
		name, yaml string
		env        map[string]string
		want       []config.Problem
		msgs       []string
	}{
		{"no public_url, client_id or secret", "web:\n  oidc:\n    issuer: https://slack.com\n", nil,
			[]config.Problem{{File: "m.yaml", Line: 1, Key: "web.public_url"}, {File: "m.yaml", Line: 2, Key: "web.oidc.client_id"}, {File: "environment", Key: "MUSTER_OIDC_CLIENT_SECRET"}},
			[]string{"web.public_url is not", "no client_id", "is not set, but web.oidc.issuer is"}},
		{"bad issuer and domain", "web:\n  public_url: https://m.example.com\n  oidc:\n    issuer: slack.com\n    client_id: c\n    allowed_domains: [\"not a domain\"]\n",
			map[string]string{"MUSTER_OIDC_CLIENT_SECRET": "s"},
			[]config.Problem{{File: "m.yaml", Line: 4, Key: "web.oidc.issuer"}, {File: "m.yaml", Line: 6, Key: "web.oidc.allowed_domains[0]"}},
			[]string{"not an http(s) URL (example: https://slack.com)", "write it as example.com"}},
		{"client_id without issuer", "web:\n  oidc:\n    client_id: c\n", nil,
			[]config.Problem{{File: "m.yaml", Line: 2, Key: "web.oidc.issuer"}}, []string{"client_id is set but no issuer"}},
		{"public_url with a path", "web:\n  public_url: https://example.com/muster\n  oidc:\n    issuer: https://slack.com\n    client_id: c\n",
			map[string]string{"MUSTER_OIDC_CLIENT_SECRET": "s"},
			[]config.Problem{{File: "m.yaml", Line: 2, Key: "web.public_url"}}, []string{"has a path"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.yaml), "m.yaml", func(k string) string { return tc.env[k] })
			assertProblems(t, err, tc.want, tc.msgs)
		})
	}
}
