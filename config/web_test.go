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
// loopback address only; anywhere else muster must refuse, naming both
// ways out.
func TestPagesRefusedOffLoopback(t *testing.T) {
	for _, tc := range []struct {
		addr    string
		enabled bool
		refused bool
	}{
		{"127.0.0.1:8080", true, false},
		{"127.0.0.2:0", true, false},
		{"[::1]:8080", true, false},
		{"localhost:8080", true, false},
		{":8080", true, true},
		{"0.0.0.0:8080", true, true},
		{"[::]:8080", true, true},
		{"10.1.2.3:8080", true, true},
		{"muster.internal:8080", true, true},
		{":8080", false, false},
	} {
		c := config.Default()
		c.Web.Enabled = tc.enabled
		err := c.PagesRefused(tc.addr)
		if (err != nil) != tc.refused {
			t.Errorf("PagesRefused(%q) with web.enabled %v = %v, want refused %v", tc.addr, tc.enabled, err, tc.refused)
		}
		if err != nil && (!strings.Contains(err.Error(), "web.enabled: false") || !strings.Contains(err.Error(), "127.0.0.1")) {
			t.Errorf("refusal %q does not name both ways out", err)
		}
	}
}
