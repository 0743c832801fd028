package bot_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

// texts returns what was posted in room, in order, with the text of each.
func texts(h *harness, room string) []string {
	var out []string
	for _, c := range h.fp.ok("Post", room) {
		out = append(out, c.Msg.Title+" "+c.Msg.Text)
	}
	return out
}

func countWith(list []string, s string) int {
	n := 0
	for _, t := range list {
		if strings.Contains(t, s) {
			n++
		}
	}
	return n
}

// TestOutboxDeliversOnceInOrder: posts the platform does not take wait in
// the outbox, the sender is told the truth, later posts to the room queue
// behind them, and once the platform is back each is posted once, in
// order.
func TestOutboxDeliversOnceInOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev2 Checkout down")
	h.fp.fail("Post", inc.Room, errors.New("connection refused"))
	mark := h.fp.mark()
	h.command("alice", inc.Room, "note First finding")
	h.command("alice", inc.Room, "note Second finding")
	var told []string
	for _, c := range h.fp.since(mark) {
		if c.Method == "Private" {
			told = append(told, c.Msg.Text)
		}
	}
	if len(told) != 2 || !strings.Contains(told[0], "Saved in INC-1's timeline") || !strings.Contains(told[0], "keeps trying") {
		t.Errorf("the sender was told %q, want the truth: saved, posted later", told)
	}
	if got := texts(h, inc.Room); countWith(got, "finding") != 0 {
		t.Fatalf("posted while the platform fails: %q", got)
	}
	h.fp.heal("Post")
	h.at(5 * time.Second) // not due yet
	if err := h.tick(); err != nil {
		t.Fatal(err)
	}
	if got := texts(h, inc.Room); countWith(got, "finding") != 0 {
		t.Errorf("posted before its retry was due: %q", got)
	}
	h.at(time.Minute)
	for range 3 { // more ticks post nothing twice
		if err := h.tick(); err != nil {
			t.Fatal(err)
		}
	}
	got := texts(h, inc.Room)
	first, second := -1, -1
	for i, s := range got {
		if strings.Contains(s, "First finding") {
			first = i
		}
		if strings.Contains(s, "Second finding") {
			second = i
		}
	}
	if countWith(got, "First finding") != 1 || countWith(got, "Second finding") != 1 || first > second {
		t.Errorf("room posts after recovery: %q, want each finding once, in order", got)
	}
}

// TestOutboxSurvivesRestart: a queued post is in the store, so a new
// process posts it.
func TestOutboxSurvivesRestart(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev2 Checkout down")
	h.fp.fail("Post", inc.Room, errors.New("503 service unavailable"))
	h.command("alice", inc.Room, "note Rolled back deploy 4512")
	h.restart() // a platform that works
	h.at(time.Minute)
	if err := h.tick(); err != nil {
		t.Fatal(err)
	}
	if got := texts(h, inc.Room); countWith(got, "Rolled back deploy 4512") != 1 {
		t.Errorf("after a restart the room got %q, want the queued note once", got)
	}
}

// TestOutboxQueuedAnnouncement: an announcement the platform did not take
// is posted later, its id kept, and the updates queued behind it thread
// under it.
func TestOutboxQueuedAnnouncement(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.fp.fail("Post", announceRoom, errors.New("connection reset by peer"))
	inc := h.declare("sev2 Checkout down")
	h.command("alice", inc.Room, "update Rolled back; error rate falling")
	h.fp.heal("Post")
	h.at(time.Minute)
	if err := h.tick(); err != nil {
		t.Fatal(err)
	}
	posts := h.fp.ok("Post", announceRoom)
	if len(posts) != 2 || !strings.Contains(posts[0].Msg.Title, "INC-1") || posts[1].Msg.Thread != posts[0].ID {
		t.Fatalf("announcement room: %+v, want the announcement, then the update threaded under it", posts)
	}
	if got := h.incident(inc.ID); got.Announcement != posts[0].ID {
		t.Errorf("announcement id %q kept, want %q", got.Announcement, posts[0].ID)
	}
}

// TestOutboxPermanentRefusal: a post the platform refuses for good (no
// such channel) is not queued: retrying would change nothing.
func TestOutboxPermanentRefusal(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev2 Checkout down")
	h.fp.fail("Post", inc.Room, muster.Errorf(muster.ENOTFOUND, "Slack says channel_not_found"))
	mark := h.fp.mark()
	h.command("alice", inc.Room, "note Gone")
	h.fp.heal("Post")
	h.at(time.Hour)
	if err := h.tick(); err != nil {
		t.Fatal(err)
	}
	if got := texts(h, inc.Room); countWith(got, "Gone") != 0 {
		t.Errorf("a refused post was retried: %q", got)
	}
	var told string
	for _, c := range h.fp.since(mark) {
		if c.Method == "Private" {
			told += c.Msg.Text
		}
	}
	if !strings.Contains(told, "tell the room yourself") {
		t.Errorf("the sender was told %q", told)
	}
}
