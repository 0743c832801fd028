package console_test

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot/console"
)

// update rewrites the golden files: go test ./bot/console -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var t0 = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

// recorder is a Handler and Ticker that keeps what the console sent. The
// embedded Handler stands for the methods the console does not call.
type recorder struct {
	muster.Handler
	mu     sync.Mutex
	events []muster.Event
	ticks  []time.Time
}

func (r *recorder) Handle(ctx context.Context, ev muster.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return nil
}

func (r *recorder) Tick(ctx context.Context, now time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ticks = append(r.ticks, now)
	return nil
}

type noIncidents struct{}

func (noIncidents) Incident(ctx context.Context, id int) (*muster.Incident, error) {
	return nil, muster.Errorf(muster.ENOTFOUND, "There is no incident INC-%d.", id)
}

// tick is the reminder tick the test consoles step `:wait` by.
const tick = 10 * time.Second

func newConsole(t testing.TB) (*console.Console, *bytes.Buffer, *recorder, *console.Clock) {
	t.Helper()
	var out bytes.Buffer
	clock := console.NewClock(func() time.Time { return t0 })
	return console.New(&out, "alice", false, clock, noIncidents{}, tick), &out, &recorder{}, clock
}

func header() muster.Message {
	return muster.Message{
		Title:   "INC-7 · SEV1 · investigating — Checkout is returning 500s",
		Text:    "Declared by <@alice>",
		Fields:  []muster.Field{{Label: "Incident Commander", Value: "unassigned"}, {Label: "Communications lead", Value: "<@U123|bob>"}},
		Buttons: []muster.Button{{Label: "I'll be IC", Action: "role ic", Value: "INC-7"}, {Label: "I'll be Comms", Action: "role comms", Value: "INC-7"}},
		Menus:   []muster.Menu{{Label: "Status", Action: "status", Incident: "INC-7", Options: []string{"investigating", "mitigated"}, Selected: "investigating"}},
		Footer:  "Commands: `update <text>`",
		File:    &muster.File{Name: "INC-7-postmortem.md", Content: []byte("# INC-7\n\nline two\n")},
	}
}

func TestRenderGolden(t *testing.T) {
	c, out, _, _ := newConsole(t)
	ctx := context.Background()
	if _, err := c.Post(ctx, "inc-7-checkout", header()); err != nil {
		t.Fatal(err)
	}
	if err := c.Reply(ctx, muster.Event{Room: "lobby", User: "alice"}, muster.Message{Text: "⚠️ only you"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Post(ctx, "announcements", muster.Message{Text: "threaded", Thread: "b1"}); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "render.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read %s (create it with -update): %v", golden, err)
	}
	if out.String() != string(want) {
		t.Errorf("render differs from %s:\n%s", golden, out.String())
	}
}

