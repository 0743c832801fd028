package teams

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/muster-bot/muster"
)

// maxText is how much Markdown one Teams message carries: Teams refuses
// messages over about 28 KB.
const maxText = 24 << 10

// Post sends msg to a room and returns its activity id. A room that is a
// channel gets a new thread; a room that is a thread, or a message with
// Thread set, gets a reply. A message with a file (the postmortem draft)
// is followed by the Markdown itself, in the thread of the first, in as
// many messages as it takes.
func (p *Platform) Post(ctx context.Context, room string, msg muster.Message) (string, error) {
	act := p.activity(msg)
	var id string
	var err error
	switch {
	case strings.Contains(room, ";messageid="):
		id, err = p.send(ctx, room, act)
	case msg.Thread != "":
		id, err = p.send(ctx, room+";messageid="+msg.Thread, act)
	default:
		id, err = p.newThread(ctx, room, act)
	}
	if err != nil || msg.File == nil {
		return id, err
	}
	thread := room
	if !strings.Contains(room, ";messageid=") {
		thread = room + ";messageid=" + id
	}
	for _, part := range chunks(string(msg.File.Content), maxText) {
		if _, err := p.send(ctx, thread, map[string]any{"type": "message", "textFormat": "markdown", "text": part}); err != nil {
			return id, err
		}
	}
	return id, nil
}

// Update replaces a message the bot posted (the war-room header card).
func (p *Platform) Update(ctx context.Context, room, id string, msg muster.Message) error {
	act := p.activity(msg)
	act["id"] = id
	endpoint := fmt.Sprintf("%sv3/conversations/%s/activities/%s", p.service(), url.PathEscape(room), url.PathEscape(id))
	if err := p.api.do(ctx, http.MethodPut, endpoint, connectorScope, act, nil); err != nil {
		return fmt.Errorf("teams: update message %s: %w", id, err)
	}
	return nil
}

// Reply answers in the thread the event came from. Teams has no messages
// only one person sees, so replies are short.
func (p *Platform) Reply(ctx context.Context, ev muster.Event, msg muster.Message) error {
	to := ev.ReplyTo
	if to == "" {
		to = ev.Room
	}
	if ev.User != "" {
		msg.Text = strings.TrimSpace(muster.Mention(ev.User) + " " + msg.Text)
	}
	_, err := p.send(ctx, to, p.activity(msg))
	return err
}

// CreateRoom opens a war room: a channel through Graph when the team is
// configured, else a thread in the announcement channel.
func (p *Platform) CreateRoom(ctx context.Context, name string, private bool) (string, error) {
	if private {
		// A bot cannot post in a private channel: the bot works private
		// incidents in their declaring thread (ThreadRoom) instead.
		return "", muster.Errorf(muster.EINVALID, "Teams bots cannot post in private channels")
	}
	if p.cfg.TeamID != "" {
		display := name
		if utf8.RuneCountInString(display) > 50 { // Graph's limit for channel names
			display = string([]rune(display)[:50])
		}
		return p.api.createChannel(ctx, p.cfg.GraphURL, p.cfg.TeamID, strings.TrimRight(display, "-"), "muster war room", private)
	}
	if p.cfg.AnnounceChannelID == "" {
		return "", muster.Errorf(muster.EINVALID, "Teams needs teams.team_id (war rooms as channels) or teams.announce_channel_id (war rooms as threads).")
	}
	id, err := p.newThread(ctx, p.cfg.AnnounceChannelID, p.activity(muster.Message{Title: "🚨 War room " + name, Text: "Everything said in this thread is the incident's timeline."}))
	if err != nil {
		return "", err
	}
	return p.cfg.AnnounceChannelID + ";messageid=" + id, nil
}

// ThreadRoom is where a private incident is worked: the thread it was
// declared in, since a bot cannot post in a private channel. Its header
// and everything after it are replies in that thread, never new posts in
// the channel.
func (p *Platform) ThreadRoom(ev muster.Event) string { return ev.Thread }

// RepliesArePublic: Teams has no message only one person sees; a reply
// is a message in the thread.
func (p *Platform) RepliesArePublic() bool { return true }

