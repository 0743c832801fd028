// Package redact hides the secrets a URL may hold before it is shown in a
// log line or an error: receivers of webhooks often take their token in
// the query string or as user information.
package redact

import "net/url"

// URL returns raw with its user information and query replaced by
// REDACTED and its fragment dropped; a URL that does not parse is not
// shown at all.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a URL that does not parse)"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	if u.RawQuery != "" || u.ForceQuery {
		u.RawQuery, u.ForceQuery = "REDACTED", false
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}
