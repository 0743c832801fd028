package teams

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/inbound"
)

// MaxBody bounds a request from the Bot Connector.
const MaxBody = 1 << 20

// activity is the part of an inbound Bot Framework activity the bot reads.
// It is decoded from the raw body because msbotbuilder-go's schema drops
// the mention entities' ids and names.
type activity struct {
	Type         string    `json:"type"`
	ID           string    `json:"id"`
	ChannelID    string    `json:"channelId"`
	Timestamp    time.Time `json:"timestamp"`
	ServiceURL   string    `json:"serviceUrl"`
	ReplyToID    string    `json:"replyToId"`
	Text         string    `json:"text"`
	Value        any       `json:"value"`
	From         account   `json:"from"`
	Recipient    account   `json:"recipient"`
	Conversation struct {
		ID string `json:"id"`
	} `json:"conversation"`
	Entities []struct {
		Type      string  `json:"type"`
		Mentioned account `json:"mentioned"`
		Text      string  `json:"text"`
	} `json:"entities"`
	ChannelData struct {
		Tenant struct {
			ID string `json:"id"`
		} `json:"tenant"`
	} `json:"channelData"`
}

type account struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Handler returns POST /api/messages. The request's JWT is checked before
// anything in it is believed; a bad one gets 401 and a log line without
// the token.
func (p *Platform) Handler(h muster.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /api/messages", inbound.Observed("activity", p.cfg.Observe, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := p.cfg.Bodies.Read(w, r, MaxBody)
		if !ok {
			return
		}
		// Decoded first, into our own type: msbotbuilder-go's schema fails
		// on shapes Teams may send (a string `value`), and its adapter then
		// reports a bad body as a bad token. A body that is no activity is
		// a 400, and nothing in it is believed before the token is checked.
		var act activity
		if err := json.Unmarshal(body, &act); err != nil {
			http.Error(w, "body is not an activity", http.StatusBadRequest)
			return
		}
		if !p.cfg.AllowUnauthenticated {
			auth := r.Header.Get("Authorization")
			if _, err := p.validator.AuthenticateRequest(r.Context(), schema.Activity{ServiceURL: act.ServiceURL}, auth, nil, ""); err != nil {
				p.log.Warn().Str("remote", r.RemoteAddr).Str("reason", err.Error()).Msg("rejected teams request")
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		p.serve(w, r, act, h)
	})))
	return mux
}

