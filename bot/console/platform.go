package console

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/muster-bot/muster"
)

// Post prints msg as posted in room.
func (c *Console) Post(ctx context.Context, room string, msg muster.Message) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	id := fmt.Sprintf("b%d", c.seq)
	if len(msg.Buttons) > 0 {
		c.buttons[room] = msg.Buttons
	}
	prefix := fmt.Sprintf("[%s] muster: ", c.roomLabel(room))
	if msg.Thread != "" {
		prefix = fmt.Sprintf("[%s] muster (in thread): ", c.roomLabel(room))
	}
	c.print(prefix, render(msg))
	return id, nil
}

// Update prints the new version of a message edited in place.
func (c *Console) Update(ctx context.Context, room, id string, msg muster.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buttons[room] = msg.Buttons
	// The menus and the cheat-sheet do not change; printing them again at
	// every change would bury the conversation.
	msg.Menus, msg.Footer = nil, ""
	c.print(fmt.Sprintf("[%s] muster (header updated): ", c.roomLabel(room)), render(msg))
	return nil
}

// Reply prints msg as seen by the event's sender alone.
func (c *Console) Reply(ctx context.Context, ev muster.Event, msg muster.Message) error {
	room, user := ev.Room, ev.User
	c.mu.Lock()
	defer c.mu.Unlock()
	c.print(fmt.Sprintf("[%s] muster (only @%s sees this): ", c.roomLabel(room), user), render(msg))
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
	fmt.Fprintf(c.out, "· Opened the %s #%s; you are in it now.\n", kind, name)
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
	fmt.Fprintf(c.out, "· %s invited to %s\n", strings.Join(at, ", "), c.roomLabel(room))
	return nil
}

// SetTopic prints the room's new topic.
func (c *Console) SetTopic(ctx context.Context, room, topic string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.out, "· %s topic: %s\n", c.roomLabel(room), mentions(topic))
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
	fmt.Fprintf(c.out, "%s%s\n", prefix, lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(c.out, "    %s\n", l)
	}
}
