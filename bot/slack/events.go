package slack

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/muster-bot/muster"
)

// envelope is the outside of an Events API request: what it is, the
// challenge of a url_verification, and where it comes from. The inner
// event's common fields are typed too, so that a malformed event (an
// array, a number for a text) is refused as a bad request, not ignored.
type envelope struct {
	Type         string `json:"type"`
	Challenge    string `json:"challenge"`
	TeamID       string `json:"team_id"`
	EnterpriseID string `json:"enterprise_id"`
	APIAppID     string `json:"api_app_id"`
	Event        *struct {
		Type    string `json:"type"`
		Subtype string `json:"subtype"`
		User    string `json:"user"`
		Channel string `json:"channel"`
		Text    string `json:"text"`
		TS      string `json:"ts"`
	} `json:"event"`
}

// keyReactions flag a message as a key event.
var keyReactions = map[string]bool{"pushpin": true, "round_pushpin": true}

// translateEvent turns an Events API callback into a muster event. ok is
// false for what the timeline does not record: the bot's own posts, joins
// and leaves, topic changes, reactions other than 📌, unknown event types.
func (p *Platform) translateEvent(body []byte) (muster.Event, bool) {
	parsed, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		// slack-go refuses inner event types it does not know; none of
		// them is one the timeline records.
		p.log.Debug().Err(err).Msg("ignored slack event slack-go cannot parse")
		return muster.Event{}, false
	}
	return p.callback(parsed)
}

// callback translates an Events API callback already parsed by slack-go.
func (p *Platform) callback(parsed slackevents.EventsAPIEvent) (muster.Event, bool) {
	cb, ok := parsed.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok {
		return muster.Event{}, false
	}
	ev, ok := p.inner(parsed.InnerEvent.Data)
	ev.ID, ev.Platform = cb.EventID, Name
	return ev, ok
}

func (p *Platform) inner(data any) (muster.Event, bool) {
	switch e := data.(type) {
	case *slackevents.MessageEvent:
		return p.message(e)
	case *slackevents.ReactionAddedEvent:
		if !keyReactions[e.Reaction] || e.Item.Type != "message" {
			return muster.Event{}, false
		}
		return muster.Event{Kind: muster.EventKeyFlag, User: e.User, Room: e.Item.Channel, MessageID: e.Item.Timestamp, At: tsTime(e.EventTimestamp)}, true
	case *slackevents.PinAddedEvent:
		id := e.Item.Timestamp
		if e.Item.Message != nil {
			id = e.Item.Message.Timestamp
		}
		if id == "" {
			return muster.Event{}, false // a pinned file, not a message
		}
		room := e.Channel
		if room == "" {
			room = e.Item.Channel
		}
		return muster.Event{Kind: muster.EventKeyFlag, User: e.User, Room: room, MessageID: id, At: tsTime(e.EventTimestamp)}, true
	}
	return muster.Event{}, false
}

// message handles the message event and its subtypes. Only what people
// said is recorded; the bot's own posts already are, as structured entries.
func (p *Platform) message(e *slackevents.MessageEvent) (muster.Event, bool) {
	switch e.SubType {
	case "", "thread_broadcast", "file_share", "me_message":
		if e.BotID != "" || e.User == "" || p.isBot(e.User) {
			return muster.Event{}, false
		}
		ev := muster.Event{Kind: muster.EventMessage, User: e.User, Room: e.Channel, Text: unescape(e.Text), MessageID: e.TimeStamp, At: tsTime(e.TimeStamp)}
		if e.ThreadTimeStamp != "" && e.ThreadTimeStamp != e.TimeStamp {
			ev.ThreadID = e.ThreadTimeStamp
		}
		return ev, true
	case goslack.MsgSubTypeMessageChanged:
		m := e.Message
		if m == nil || m.BotID != "" || p.isBot(m.User) {
			return muster.Event{}, false
		}
		if e.PreviousMessage != nil && e.PreviousMessage.Text == m.Text {
			return muster.Event{}, false // a link unfurled, not an edit
		}
		at := tsTime(e.EventTimeStamp)
		if m.Edited != nil {
			at = tsTime(m.Edited.Timestamp)
		}
		return muster.Event{Kind: muster.EventMessageEdited, User: m.User, Room: e.Channel, Text: unescape(m.Text), MessageID: m.Timestamp, At: at}, true
	case goslack.MsgSubTypeMessageDeleted:
		return muster.Event{Kind: muster.EventMessageDeleted, Room: e.Channel, MessageID: e.DeletedTimeStamp, At: tsTime(e.EventTimeStamp)}, true
	}
	return muster.Event{}, false
}

// tsTime reads Slack's "1512085950.000216" timestamps. A malformed one
// gives the zero time, which the bot replaces with the time of receipt.
func tsTime(ts string) time.Time {
	sec, frac, dotted := strings.Cut(ts, ".")
	if !dotted && len(sec) > 10 {
		sec, frac = sec[:10], sec[10:] // event_ts sometimes comes without its dot
	}
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}
	}
	var us int64
	if frac != "" {
		frac = (frac + "000000")[:6]
		us, _ = strconv.ParseInt(frac, 10, 64)
	}
	return time.Unix(s, us*1000).UTC()
}

// unescaper undoes the three entities Slack puts in the text it sends, so
// the timeline and the commands hold what people typed ("a < b & c"), and
// render escapes it once on the way out. Mentions (<@U…>) are not
// entities and stay as they are.
var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

func unescape(s string) string { return unescaper.Replace(s) }

// isBot reports whether user is the bot itself, whose posts are recorded
// as structured entries already.
func (p *Platform) isBot(user string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return user != "" && user == p.botUser
}
