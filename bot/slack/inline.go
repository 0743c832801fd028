package slack

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/muster-bot/muster"
)

// InlineWait is how long a slash command's acknowledgement waits for the
// bot's private answer, so that the answer can travel in the
// acknowledgement itself: no second request through the response_url, and
// the person sees it at once. Slack allows three seconds; slow work (a war
// room's creation) goes on after this and answers through the
// response_url.
const InlineWait = 1500 * time.Millisecond

// inline is the open acknowledgement of one slash command.
type inline struct {
	mu       sync.Mutex
	open     bool
	finished bool // the command is done
	msg      *muster.Message
	ready    chan struct{} // closed once there is an answer or the command is done
}

func newInline() *inline { return &inline{open: true, ready: make(chan struct{})} }

// offer hands the command's first private answer to the acknowledgement;
// false when it has gone out already, or already holds an answer.
func (in *inline) offer(msg muster.Message) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.open || in.msg != nil {
		return false
	}
	in.msg = &msg
	close(in.ready)
	return true
}

// done says the command finished; whatever it offered is all there is.
func (in *inline) done() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.finished = true
	if in.open && in.msg == nil {
		in.open = false
		close(in.ready)
	}
}

// take closes the acknowledgement and returns the answer it holds, if
// any, and whether the command is done.
func (in *inline) take() (*muster.Message, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.open = false
	return in.msg, in.finished
}

// workingOnIt is the acknowledgement of a command whose answer did not
// come within InlineWait. The bot answers only once the change is
// durable, so the acknowledgement must not claim it: it says the answer
// follows, and the answer comes through the response_url.
var workingOnIt = muster.Message{Text: "⏳ Working on it; the answer follows here when it is done."}

// runCommand starts a slash command and returns the acknowledgement's body:
// the private answer when it comes within the inline wait, else
// workingOnIt (the answer follows through the response_url), or nil when
// the command finished with nothing to say.
func (p *Platform) runCommand(s goslack.SlashCommand, h Handler) any {
	ev := muster.Event{
		Platform: Name, Kind: muster.EventCommand, User: s.UserID, UserName: s.UserName,
		Room: s.ChannelID, Text: commandText(s), ReplyTo: s.ResponseURL, At: p.cfg.Now(),
	}
	if ev.Text == "" && s.TriggerID != "" {
		p.openDeclareFormLater(s)
		return nil
	}
	if ev.ReplyTo == "" {
		if !p.async(h, ev, nil) {
			return overloaded()
		}
		return nil
	}
	// The reply handle names this request alone, even if Slack (or a
	// test) reuses a response_url: a URL fragment is never sent, so the
	// URL still works for answers that miss the acknowledgement.
	ev.ReplyTo = fmt.Sprintf("%s#muster-%d", ev.ReplyTo, p.inlineSeq.Add(1))
	in := newInline()
	p.inlines.Store(ev.ReplyTo, in)
	defer p.inlines.Delete(ev.ReplyTo)
	if !p.async(h, ev, in.done) {
		return overloaded()
	}
	timer := time.NewTimer(p.cfg.InlineWait)
	defer timer.Stop()
	select {
	case <-in.ready:
	case <-timer.C:
	}
	switch msg, finished := in.take(); {
	case msg != nil:
		return p.acks.body(*msg)
	case finished:
		return nil
	}
	return p.acks.body(workingOnIt)
}

// ackMessage is a message carried in an acknowledgement, shown only to
// the user who typed the command. It has the three fields such an answer
// uses rather than slack-go's Msg: encoding/json walks Msg's fifty-odd
// fields and re-validates the whole of the blocks' output (Blocks has its
// own MarshalJSON), which was most of the cost of answering `help`.
type ackMessage struct {
	ResponseType string          `json:"response_type"`
	Text         string          `json:"text"`
	Blocks       []goslack.Block `json:"blocks,omitempty"`
}

func ephemeral(msg muster.Message) *ackMessage {
	fallback, blocks := render(msg)
	return &ackMessage{ResponseType: goslack.ResponseTypeEphemeral, Text: fallback, Blocks: blocks}
}

// ackCache keeps the encoded acknowledgements of answers made of text
// alone, which repeat: help, a command's usage, "that is not a command".
// Rendering and encoding help was a fifth of the server's time per
// command. The cache is bounded: when full it starts again empty.
type ackCache struct {
	mu   sync.Mutex
	acks map[ackKey]json.RawMessage
}

type ackKey struct{ title, text, footer string }

// maxCachedAcks bounds the cache; an answer is a few kilobytes at most.
const maxCachedAcks = 128

// body returns the acknowledgement carrying msg.
func (c *ackCache) body(msg muster.Message) any {
	if len(msg.Fields) > 0 || len(msg.Buttons) > 0 || len(msg.Menus) > 0 || msg.File != nil {
		return ephemeral(msg)
	}
	key := ackKey{msg.Title, msg.Text, msg.Footer}
	c.mu.Lock()
	b, ok := c.acks[key]
	c.mu.Unlock()
	if ok {
		return b
	}
	b, err := json.Marshal(ephemeral(msg))
	if err != nil {
		return ephemeral(msg) // encoded again by the caller, which reports the error
	}
	c.mu.Lock()
	if c.acks == nil || len(c.acks) >= maxCachedAcks {
		c.acks = make(map[ackKey]json.RawMessage)
	}
	c.acks[key] = b
	c.mu.Unlock()
	return json.RawMessage(b)
}

// replyInline gives msg to the open acknowledgement of ev's command, if
// there is one that has no answer yet.
func (p *Platform) replyInline(ev muster.Event, msg muster.Message) bool {
	if ev.ReplyTo == "" {
		return false
	}
	v, ok := p.inlines.Load(ev.ReplyTo)
	return ok && v.(*inline).offer(msg)
}

// overloaded is the acknowledgement of a command refused for overload.
func overloaded() any {
	return ephemeral(muster.Message{Text: "⚠️ muster is overloaded right now and did not run that; try again in a minute."})
}