func (p *Platform) serve(w http.ResponseWriter, r *http.Request, act activity, h muster.Handler) {
	// A valid token proves the Bot Framework sent the activity, not that
	// it comes from Teams in our organisation: Web Chat, Direct Line and
	// other tenants get valid tokens too, and their user ids are not ours.
	if !p.cfg.AllowUnauthenticated && (act.ChannelID != "msteams" || (p.cfg.TenantID != "" && act.ChannelData.Tenant.ID != p.cfg.TenantID)) {
		p.log.Warn().Str("channel", act.ChannelID).Str("tenant", act.ChannelData.Tenant.ID).Msg("ignored an activity from outside the organisation's Teams")
		w.WriteHeader(http.StatusOK)
		return
	}
	names := map[string]string{act.From.ID: act.From.Name}
	for _, e := range act.Entities {
		names[e.Mentioned.ID] = e.Mentioned.Name
	}
	serviceURL := act.ServiceURL
	if p.cfg.AllowUnauthenticated {
		serviceURL = "" // never send our token where an unauthenticated request points
	}
	p.learn(r.Context(), serviceURL, names)
	ev, async, ok := p.translate(act)
	if !ok {
		w.WriteHeader(http.StatusOK)
		return
	}
	if async {
		// A command's work (a Graph channel, posts) follows the answer to
		// the Bot Connector, which waits for it no more than 15 seconds.
		p.work.Add(1)
		go func() {
			defer p.work.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			defer p.rescue(ctx, ev)
			if err := h.Handle(ctx, ev); err != nil {
				p.log.Error().Err(err).Str("kind", string(ev.Kind)).Msg("handle teams activity")
			}
		}()
		w.WriteHeader(http.StatusOK)
		return
	}
	// A message is acknowledged once its timeline entry is durable.
	if err := h.Handle(r.Context(), ev); err != nil {
		p.log.Error().Err(err).Str("activity", ev.ID).Msg("record teams message")
		http.Error(w, "could not record the message", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// translate turns an activity into an event: a card click, a command
// (the bot was @mentioned) or a message for the timeline. async says the
// event may be handled after the answer.
func (p *Platform) translate(act activity) (ev muster.Event, async, ok bool) {
	// Activity ids are unique within a conversation only, so the delivery
	// id names both.
	ev = muster.Event{
		Platform: Name, ID: act.Conversation.ID + "/" + act.ID, User: act.From.ID, UserName: act.From.Name,
		Room: p.room(act.Conversation.ID), ReplyTo: act.Conversation.ID, At: act.Timestamp,
	}
	if strings.Contains(act.Conversation.ID, ";messageid=") {
		ev.Thread = act.Conversation.ID // a private incident may be worked in it
	}
	switch act.Type {
	case "message":
	case "messageUpdate": // an edit, delivered with the RSC permission
		text, _ := p.plain(act)
		ev.ID = ev.ID + "/edit/" + act.Timestamp.Format(time.RFC3339Nano)
		ev.Kind, ev.Text, ev.MessageID = muster.EventMessageEdited, text, act.ID
		return ev, false, true
	case "messageDelete":
		ev.ID += "/delete"
		ev.Kind, ev.MessageID = muster.EventMessageDeleted, act.ID
		return ev, false, true
	default:
		return muster.Event{}, false, false // conversationUpdate, reactions, typing
	}
	if act.Value != nil {
		// A card submit, ours or not: never a message for the timeline.
		value, _ := act.Value.(map[string]any)
		action, arg, valid := actionFromValue(value)
		if !valid {
			return muster.Event{}, false, false
		}
		ev.Kind, ev.Action, ev.Value, ev.MessageID = muster.EventAction, action, arg, act.ReplyToID
		return ev, true, true
	}
	if act.From.ID == "" || act.From.ID == act.Recipient.ID {
		return muster.Event{}, false, false
	}
	text, addressed := p.plain(act)
	if addressed {
		ev.Kind, ev.Text = muster.EventCommand, text
		return ev, true, true
	}
	ev.Kind, ev.Text, ev.MessageID = muster.EventMessage, text, act.ID
	if _, root, threaded := strings.Cut(act.Conversation.ID, ";messageid="); threaded && root != act.ID {
		ev.ThreadID = root
	}
	return ev, false, true
}

// room is the war room an activity belongs to: its channel, or the whole
// thread id when war rooms are threads in the announcement channel (Teams
// without Graph).
func (p *Platform) room(conversation string) string {
	channel, _, _ := strings.Cut(conversation, ";messageid=")
	if p.cfg.TeamID == "" && channel == p.cfg.AnnounceChannelID {
		return conversation
	}
	return channel
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// plain turns Teams' HTML text into what a person typed: the bot's own
// mention removed (whatever name the admin gave the bot), other mentions as
// <@id>, tags dropped, entities decoded. addressed says the bot was
// mentioned, which makes the text a command.
func (p *Platform) plain(act activity) (text string, addressed bool) {
	text = act.Text
	for _, e := range act.Entities {
		if e.Type != "mention" || e.Mentioned.ID == "" {
			continue
		}
		// The entity's text should be what stands in the message, but
		// Teams' own examples differ ("<at>@Name</at>" for "<at>Name</at>").
		tag := e.Text
		if tag == "" || !strings.Contains(text, tag) {
			tag = "<at>" + e.Mentioned.Name + "</at>"
		}
		if !strings.Contains(text, tag) {
			continue
		}
		if e.Mentioned.ID == act.Recipient.ID {
			addressed = true
			text = strings.ReplaceAll(text, tag, " ") // "@muster @muster declare …" is still a command
			continue
		}
		text = strings.Replace(text, tag, " "+muster.Mention(e.Mentioned.ID)+" ", 1)
	}
	// Mentions are now <@…>; any other tag is formatting.
	text = tagRE.ReplaceAllStringFunc(text, func(tag string) string {
		if strings.HasPrefix(tag, "<@") {
			return tag
		}
		return " "
	})
	return strings.Join(strings.Fields(html.UnescapeString(text)), " "), addressed
}
