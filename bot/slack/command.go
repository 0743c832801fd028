package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/muster-bot/muster"
)

// InlineWait is how long a slash command's acknowledgement waits for the
// bot's reply, so that the reply can travel in the acknowledgement itself:
// no second request through the response_url, and the person sees it at
// once. Slack allows three seconds; a command that takes longer (a war
// room's creation against a slow Slack) answers through the response_url.
const InlineWait = 1500 * time.Millisecond

// workingOnIt is the acknowledgement of a command whose reply did not come
// within InlineWait. The bot replies only once the change is durable, so
// the acknowledgement must not claim it: it says the answer follows, and
// the answer comes through the response_url.
var workingOnIt = muster.Message{Text: "⏳ Working on it; the answer follows here when it is done."}

// runCommand runs a slash command and returns the acknowledgement's body:
// the bot's reply when it comes within InlineWait, else workingOnIt (the
// reply follows through the response_url); nil when the command is done
// with nothing to say, or opens the declare form.
func (p *Platform) runCommand(s goslack.SlashCommand, h muster.Handler) *goslack.WebhookMessage {
	ev := muster.Event{
		Platform: Name, Kind: muster.EventCommand, User: s.UserID, UserName: s.UserName,
		Room: s.ChannelID, Text: commandText(s), ReplyTo: s.ResponseURL, At: p.cfg.Now(),
	}
	if ev.Text == "" && s.TriggerID != "" {
		p.openDeclareFormLater(s)
		return nil
	}
	// The reply is handed over, never left somewhere: either the
	// acknowledgement takes it while it waits, or, once it has stopped
	// waiting (acked is closed), the reply goes through Reply.
	replies := make(chan *muster.Message)
	acked := make(chan struct{})
	defer close(acked)
	hand := func(ctx context.Context, msg *muster.Message) {
		select {
		case replies <- msg:
		case <-acked:
			if msg != nil {
				p.tell(ctx, ev, *msg)
			}
		}
	}
	started := p.async(ev, func(ctx context.Context) {
		defer p.rescue(ctx, ev, func(ctx context.Context, _ muster.Event, msg muster.Message) { hand(ctx, &msg) })
		reply, deliver, err := h.Command(ctx, ev)
		if err != nil {
			p.log.Error().Err(err).Str("user", ev.User).Str("channel", ev.Room).Msg("handle slack command")
		}
		hand(ctx, reply)
		deliver(ctx) // room posts after the reply
	})
	if !started {
		return ephemeral(overloaded)
	}
	timer := time.NewTimer(p.cfg.InlineWait)
	defer timer.Stop()
	select {
	case msg := <-replies:
		if msg == nil {
			return nil
		}
		return ephemeral(*msg)
	case <-timer.C:
		return ephemeral(workingOnIt)
	}
}

// ephemeral is msg as an answer only its addressee sees, in the form both
// an acknowledgement and a response_url take.
func ephemeral(msg muster.Message) *goslack.WebhookMessage {
	fallback, blocks := render(msg)
	return &goslack.WebhookMessage{Text: fallback, Blocks: &goslack.Blocks{BlockSet: blocks}, ResponseType: goslack.ResponseTypeEphemeral}
}

// ackBody encodes an answer as an acknowledgement's JSON. The blocks are
// encoded by slack-go and set in place as they come: through encoding/json
// they would be checked and compacted again at every level they are
// nested in, which was most of the cost of answering a command.
func ackBody(m *goslack.WebhookMessage) ([]byte, error) {
	blocks, err := m.Blocks.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encode blocks: %w", err)
	}
	text, err := json.Marshal(m.Text)
	if err != nil {
		return nil, fmt.Errorf("encode text: %w", err)
	}
	b := make([]byte, 0, len(blocks)+len(text)+64)
	b = append(b, `{"response_type":"`...)
	b = append(b, m.ResponseType...)
	b = append(b, `","text":`...)
	b = append(b, text...)
	b = append(b, `,"blocks":`...)
	b = append(b, blocks...)
	return append(b, "}\n"...), nil
}

// overloaded is the answer to a command refused for overload.
var overloaded = muster.Message{Text: "⚠️ muster is overloaded right now and did not run that; try again in a minute."}
