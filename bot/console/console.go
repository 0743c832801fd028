// Package console is the local platform: a REPL on stdin and stdout that
// renders what the bot would post, with war rooms as named local rooms. It
// lets anyone try the whole incident flow with no chat workspace, and lets
// tests drive the real bot from a script.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/muster-bot/muster"
)

// Name is the platform name the console's events carry.
const Name = "console"

const (
	lobby         = "lobby"
	announcements = "announcements"
)

// Ticker runs the reminders at a given time; *bot.Bot satisfies it.
type Ticker interface {
	Tick(ctx context.Context, now time.Time) error
}

// Incidents finds an incident by number, for `:room INC-3`.
type Incidents interface {
	Incident(ctx context.Context, id int) (*muster.Incident, error)
}

// Console is the console platform. It implements bot.Platform and the
// optional room, invite, topic and announcement capabilities.
type Console struct {
	out         io.Writer
	interactive bool
	clock       *Clock
	incidents   Incidents
	tick        time.Duration // the reminder tick, which `:wait` steps by

	mu      sync.Mutex // guards everything below and serialises output
	user    string
	room    string
	rooms   []string
	buttons map[string][]keyed // last buttons posted, per room
	// buttonsOf is the message each room's buttons belong to: a message
	// redrawn without buttons takes away its own, not a later message's.
	buttonsOf map[string]string
	keys      map[string]*keyring
	seq       int
	// prompting is true while the prompt waits for a line: whatever is
	// printed then came from elsewhere (a reminder tick) and is printed
	// under the line being typed, with the prompt again after it.
	prompting bool
}

// New returns a console writing to out, speaking as user. interactive
// shows a prompt; otherwise each input line is echoed, so a piped script
// produces a readable transcript. tick is how often the bot checks
// reminders: `:wait` lets time pass in steps of it, so that a wait sees
// every reminder the bot would have sent meanwhile.
func New(out io.Writer, user string, interactive bool, clock *Clock, incidents Incidents, tick time.Duration) *Console {
	return &Console{
		out: out, interactive: interactive, clock: clock, incidents: incidents, tick: tick,
		user: user, room: lobby, rooms: []string{lobby, announcements},
		buttons: map[string][]keyed{}, buttonsOf: map[string]string{}, keys: map[string]*keyring{},
	}
}

// Run reads lines from in until it ends, `:quit`, or ctx is done. Lines
// are read on their own goroutine so that Ctrl-C or SIGTERM ends the
// console at once, even while it waits for input.
func (c *Console) Run(ctx context.Context, in io.Reader, h muster.Handler, t Ticker) error {
	c.say("muster console — you are %s in the %s. `/incident help` lists the commands, `:help` the console controls.", c.user, lobby)
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		readErr <- sc.Err()
		close(lines)
	}()
	for {
		c.prompt()
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			c.mu.Lock()
			c.prompting = false // Enter was pressed: output starts on a fresh line
			c.mu.Unlock()
			if !ok {
				if err := <-readErr; err != nil {
					return fmt.Errorf("read console input: %w", err)
				}
				return nil
			}
			if quit := c.Line(ctx, line, h, t); quit {
				return nil
			}
		}
	}
}

// Line handles one line of input and reports whether it was `:quit`.
func (c *Console) Line(ctx context.Context, line string, h muster.Handler, t Ticker) (quit bool) {
	line = strings.TrimSpace(line)
	if !c.interactive && line != "" {
		c.mu.Lock()
		c.write(fmt.Sprintf("%s@%s> %s\n", c.user, c.roomLabel(c.room), line))
		c.mu.Unlock()
	}
	switch {
	case line == "":
		return false
	case strings.HasPrefix(line, ":"):
		return c.control(ctx, line, h, t)
	case line == "/incident" || strings.HasPrefix(line, "/incident "):
		c.handle(ctx, h, muster.Event{Kind: muster.EventCommand, Text: strings.TrimPrefix(line, "/incident")})
	case strings.HasPrefix(line, "/"):
		c.say("Unknown slash command %q; muster answers `/incident …`.", strings.Fields(line)[0])
	default:
		c.mu.Lock()
		c.seq++
		id := fmt.Sprintf("c%d", c.seq)
		c.mu.Unlock()
		c.handle(ctx, h, muster.Event{Kind: muster.EventMessage, Text: line, MessageID: id})
	}
	return false
}

func (c *Console) handle(ctx context.Context, h muster.Handler, ev muster.Event) {
	c.mu.Lock()
	ev.Platform, ev.User, ev.Room, ev.At = Name, c.user, c.room, c.clock.Now()
	c.mu.Unlock()
	if err := h.Handle(ctx, ev); err != nil {
		c.say("⚠️ %s", muster.ErrorMessage(err))
	}
}