func TestLines(t *testing.T) {
	c, out, rec, clock := newConsole(t)
	ctx := context.Background()
	if _, err := c.CreateRoom(ctx, "inc-7-checkout", false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Post(ctx, "inc-7-checkout", header()); err != nil {
		t.Fatal(err)
	}
	script := []string{
		"/incident declare sev1 Checkout down",
		"Error rate is 40%",
		"Rolling back",
		":press 2",
		":as bob",
		":press i'll be ic",
		":press 9",
		":wait 31m",
		"/deploy now",
		":room nowhere",
		":frobnicate",
	}
	for _, line := range script {
		if c.Line(ctx, line, rec, rec) {
			t.Fatalf("%q quit the console", line)
		}
	}
	if !c.Line(ctx, ":quit", rec, rec) {
		t.Error(":quit did not quit")
	}
	want := []muster.Event{
		{Kind: muster.EventCommand, Text: " declare sev1 Checkout down", User: "alice"},
		{Kind: muster.EventMessage, Text: "Error rate is 40%", User: "alice"},
		{Kind: muster.EventMessage, Text: "Rolling back", User: "alice"},
		{Kind: muster.EventAction, Action: "role comms", Value: "INC-7", User: "alice"},
		{Kind: muster.EventAction, Action: "role ic", Value: "INC-7", User: "bob"},
	}
	if len(rec.events) != len(want) {
		t.Fatalf("got %d events, want %d: %+v", len(rec.events), len(want), rec.events)
	}
	ids := map[string]bool{}
	for i, w := range want {
		got := rec.events[i]
		if got.Kind != w.Kind || got.Text != w.Text || got.Action != w.Action || got.Value != w.Value || got.User != w.User ||
			got.Platform != console.Name || got.Room != "inc-7-checkout" || !got.At.Equal(t0) {
			t.Errorf("event %d = %+v, want %+v in inc-7-checkout", i, got, w)
		}
		if got.Kind == muster.EventMessage {
			if got.MessageID == "" || ids[got.MessageID] {
				t.Errorf("message %d has id %q; ids must be unique", i, got.MessageID)
			}
			ids[got.MessageID] = true
		}
	}
	if n := len(rec.ticks); n != int(31*time.Minute/tick) || !rec.ticks[n-1].Equal(t0.Add(31*time.Minute)) || !clock.Now().Equal(t0.Add(31*time.Minute)) {
		t.Errorf(":wait 31m ticked %d times, last at %v, clock now %v", n, rec.ticks[n-1], clock.Now())
	}
	for _, notice := range []string{
		"No button \"9\" here. Press one of: 1 (I'll be IC), 2 (I'll be Comms).",
		"Unknown slash command \"/deploy\"",
		"There is no room \"nowhere\"",
		"Unknown control `:frobnicate`",
	} {
		if !strings.Contains(out.String(), notice) {
			t.Errorf("output lacks %q:\n%s", notice, out.String())
		}
	}
}

func TestCreateRoomTaken(t *testing.T) {
	c, _, _, _ := newConsole(t)
	ctx := context.Background()
	if _, err := c.CreateRoom(ctx, "inc-1-x", false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateRoom(ctx, "inc-1-x", false); muster.ErrorCode(err) != muster.ECONFLICT {
		t.Errorf("second CreateRoom: %v, want ECONFLICT", err)
	}
}

// TestRunEndsOnCancel: Ctrl-C must end the console even while it waits for
// a line that never comes.
func TestRunEndsOnCancel(t *testing.T) {
	c, _, rec, _ := newConsole(t)
	in, w := io.Pipe()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, in, rec, rec) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// TestPressKeysStayStable: a key names one button for as long as it
// exists; pressing 1 twice never takes two different roles.
func TestPressKeysStayStable(t *testing.T) {
	c, out, rec, _ := newConsole(t)
	ctx := context.Background()
	room := "inc-7-checkout"
	if _, err := c.CreateRoom(ctx, room, false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Post(ctx, room, header()); err != nil {
		t.Fatal(err)
	}
	c.Line(ctx, ":press 1", rec, rec)
	// The bot redraws the header without the role just taken.
	redrawn := header()
	redrawn.Buttons = redrawn.Buttons[1:]
	if err := c.Update(ctx, room, "b1", redrawn); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Buttons: [2] I'll be Comms") {
		t.Errorf("the redrawn header renumbered its buttons:\n%s", out.String())
	}
	c.Line(ctx, ":press 1", rec, rec)
	if len(rec.events) != 1 || rec.events[0].Action != "role ic" {
		t.Fatalf("events = %+v, want only the first press (role ic)", rec.events)
	}
	if !strings.Contains(out.String(), `No button "1" here. Press one of: 2 (I'll be Comms).`) {
		t.Errorf("a press of a key that is gone is not refused:\n%s", out.String())
	}
	c.Line(ctx, ":press 2", rec, rec)
	if len(rec.events) != 2 || rec.events[1].Action != "role comms" {
		t.Errorf("events = %+v, want role comms second", rec.events)
	}
}

// cadenceTicker sends a reminder whenever 30 minutes passed since the
// declaration or the last reminder, as the bot does for a SEV1.
type cadenceTicker struct {
	last      time.Time
	reminders []time.Time
}

func (c *cadenceTicker) Tick(ctx context.Context, now time.Time) error {
	if now.Sub(c.last) >= 30*time.Minute {
		c.reminders = append(c.reminders, now)
		c.last = now
	}
	return nil
}

// TestWaitRunsEveryTick: `:wait 95m` on a 30m cadence sees the three
// reminders the bot would have sent, each at its time.
func TestWaitRunsEveryTick(t *testing.T) {
	c, _, rec, _ := newConsole(t)
	ticker := &cadenceTicker{last: t0}
	c.Line(context.Background(), ":wait 95m", rec, ticker)
	want := []time.Time{t0.Add(30 * time.Minute), t0.Add(60 * time.Minute), t0.Add(90 * time.Minute)}
	if len(ticker.reminders) != len(want) {
		t.Fatalf("reminders at %v, want %v", ticker.reminders, want)
	}
	for i := range want {
		if !ticker.reminders[i].Equal(want[i]) {
			t.Errorf("reminder %d at %v, want %v", i+1, ticker.reminders[i], want[i])
		}
	}
}

// notifyWriter is a buffer that signals each write, so a test can wait
// for output without sleeping.
type notifyWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
}

func (w *notifyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return n, err
}

func (w *notifyWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// waitFor blocks until the output ends with suffix.
func (w *notifyWriter) waitFor(t *testing.T, suffix string) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for !strings.HasSuffix(w.String(), suffix) {
		select {
		case <-w.wrote:
		case <-timeout:
			t.Fatalf("output never ended with %q:\n%s", suffix, w.String())
		}
	}
}

// TestAsyncMessageReprintsPrompt: a reminder printed while the prompt
// waits goes on its own line, and the prompt comes back under it.
func TestAsyncMessageReprintsPrompt(t *testing.T) {
	out := &notifyWriter{wrote: make(chan struct{}, 1)}
	clock := console.NewClock(func() time.Time { return t0 })
	c := console.New(out, "alice", true, clock, noIncidents{}, tick)
	in, w := io.Pipe()
	rec := &recorder{}
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background(), in, rec, rec) }()
	out.waitFor(t, "alice@lobby> ")
	mark := len(out.String())
	// What the reminder tick posts, from its own goroutine.
	if _, err := c.Post(context.Background(), "lobby", muster.Message{Text: "⏰ an update is due"}); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String()[mark:], "\n[lobby] muster: ⏰ an update is due\nalice@lobby> "; got != want {
		t.Errorf("printed %q while the prompt waited, want %q", got, want)
	}
	// A reply to a line typed prints as before: no extra prompt.
	if _, err := io.WriteString(w, ":as bob\n"); err != nil {
		t.Fatal(err)
	}
	out.waitFor(t, "bob@lobby> ")
	if !strings.HasSuffix(out.String(), "alice@lobby> · You are now bob.\nbob@lobby> ") {
		t.Errorf("the reply to a typed line was printed differently:\n%q", out.String())
	}
	w.Close()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestClockNotBefore(t *testing.T) {
	clock := console.NewClock(func() time.Time { return t0 })
	clock.NotBefore(t0.Add(-time.Hour))
	if !clock.Now().Equal(t0) {
		t.Errorf("an earlier time moved the clock to %v", clock.Now())
	}
	inc := &muster.Incident{DeclaredAt: t0, ResolvedAt: t0.Add(2 * time.Hour)}
	clock.NotBefore(console.Latest(inc, []muster.Entry{{At: t0.Add(3 * time.Hour)}, {At: t0.Add(time.Hour)}}))
	if !clock.Now().Equal(t0.Add(3 * time.Hour)) {
		t.Errorf("clock at %v, want the latest stored time, t0+3h", clock.Now())
	}
}

