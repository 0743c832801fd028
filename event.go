package muster

import "time"

// EventKind says what happened on a platform.
type EventKind string

const (
	EventCommand        EventKind = "command"         // `/incident ...` or an @mention command
	EventMessage        EventKind = "message"         // a human said something in a room
	EventMessageEdited  EventKind = "message_edited"  // a message was edited
	EventMessageDeleted EventKind = "message_deleted" // a message was deleted
	EventKeyFlag        EventKind = "key_flag"        // a message was pinned or got a 📌
	EventAction         EventKind = "action"          // a button was pressed or a menu choice made
)

// Event is what any platform delivers to the bot after it has verified the
// request. Adapters translate their payloads into Events; they hold no
// incident logic.
type Event struct {
	// ID is the platform's delivery id (Slack's event_id). A retried
	// delivery carries the same ID, which makes recording it idempotent.
	ID        string
	Platform  string
	Kind      EventKind
	User      string // platform user id
	UserName  string // display name, when the platform sends one
	Room      string // platform channel or conversation id
	Text      string // command text (after `/incident`), message text, or new text of an edit
	MessageID string // the message the event is about (Slack ts)
	ThreadID  string // parent message id of a thread reply
	// Thread is the thread the event happened in, as a room id, on
	// platforms where a thread can be a war room of its own (Teams:
	// "<channel>;messageid=<root>"); empty elsewhere.
	Thread string
	// For EventAction, Action is the command the control stands for
	// ("role ic"; for a menu its Action and Incident, "status INC-4"), and
	// Value is a button's incident reference or the option chosen in a
	// menu, which becomes the command's argument.
	Action string
	Value  string
	At     time.Time
	// ReplyTo is the platform's handle for answering this event privately,
	// such as Slack's response_url; empty when the platform needs none.
	ReplyTo string
	// Declare, on an EventCommand, is a declaration already in fields (a
	// submitted declare form): it is declared as it is, never re-read as
	// command words, so a title like "private sev1 thing" stays the title.
	// Text is then "declare", so routing and logs see the verb.
	Declare *Declaration
}

// Declaration is what declares an incident, in fields rather than command
// words: a form's or an alert's title must not be read as a severity or
// the private flag.
type Declaration struct {
	Title       string
	Severity    string // a severity's name or alias; "" for the default severity
	Private     bool
	Drill       bool   // a game-day incident: see Incident.Drill
	Description string // what is known so far; may be several lines
	// Since, when set, is when the trouble began as alerting saw it (an
	// alert's start): the incident's start of impact and detection both.
	// A time after the declaration counts as the declaration.
	Since time.Time
	// Services are the affected services' names, as in the catalog; none
	// lets the keywords of the catalog decide.
	Services []string
	// Source is the alert source declaring, "" for people (see
	// Incident.Source).
	Source string
}
