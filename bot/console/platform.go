package console

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/muster-bot/muster"
)

// Post prints msg as posted in room.
func (c *Console) Post(ctx context.Context, room string, msg muster.Message) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	id := fmt.Sprintf("b%d", c.seq)
	var buttons []keyed
	if len(msg.Buttons) > 0 {
		buttons = c.keysFor(room, msg.Buttons)
		c.buttons[room], c.buttonsOf[room] = buttons, id
	}
	prefix := fmt.Sprintf("[%s] muster: ", c.roomLabel(room))
	if msg.Thread != "" {
		prefix = fmt.Sprintf("[%s] muster (in thread): ", c.roomLabel(room))
	}
	c.print(prefix, render(msg, buttons))
	return id, nil
}

// Update prints the new version of a message edited in place.
func (c *Console) Update(ctx context.Context, room, id string, msg muster.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	buttons := c.keysFor(room, msg.Buttons)
	if len(buttons) > 0 || c.buttonsOf[room] == id {
		c.buttons[room], c.buttonsOf[room] = buttons, id
	}
	// The menus and the cheat-sheet do not change; printing them again at
	// every change would bury the conversation.
	msg.Menus, msg.Footer = nil, ""
	c.print(fmt.Sprintf("[%s] muster (header updated): ", c.roomLabel(room)), render(msg, buttons))
	return nil
}

// Reply prints msg as seen by the event's sender alone.
func (c *Console) Reply(ctx context.Context, ev muster.Event, msg muster.Message) error {
	room, user := ev.Room, ev.User
	c.mu.Lock()
	defer c.mu.Unlock()
	c.print(fmt.Sprintf("[%s] muster (only @%s sees this): ", c.roomLabel(room), user), render(msg, c.keysFor(room, msg.Buttons)))
	return nil
}

// CreateRoom opens a local room and moves the speaker into it, as if they
// had followed the link.
func (c *Console) CreateRoom(ctx context.Context, name string, private bool) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if slices.Contains(c.rooms, name) {
		return "", muster.Errorf(muster.ECONFLICT, "The room name %s is taken.", name)
	}
	c.rooms = append(c.rooms, name)
	c.room = name
	kind := "room"
	if private {
		kind = "private room"
	}
	c.write(fmt.Sprintf("· Opened the %s #%s; you are in it now.\n", kind, name))
	return name, nil
}

// Invite prints who was brought into the room.
func (c *Console) Invite(ctx context.Context, room string, users []string) error {
	at := make([]string, len(users))
	for i, u := range users {
		at[i] = "@" + u
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.write(fmt.Sprintf("· %s invited to %s\n", strings.Join(at, ", "), c.roomLabel(room)))
	return nil
}

// SetTopic prints the room's new topic.
func (c *Console) SetTopic(ctx context.Context, room, topic string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.write(fmt.Sprintf("· %s topic: %s\n", c.roomLabel(room), mentions(topic)))
	return nil
}

// AnnounceRoom is where stakeholders read announcements on the console.
func (c *Console) AnnounceRoom() string { return announcements }

// Remember makes a war room from before a restart enterable again.
func (c *Console) Remember(room string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !slices.Contains(c.rooms, room) {
		c.rooms = append(c.rooms, room)
	}
}

// print writes prefix and text, indenting continuation lines under it.
// The caller holds c.mu.
func (c *Console) print(prefix, text string) {
	lines := strings.Split(text, "\n")
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s\n", prefix, lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(&b, "    %s\n", l)
	}
	c.write(b.String())
}

// keyed is a button with the key `:press` takes for it.
type keyed struct {
	muster.Button
	key string
}

// keyring numbers a room's buttons. A key, once given, names the same
// button (the same action on the same incident) for as long as the room
// exists: pressing 1 twice never presses two different buttons.
type keyring struct {
	byButton map[string]string
	next     int
}

// keysFor gives each button its key in room, a new one to a button not
// seen before. The caller holds c.mu.
func (c *Console) keysFor(room string, buttons []muster.Button) []keyed {
	ring := c.keys[room]
	if ring == nil {
		ring = &keyring{byButton: map[string]string{}}
		c.keys[room] = ring
	}
	out := make([]keyed, len(buttons))
	for i, btn := range buttons {
		id := btn.Action + "\x00" + btn.Value
		key, ok := ring.byButton[id]
		if !ok {
			ring.next++
			key = strconv.Itoa(ring.next)
			ring.byButton[id] = key
		}
		out[i] = keyed{Button: btn, key: key}
	}
	return out
}

// DisplayName: console users are named by what was typed after `:as`.
func (c *Console) DisplayName(ctx context.Context, id string) string { return id }
