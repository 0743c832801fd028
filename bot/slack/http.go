package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	goslack "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/inbound"
)

// MaxBody bounds a request from Slack. Its payloads are a few kilobytes;
// anything near this is not Slack.
const MaxBody = 1 << 20

// Handler returns the HTTP endpoints Slack calls: /slack/commands,
// /slack/interactions and /slack/events. Every request's signature is
// checked against the raw body before anything else is read from it.
func (p *Platform) Handler(h muster.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", inbound.Observed("command", p.cfg.Observe, p.verified(func(w http.ResponseWriter, r *http.Request, body []byte) {
		p.serveCommand(w, r, body, h)
	})))
	mux.Handle("POST /slack/interactions", inbound.Observed("interaction", p.cfg.Observe, p.verified(func(w http.ResponseWriter, r *http.Request, body []byte) {
		p.serveInteraction(w, r, body, h)
	})))
	mux.Handle("POST /slack/events", inbound.Observed("event", p.cfg.Observe, p.verified(func(w http.ResponseWriter, r *http.Request, body []byte) {
		p.serveEvent(w, r, body, h)
	})))
	return mux
}

// verified reads the body (bounded) and checks its signature. A failure is
// logged with its reason and the client's address, never the secret or
// the signature.
func (p *Platform) verified(next func(http.ResponseWriter, *http.Request, []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := p.cfg.Bodies.Read(w, r, MaxBody)
		if !ok {
			return
		}
		if err := VerifySignature(p.secret, r.Header, body, p.cfg.Now()); err != nil {
			p.log.Warn().Str("path", r.URL.Path).Str("remote", r.RemoteAddr).Str("reason", err.Error()).Msg("rejected slack request")
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		next(w, r, body)
	})
}

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

// refused answers 403 to a signed request from another workspace than
// the one muster is installed in (see foreign), and reports whether it did.
func (p *Platform) refused(w http.ResponseWriter, r *http.Request, from workspace) bool {
	why := p.foreign(from)
	if why == "" {
		return false
	}
	from.log(p.log.Info()).Str("path", r.URL.Path).Str("remote", r.RemoteAddr).Str("reason", why).Msg("refused a slack request from another workspace")
	http.Error(w, "this app does not serve that workspace", http.StatusForbidden)
	return true
}

func (p *Platform) serveCommand(w http.ResponseWriter, r *http.Request, body []byte, h muster.Handler) {
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("command") == "" {
		http.Error(w, "not a slash command", http.StatusBadRequest)
		return
	}
	if p.refused(w, r, workspace{form.Get("team_id"), form.Get("enterprise_id"), form.Get("api_app_id")}) {
		return
	}
	resp := p.runCommand(slashFromForm(form), h)
	if resp == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	body, err = ackBody(resp)
	if err != nil {
		p.log.Error().Err(err).Msg("encode a command's acknowledgement")
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

func slashFromForm(f url.Values) goslack.SlashCommand {
	return goslack.SlashCommand{
		Command: f.Get("command"), Text: f.Get("text"), TeamID: f.Get("team_id"),
		ChannelID: f.Get("channel_id"), ChannelName: f.Get("channel_name"),
		UserID: f.Get("user_id"), UserName: f.Get("user_name"),
		ResponseURL: f.Get("response_url"), TriggerID: f.Get("trigger_id"),
	}
}

func (p *Platform) serveInteraction(w http.ResponseWriter, r *http.Request, body []byte, h muster.Handler) {
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("payload") == "" {
		http.Error(w, "no payload", http.StatusBadRequest)
		return
	}
	var ic goslack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &ic); err != nil {
		http.Error(w, "payload is not an interaction", http.StatusBadRequest)
		return
	}
	if p.refused(w, r, workspace{ic.Team.ID, ic.Enterprise.ID, ic.APIAppID}) {
		return
	}
	resp := p.interaction(ic, h)
	if resp == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

func (p *Platform) serveEvent(w http.ResponseWriter, r *http.Request, body []byte, h muster.Handler) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		http.Error(w, "body is not JSON, or not an Events API request", http.StatusBadRequest)
		return
	}
	if env.Type == slackevents.URLVerification {
		// Sent when the Request URL is set up, and carries no workspace.
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, env.Challenge)
		return
	}
	if p.refused(w, r, workspace{env.TeamID, env.EnterpriseID, env.APIAppID}) {
		return
	}
	if env.Type != slackevents.CallbackEvent {
		w.WriteHeader(http.StatusOK) // app_rate_limited and anything new: nothing to record
		return
	}
	ev, ok := p.translateEvent(body)
	if !ok {
		w.WriteHeader(http.StatusOK)
		return
	}
	// The acknowledgement goes out only once the entry is durable; an
	// error makes Slack retry, and the event id keeps the retry from
	// recording it twice.
	if err := h.Handle(r.Context(), ev); err != nil {
		p.log.Error().Err(err).Str("event_id", ev.ID).Msg("record slack event")
		http.Error(w, "could not record the event", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// commandText strips the parts of a slash command that are not ours.
func commandText(s goslack.SlashCommand) string { return strings.TrimSpace(unescape(s.Text)) }
