package config

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// Web configures muster's incident pages and JSON API, served on
// http.listen.
type Web struct {
	// Enabled serves the pages (default true). Until sign-in is
	// configured they show every non-private incident to whoever reaches
	// them, so they are served only on a loopback http.listen.
	Enabled bool `yaml:"enabled"`
	// PublicURL is where people reach the pages (e.g.
	// https://muster.example.com), for links muster writes elsewhere.
	PublicURL string `yaml:"public_url"`
	// APIToken is the bearer token of /api/v1/…; without it the API is
	// not served.
	APIToken string `yaml:"-" env:"MUSTER_API_TOKEN" secret:"true"`
}

func validateWeb(c *Config, r *report) {
	if u := c.Web.PublicURL; u != "" {
		checkURL(r, "web.public_url", u, "https://muster.example.com")
	}
}

// PagesRefused says why muster must not serve its pages on addr (the
// address http.listen resolved to), or nil. With no sign-in the pages
// show every non-private incident to whoever reaches them, so they are
// served on a loopback address only.
func (c *Config) PagesRefused(addr string) error {
	if !c.Web.Enabled || Loopback(addr) {
		return nil
	}
	return fmt.Errorf("http.listen is %q, which is not a loopback address, and the incident pages have no sign-in yet: "+
		"set web.enabled: false to serve no pages there, or listen on 127.0.0.1 (e.g. http.listen: 127.0.0.1:8080) and reach the pages through a proxy that signs people in", addr)
}

// Loopback reports whether the host of the host:port addr is a loopback
// address or localhost; an empty host (all interfaces) is not.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
