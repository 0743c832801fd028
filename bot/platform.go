package bot

import (
	"context"

	"github.com/muster-bot/muster"
)

// Platform is what the bot needs from every chat platform: post a message,
// update it in place, and reply privately to the sender of an event.
type Platform interface {
	// Post sends msg to room and returns the new message's id.
	Post(ctx context.Context, room string, msg muster.Message) (string, error)
	// Update replaces the message id in room with msg.
	Update(ctx context.Context, room, id string, msg muster.Message) error
	// Reply shows msg to the sender of ev alone (Slack's ephemeral
	// messages). The event carries whatever the platform needs to answer
	// it, such as Slack's response_url.
	Reply(ctx context.Context, ev muster.Event, msg muster.Message) error
}

// The capabilities below are optional; the bot finds them by type
// assertion and says "not supported on this platform" when one is missing.

// RoomCreator opens a new room. A name already taken must fail with an
// error whose muster.ErrorCode is ECONFLICT, so the bot retries with a
// suffix.
type RoomCreator interface {
	CreateRoom(ctx context.Context, name string, private bool) (id string, err error)
}

// Inviter brings users (or groups) into a room.
type Inviter interface {
	Invite(ctx context.Context, room string, users []string) error
}

// Topicker keeps a room's topic current.
type Topicker interface {
	SetTopic(ctx context.Context, room, topic string) error
}

// Announcer names the room where stakeholders read announcements.
type Announcer interface {
	AnnounceRoom() string
}

// Directory resolves a user reference typed in a command to a user id.
type Directory interface {
	LookupUser(ctx context.Context, ref string) (string, error)
}

// RoomLinker turns a room id into something people can click or type.
type RoomLinker interface {
	RoomLink(room, name string) string
}

// PublicReplier is a platform whose replies everyone in the room sees
// (Teams has no messages only one person sees), so an answer about a
// private incident may not go where the question was asked.
type PublicReplier interface {
	RepliesArePublic() bool
}

// ThreadRoomer is a platform that works a private incident in the thread
// it was declared in, because it cannot open a private room the bot can
// post in (Teams). ThreadRoom names that thread as a room, or "" when the
// event came from no thread.
type ThreadRoomer interface {
	ThreadRoom(ev muster.Event) string
}
