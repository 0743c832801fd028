package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
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
	// https://muster.example.com), for links muster writes elsewhere and
	// for sign-in's redirect URL, <public_url>/auth/callback.
	PublicURL string `yaml:"public_url"`
	// APIToken is the bearer token of /api/v1/…; without it the API is
	// not served.
	APIToken string `yaml:"-" env:"MUSTER_API_TOKEN" secret:"true"`
	// OIDC signs people in to the pages with OpenID Connect.
	OIDC OIDC `yaml:"oidc"`
}

// OIDC is the OpenID Connect provider people sign in with: Slack's "Sign
// in with Slack", Microsoft Entra ID, or any other.
type OIDC struct {
	// Issuer is the provider's issuer URL, whose
	// /.well-known/openid-configuration describes it, e.g.
	// https://slack.com or https://login.microsoftonline.com/<tenant>/v2.0.
	Issuer   string `yaml:"issuer"`
	ClientID string `yaml:"client_id"`
	// ClientSecret is the client's secret at the provider. The session
	// cookies are signed with a key derived from it, so every replica
	// shares them without a setting of its own.
	ClientSecret string `yaml:"-" env:"MUSTER_OIDC_CLIENT_SECRET" secret:"true"`
	// AllowedDomains are the e-mail domains that may sign in (e.g.
	// example.com); empty, any verified e-mail the issuer vouches for.
	AllowedDomains []string `yaml:"allowed_domains"`
}

// SignIn reports whether the pages sign people in.
func (w Web) SignIn() bool { return w.OIDC.Issuer != "" }

// domainRE is a DNS name of at least two labels, lowercase.
var domainRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

func validateWeb(c *Config, r *report) {
	if u := c.Web.PublicURL; u != "" {
		if checkURL(r, "web.public_url", u, "https://muster.example.com") {
			c.Web.PublicURL = strings.TrimRight(u, "/")
		}
	}
	o := &c.Web.OIDC
	if o.Issuer == "" {
		switch {
		case o.ClientID != "":
			r.addf("web.oidc.issuer", "web.oidc.client_id is set but no issuer; give the provider's issuer URL, e.g. https://slack.com or https://login.microsoftonline.com/<tenant>/v2.0")
		case len(o.AllowedDomains) > 0:
			r.addf("web.oidc.issuer", "web.oidc.allowed_domains is set but no issuer; give the provider's issuer URL, e.g. https://slack.com")
		}
		return
	}
	checkURL(r, "web.oidc.issuer", o.Issuer, "https://slack.com")
	if o.ClientID == "" {
		r.addf("web.oidc.client_id", "web.oidc.issuer is set but no client_id; give the client (app) id the provider issued for muster")
	}
	if o.ClientSecret == "" {
		r.envf("MUSTER_OIDC_CLIENT_SECRET", "is not set, but web.oidc.issuer is; set it to the client secret the provider issued for muster")
	}
	if c.Web.PublicURL == "" {
		r.addf("web.public_url", "web.oidc is set but web.public_url is not; give the address people open, e.g. https://muster.example.com (the provider redirects to <public_url>/auth/callback)")
	} else if u, err := url.Parse(c.Web.PublicURL); err == nil && u.Path != "" && u.Path != "/" {
		r.addf("web.public_url", "%q has a path; muster serves its pages at the root of a host, so give only scheme and host, e.g. https://muster.example.com", c.Web.PublicURL)
	}
	for i, d := range o.AllowedDomains {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if !domainRE.MatchString(d) {
			r.addf(fmt.Sprintf("web.oidc.allowed_domains[%d]", i), "%q is not an e-mail domain; write it as example.com", o.AllowedDomains[i])
			continue
		}
		o.AllowedDomains[i] = d
	}
}

// PagesRefused says why muster must not serve its pages on addr (the
// address http.listen resolved to), or nil. With no sign-in the pages
// show every non-private incident to whoever reaches them, so they are
// served on a loopback address only; with sign-in, anywhere.
func (c *Config) PagesRefused(addr string) error {
	if !c.Web.Enabled || c.Web.SignIn() || Loopback(addr) {
		return nil
	}
	return fmt.Errorf("http.listen is %q, which is not a loopback address, and the incident pages have no sign-in: "+
		"configure web.oidc (issuer, client_id, MUSTER_OIDC_CLIENT_SECRET, web.public_url), set web.enabled: false to serve no pages there, "+
		"or listen on 127.0.0.1 (e.g. http.listen: 127.0.0.1:8080)", addr)
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