// TestHelpHintsOnTheConsole: the bot's "`help <command>`" is typed
// `/incident help <command>` on the console, and says so.
func TestHelpHintsOnTheConsole(t *testing.T) {
	c, out, _, _ := newConsole(t)
	msg := muster.Message{Text: "`updte` is not a command. Type `help <command>` for its usage; `help` lists them, `helpful` is a word."}
	if err := c.Reply(context.Background(), muster.Event{Room: "lobby", User: "alice"}, msg); err != nil {
		t.Fatal(err)
	}
	want := "Type `/incident help <command>` for its usage; `/incident help` lists them, `helpful` is a word."
	if !strings.Contains(out.String(), want) {
		t.Errorf("output %q lacks %q", out.String(), want)
	}
}

// TestPressAfterHeaderLosesItsButtons: the header redrawn without
// buttons (a resolved incident's) leaves the buttons of a later message,
// such as the resolve message's "Publish the resolution", pressable.
func TestPressAfterHeaderLosesItsButtons(t *testing.T) {
	c, _, rec, _ := newConsole(t)
	ctx := context.Background()
	room := "inc-7-checkout"
	if _, err := c.CreateRoom(ctx, room, false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Post(ctx, room, header()); err != nil {
		t.Fatal(err)
	}
	resolved := muster.Message{Text: "INC-7 resolved", Buttons: []muster.Button{{Label: "Publish the resolution", Action: "public resolution", Value: "INC-7"}}}
	if _, err := c.Post(ctx, room, resolved); err != nil {
		t.Fatal(err)
	}
	if err := c.Update(ctx, room, "b1", muster.Message{Title: "INC-7 · resolved"}); err != nil {
		t.Fatal(err)
	}
	c.Line(ctx, ":press Publish the resolution", rec, rec)
	if len(rec.events) != 1 || rec.events[0].Action != "public resolution" || rec.events[0].Value != "INC-7" {
		t.Fatalf("events = %+v, want the resolution pressed", rec.events)
	}
	// The header redrawn without buttons when its own were the last: gone.
	if err := c.Update(ctx, room, "b2", muster.Message{Text: "INC-7 resolved"}); err != nil {
		t.Fatal(err)
	}
	c.Line(ctx, ":press 1", rec, rec)
	if len(rec.events) != 1 {
		t.Errorf("a button of a message redrawn without it was pressed: %+v", rec.events)
	}
}
