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

// recorder is a Handler and Ticker that keeps what the console sent.
type recorder struct {
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

func newConsole(t testing.TB) (*console.Console, *bytes.Buffer, *recorder, *console.Clock) {
	t.Helper()
	var out bytes.Buffer
	clock := console.NewClock(func() time.Time { return t0 })
	return console.New(&out, "alice", false, clock, noIncidents{}), &out, &recorder{}, clock
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
	if len(rec.ticks) != 1 || !rec.ticks[0].Equal(t0.Add(31*time.Minute)) || !clock.Now().Equal(t0.Add(31*time.Minute)) {
		t.Errorf(":wait 31m ticked at %v, clock now %v", rec.ticks, clock.Now())
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
