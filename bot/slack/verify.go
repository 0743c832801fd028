package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// MaxSignatureAge is how old (or how far in the future) a signed request
// may be: Slack's documented replay window.
const MaxSignatureAge = 5 * time.Minute

// Reasons a request fails verification. None of them carries the secret
// or the signature, so they can be logged as they are.
var (
	ErrMissingSignature = errors.New("slack signature: missing X-Slack-Signature or X-Slack-Request-Timestamp")
	ErrBadTimestamp     = errors.New("slack signature: X-Slack-Request-Timestamp is not a Unix time")
	ErrStaleTimestamp   = errors.New("slack signature: timestamp outside the 5-minute window")
	ErrBadSignature     = errors.New("slack signature: does not match the body")
)

// VerifySignature checks a request from Slack: the X-Slack-Signature header
// must be "v0=" + hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" + body))
// over the raw body, with a timestamp within MaxSignatureAge of now. slack-go
// has a verifier too, but it reads the clock itself, so Slack's documented
// example (signed in 2018) could never be checked against it.
func VerifySignature(secret []byte, header http.Header, body []byte, now time.Time) error {
	sig, ts := header.Get("X-Slack-Signature"), header.Get("X-Slack-Request-Timestamp")
	if sig == "" || ts == "" {
		return ErrMissingSignature
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	if age := now.Sub(time.Unix(unix, 0)); age > MaxSignatureAge || age < -MaxSignatureAge {
		return ErrStaleTimestamp
	}
	got, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return ErrBadSignature
	}
	gotMAC, err := hex.DecodeString(got)
	if err != nil {
		return ErrBadSignature
	}
	if !hmac.Equal(gotMAC, sign(secret, ts, body)) {
		return ErrBadSignature
	}
	return nil
}

// Sign returns the X-Slack-Signature value for body at timestamp ts. The
// tests and the load command sign requests with it.
func Sign(secret []byte, ts string, body []byte) string {
	return "v0=" + hex.EncodeToString(sign(secret, ts, body))
}

func sign(secret []byte, ts string, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("v0:"))
	mac.Write([]byte(ts))
	mac.Write([]byte(":"))
	mac.Write(body)
	return mac.Sum(nil)
}

// workspace is where a request says it comes from: its team_id,
// enterprise_id and api_app_id, each "" when the request has none.
type workspace struct{ team, enterprise, app string }

func (w workspace) log(e *zerolog.Event) *zerolog.Event {
	return e.Str("team_id", w.team).Str("enterprise_id", w.enterprise).Str("api_app_id", w.app)
}

// foreign says why a request from w is not for this installation, "" when
// it is. A good signature proves the request comes from Slack for this
// app, not that it comes from the workspace muster serves: an app
// distributed to several workspaces shares one signing secret. A request
// without a team (an organisation-wide install) passes on its enterprise.
func (p *Platform) foreign(w workspace) string {
	c := p.cfg
	switch {
	case c.TeamID != "" && w.team != c.TeamID && !(w.team == "" && c.EnterpriseID != "" && w.enterprise == c.EnterpriseID):
		return fmt.Sprintf("team_id %q is not slack.team_id", w.team)
	case c.EnterpriseID != "" && w.enterprise != "" && w.enterprise != c.EnterpriseID:
		return fmt.Sprintf("enterprise_id %q is not slack.enterprise_id", w.enterprise)
	case c.AppID != "" && w.app != "" && w.app != c.AppID:
		return fmt.Sprintf("api_app_id %q is not slack.app_id", w.app)
	}
	return ""
}
