package slack

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	goslack "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/ack"
)

// MaxBody bounds a request from Slack. Its payloads are a few kilobytes;
// anything near this is not Slack.
const MaxBody = 1 << 20

// Handler returns the HTTP endpoints Slack calls: /slack/commands,
// /slack/interactions and /slack/events. Every request's signature is
// checked against the raw body before anything else is read from it.
func (p *Platform) Handler(h muster.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", ack.Observed("command", p.cfg.Observe, p.verified(func(w http.ResponseWriter, r *http.Request, body []byte) {
		p.serveCommand(w, r, body, h)
	})))
	mux.Handle("POST /slack/interactions", ack.Observed("interaction", p.cfg.Observe, p.verified(func(w http.ResponseWriter, r *http.Request, body []byte) {
		p.serveInteraction(w, r, body, h)
	})))
	mux.Handle("POST /slack/events", ack.Observed("event", p.cfg.Observe, p.verified(func(w http.ResponseWriter, r *http.Request, body []byte) {
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
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
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