// AnnounceRoom is the stakeholders' channel.
func (p *Platform) AnnounceRoom() string { return p.cfg.AnnounceChannelID }

// RoomLink names the room; Teams has no channel mention a bot can write.
func (p *Platform) RoomLink(room, name string) string {
	if name == "" {
		return "the war room"
	}
	return "#" + name
}

// LookupUser accepts the ids Teams puts in mentions (29:…); a bare name
// was typed without picking the person.
func (p *Platform) LookupUser(ctx context.Context, ref string) (string, error) {
	if strings.Contains(ref, ":") {
		return ref, nil
	}
	return "", muster.Errorf(muster.EINVALID, "Teams did not recognise @%s as a person: type @ and pick them from the list.", ref)
}

// activity builds the outbound message: the card, and the mention
// entities Teams needs to turn <at>Name</at> into a real mention.
func (p *Platform) activity(msg muster.Message) map[string]any {
	var entities []map[string]any
	mention := func(id string) string {
		name := p.name(id)
		if name == "" {
			name = id
		}
		if strings.HasPrefix(id, "19:") {
			// A channel or a team (mentioned in a message and recorded as
			// <@19:…>): a live mention would notify everyone in it.
			return "@" + name
		}
		tag := "<at>" + name + "</at>"
		entities = append(entities, map[string]any{"type": "mention", "text": tag, "mentioned": map[string]string{"id": id, "name": name}})
		return tag
	}
	summary, content := card(msg, mention)
	if len(entities) > 0 {
		// Only mentions still in the card: a cut for size or a mention in
		// a title (shown as a plain name) leaves none to point at.
		rendered, _ := json.Marshal(content)
		var kept []map[string]any
		for _, e := range entities {
			if tag, _ := json.Marshal(e["text"]); strings.Contains(string(rendered), strings.Trim(string(tag), `"`)) {
				kept = append(kept, e)
			}
		}
		if len(kept) > 0 {
			content["msteams"] = map[string]any{"entities": kept}
		}
	}
	return map[string]any{
		"type":        "message",
		"summary":     summary,
		"attachments": []map[string]any{{"contentType": "application/vnd.microsoft.card.adaptive", "content": content}},
	}
}

// send posts an activity into a conversation (a thread) and returns its id.
func (p *Platform) send(ctx context.Context, conversation string, act map[string]any) (string, error) {
	var r struct {
		ID string `json:"id"`
	}
	endpoint := fmt.Sprintf("%sv3/conversations/%s/activities", p.service(), url.PathEscape(conversation))
	if err := p.api.do(ctx, http.MethodPost, endpoint, connectorScope, act, &r); err != nil {
		return "", fmt.Errorf("teams: post in %s: %w", conversation, err)
	}
	return r.ID, nil
}

// newThread starts a thread in a channel (POST /v3/conversations) and
// returns the id of its first message.
func (p *Platform) newThread(ctx context.Context, channel string, act map[string]any) (string, error) {
	params := map[string]any{
		"isGroup":     true,
		"channelData": map[string]any{"channel": map[string]string{"id": channel}, "tenant": map[string]string{"id": p.cfg.TenantID}},
		"activity":    act,
		"tenantId":    p.cfg.TenantID,
	}
	var r struct {
		ID         string `json:"id"`
		ActivityID string `json:"activityId"`
	}
	if err := p.api.do(ctx, http.MethodPost, p.service()+"v3/conversations", connectorScope, params, &r); err != nil {
		return "", fmt.Errorf("teams: start a thread in %s: %w", channel, err)
	}
	if r.ActivityID == "" {
		_, r.ActivityID, _ = strings.Cut(r.ID, ";messageid=")
	}
	return r.ActivityID, nil
}

// chunks cuts text into pieces of at most n bytes, at line ends where it
// can, so a long postmortem draft goes out as several messages.
func chunks(text string, n int) []string {
	var out []string
	for len(text) > n {
		cut := strings.LastIndexByte(text[:n], '\n') + 1
		if cut <= 0 {
			cut = n
			for cut > 0 && !utf8.RuneStart(text[cut]) {
				cut--
			}
		}
		out = append(out, text[:cut])
		text = text[cut:]
	}
	return append(out, text)
}
