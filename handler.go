package muster

import "context"

// Handler is what a platform hands the events it received to; the bot
// (bot.Bot) implements it, and every platform uses this one interface.
type Handler interface {
	// Handle processes one event: it records a message, or runs a command
	// and delivers all it has to say. When it returns nil, what the event
	// changed is durable, so the platform may acknowledge the event then.
	Handle(ctx context.Context, ev Event) error
	// Command runs a command for a platform that can show the sender's
	// answer in its acknowledgement (Slack's slash commands). It returns
	// once the change is durable: reply is the answer for the sender
	// alone (nil when there is none), and deliver posts the rest (the war
	// room's messages, the header, announcements); the platform shows
	// reply, then calls deliver once. A mistake or a refusal is the reply,
	// not an error; err is a failure of the bot, which reply then admits.
	Command(ctx context.Context, ev Event) (reply *Message, deliver func(context.Context), err error)
}