func (c *Console) control(ctx context.Context, line string, h muster.Handler, t Ticker) bool {
	word, arg, _ := strings.Cut(strings.TrimPrefix(line, ":"), " ")
	arg = strings.TrimSpace(arg)
	switch word {
	case "quit", "q":
		return true
	case "help":
		c.say("Console controls:\n" +
			"  :as <user>          speak as another user\n" +
			"  :room <INC-n|name>  enter a room; :lobby goes back to the lobby\n" +
			"  :rooms              list the rooms\n" +
			"  :press <key|label>  press a button of the last message with buttons here (a key stays with its button)\n" +
			"  :wait <duration>    let time pass (e.g. 31m), checking reminders at every tick as the bot would\n" +
			"  :quit               leave\n" +
			"Lines starting with /incident are commands; any other line is said in the current room.")
	case "as":
		if arg == "" || strings.ContainsAny(arg, " \t") {
			c.say("Usage: `:as <user>`, e.g. `:as alex`.")
			break
		}
		c.mu.Lock()
		c.user = strings.TrimPrefix(arg, "@")
		c.mu.Unlock()
		c.say("You are now %s.", strings.TrimPrefix(arg, "@"))
	case "lobby":
		c.enter(lobby)
	case "room":
		c.enterRoom(ctx, arg)
	case "rooms":
		c.mu.Lock()
		list := strings.Join(c.rooms, ", ")
		c.mu.Unlock()
		c.say("Rooms: %s", list)
	case "press":
		c.press(ctx, arg, h)
	case "wait":
		d, err := time.ParseDuration(arg)
		if err != nil || d <= 0 {
			c.say("Usage: `:wait <duration>`, e.g. `:wait 31m`.")
			break
		}
		c.wait(ctx, d, t)
	default:
		c.say("Unknown control `:%s`. Try `:help`.", word)
	}
	return false
}

// wait lets d pass tick by tick, checking reminders at each tick as the
// bot would have, and once more at the end: a wait of three cadences
// sees three reminders, not one.
func (c *Console) wait(ctx context.Context, d time.Duration, t Ticker) {
	c.say("⏩ %s later: %s", muster.FormatDuration(d), c.clock.Now().Add(d).UTC().Format("2006-01-02 15:04 UTC"))
	for left := d; left > 0; {
		step := left
		if c.tick > 0 && c.tick < left {
			step = c.tick
		}
		c.clock.Advance(step)
		left -= step
		if err := t.Tick(ctx, c.clock.Now()); err != nil {
			c.say("⚠️ reminder check failed: %v", err)
			return
		}
	}
}

func (c *Console) enterRoom(ctx context.Context, arg string) {
	name := strings.TrimPrefix(arg, "#")
	if id, ok := muster.ParseRef(name); ok {
		inc, err := c.incidents.Incident(ctx, id)
		if err != nil {
			c.say("⚠️ %s", muster.ErrorMessage(err))
			return
		}
		if inc.Platform != Name || inc.Room == "" {
			c.say("%s has no war room on the console.", inc.Ref())
			return
		}
		name = inc.Room
	}
	c.mu.Lock()
	known := slices.Contains(c.rooms, name)
	c.mu.Unlock()
	if !known {
		c.say("There is no room %q. `:rooms` lists them.", arg)
		return
	}
	c.enter(name)
}

func (c *Console) enter(room string) {
	c.mu.Lock()
	c.room = room
	c.mu.Unlock()
	c.say("You are in %s.", c.roomLabel(room))
}

func (c *Console) press(ctx context.Context, key string, h muster.Handler) {
	c.mu.Lock()
	buttons := c.buttons[c.room]
	c.mu.Unlock()
	if len(buttons) == 0 {
		c.say("No message with buttons in this room.")
		return
	}
	btn, ok := pick(buttons, key)
	if !ok {
		var labels []string
		for _, b := range buttons {
			labels = append(labels, fmt.Sprintf("%s (%s)", b.key, b.Label))
		}
		c.say("No button %q here. Press one of: %s.", key, strings.Join(labels, ", "))
		return
	}
	c.handle(ctx, h, muster.Event{Kind: muster.EventAction, Action: btn.Action, Value: btn.Value})
}

func (c *Console) prompt() {
	if !c.interactive {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprint(c.out, c.promptText())
	c.prompting = true
}

func (c *Console) promptText() string { return fmt.Sprintf("%s@%s> ", c.user, c.roomLabel(c.room)) }

// write prints s, whole lines. The caller holds c.mu. While the prompt
// waits for a line, s is a message from elsewhere (a reminder): it goes on
// the next line, and the prompt is printed again under it. Without a raw
// terminal the characters already typed cannot be redrawn; they stay on
// the line above, and the terminal still holds them for Enter (Ctrl-R
// shows them again).
func (c *Console) write(s string) {
	if c.prompting {
		fmt.Fprint(c.out, "\n"+s+c.promptText())
		return
	}
	fmt.Fprint(c.out, s)
}

// say prints a console notice (not something the bot posted).
func (c *Console) say(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.write(fmt.Sprintf("· %s\n", fmt.Sprintf(format, args...)))
}

func (c *Console) roomLabel(room string) string {
	if room == lobby || room == announcements {
		return room
	}
	return "#" + room
}
