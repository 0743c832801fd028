package bot_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

// say delivers a message event in room.
func (h *harness) say(id, user, room, msgID, text string) {
	h.tb.Helper()
	h.handle(muster.Event{ID: id, Kind: muster.EventMessage, User: user, Room: room, MessageID: msgID, Text: text})
}

// messages returns the message entries of incident id.
func (h *harness) messages(id int) []muster.Entry {
	h.tb.Helper()
	return h.entries(id, muster.EntryMessage)
}

func TestMessagesBecomeTimeline(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev2 Checkout slow")
	h.at(3 * time.Minute)
	h.say("Ev1", "bob", inc.Room, "1700000001.000100", "error rate is 40%")

	got := h.messages(inc.ID)
	if len(got) != 1 {
		t.Fatalf("%d message entries, want 1: %+v", len(got), got)
	}
	want := muster.Entry{Seq: got[0].Seq, Kind: muster.EntryMessage, At: t0.Add(3 * time.Minute), Actor: "bob", Text: "error rate is 40%", MessageID: "1700000001.000100"}
	if !entryEqual(got[0], want) {
		t.Errorf("entry = %+v, want %+v", got[0], want)
	}
}

func entryEqual(a, b muster.Entry) bool {
	return a.Seq == b.Seq && a.Kind == b.Kind && a.At.Equal(b.At) && a.Actor == b.Actor && a.Text == b.Text &&
		a.MessageID == b.MessageID && a.ThreadID == b.ThreadID && a.Key == b.Key &&
		slices.Equal(a.Edits, b.Edits) && a.DeletedAt.Equal(b.DeletedAt)
}

func TestMessagesOutsideWarRoomsIgnored(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev2 Checkout slow")
	before, mark := h.snapshot(), h.fp.mark()
	for i, room := range []string{lobby, announceRoom, "random", ""} {
		h.say(fmt.Sprintf("Ev%d", i), "bob", room, fmt.Sprintf("m%d", i), "lunch?")
	}
	h.handle(muster.Event{Kind: muster.EventMessageEdited, User: "bob", Room: lobby, MessageID: "m0", Text: "dinner?"})
	h.handle(muster.Event{Kind: muster.EventKeyFlag, User: "bob", Room: lobby, MessageID: "m0"})
	if h.snapshot() != before {
		t.Errorf("messages outside %s changed the store", inc.Room)
	}
	if calls := h.fp.since(mark); len(calls) != 0 {
		t.Errorf("messages outside war rooms made platform calls: %+v", calls)
	}
}

func TestRetriedMessageRecordedOnce(t *testing.T) {
	t.Parallel()
	t.Run("sequential", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		inc := h.declare("sev2 Checkout slow")
		for range 3 {
			h.say("Ev1", "bob", inc.Room, "m1", "rolling back")
		}
		if got := h.messages(inc.ID); len(got) != 1 {
			t.Errorf("%d entries for one message delivered 3 times, want 1", len(got))
		}
	})
	t.Run("20 concurrent copies", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		inc := h.declare("sev2 Checkout slow")
		ev := muster.Event{ID: "Ev1", Kind: muster.EventMessage, User: "bob", Room: inc.Room, MessageID: "m1", Text: "rolling back", At: t0}
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for range 20 {
			wg.Go(func() { errs <- h.try(ev) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("Handle: %v", err)
			}
		}
		if got := h.messages(inc.ID); len(got) != 1 {
			t.Errorf("%d entries for one message delivered 20 times at once, want 1", len(got))
		}
	})
	t.Run("different deliveries are different messages", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		inc := h.declare("sev2 Checkout slow")
		h.say("Ev1", "bob", inc.Room, "m1", "ok")
		h.say("Ev2", "bob", inc.Room, "m2", "ok")
		if got := h.messages(inc.ID); len(got) != 2 {
			t.Errorf("%d entries for two messages, want 2", len(got))
		}
	})
}

func TestMessageRevisions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev2 Checkout slow")
	h.at(time.Minute)
	h.say("Ev1", "bob", inc.Room, "m1", "db is fine")
	h.say("Ev2", "bob", inc.Room, "m2", "restarting api")
	h.say("Ev3", "bob", inc.Room, "m3", "oops wrong room")

	h.at(2 * time.Minute)
	edit := muster.Event{ID: "Ev4", Kind: muster.EventMessageEdited, User: "bob", Room: inc.Room, MessageID: "m1", Text: "db is NOT fine"}
	h.handle(edit)
	h.handle(edit) // a retry of the same edit
	h.at(3 * time.Minute)
	h.handle(muster.Event{ID: "Ev5", Kind: muster.EventKeyFlag, User: "carol", Room: inc.Room, MessageID: "m2"})
	h.at(4 * time.Minute)
	h.handle(muster.Event{ID: "Ev6", Kind: muster.EventMessageDeleted, User: "bob", Room: inc.Room, MessageID: "m3"})
	// Edits and pins of messages the timeline never saw are not errors.
	h.handle(muster.Event{ID: "Ev7", Kind: muster.EventMessageEdited, User: "bob", Room: inc.Room, MessageID: "unknown", Text: "x"})
	h.handle(muster.Event{ID: "Ev8", Kind: muster.EventKeyFlag, User: "bob", Room: inc.Room, MessageID: "unknown"})
	h.handle(muster.Event{ID: "Ev9", Kind: muster.EventMessageDeleted, User: "bob", Room: inc.Room, MessageID: ""})

	got := h.messages(inc.ID)
	if len(got) != 3 {
		t.Fatalf("%d message entries, want 3: %+v", len(got), got)
	}
	byID := map[string]muster.Entry{}
	for _, e := range got {
		byID[e.MessageID] = e
	}
	edited := byID["m1"]
	wantEdits := []muster.Edit{{At: t0.Add(2 * time.Minute), Previous: "db is fine"}}
	if edited.Text != "db is NOT fine" || len(edited.Edits) != 1 || !edited.Edits[0].At.Equal(wantEdits[0].At) || edited.Edits[0].Previous != wantEdits[0].Previous {
		t.Errorf("edited entry = %+v, want text %q and edits %+v", edited, "db is NOT fine", wantEdits)
	}
	if e := byID["m2"]; !e.Key || e.Text != "restarting api" {
		t.Errorf("flagged entry = %+v, want Key and the text unchanged", e)
	}
	if e := byID["m3"]; !e.DeletedAt.Equal(t0.Add(4*time.Minute)) || e.Text != "oops wrong room" {
		t.Errorf("deleted entry = %+v, want DeletedAt +4m and the text kept", e)
	}
	if e := byID["m1"]; e.Key || e.Deleted() {
		t.Errorf("edited entry was also flagged or deleted: %+v", e)
	}
}

// Platforms without delivery ids still count every edit of a message.
func TestEditsWithoutDeliveryIDsAllCount(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev2 Checkout slow")
	h.say("", "bob", inc.Room, "m1", "v1")
	for _, text := range []string{"v2", "v3"} {
		h.handle(muster.Event{Kind: muster.EventMessageEdited, User: "bob", Room: inc.Room, MessageID: "m1", Text: text})
	}
	got := h.messages(inc.ID)
	if len(got) != 1 || got[0].Text != "v3" || len(got[0].Edits) != 2 {
		t.Errorf("entries = %+v, want one entry at v3 with two edits", got)
	}
}

func TestDeclareOpensWarRoom(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")

	creates := h.fp.ok("CreateRoom", "")
	if len(creates) != 1 || creates[0].Name != "inc-1-checkout-down" || creates[0].Private {
		t.Fatalf("CreateRoom calls = %+v, want one public inc-1-checkout-down", creates)
	}
	if inc.Room != creates[0].Room || inc.RoomName != "inc-1-checkout-down" || inc.Platform != platformName {
		t.Errorf("incident room %q name %q platform %q, want %q inc-1-checkout-down %q", inc.Room, inc.RoomName, inc.Platform, creates[0].Room, platformName)
	}

	posts := h.fp.ok("Post", inc.Room)
	if len(posts) == 0 {
		t.Fatal("nothing posted in the war room")
	}
	header := posts[0]
	if inc.Header == "" || header.ID != inc.Header {
		t.Errorf("stored header id %q, want the first war-room post %q", inc.Header, header.ID)
	}
	var labels []string
	for _, b := range header.Msg.Buttons {
		labels = append(labels, b.Label)
		if !strings.HasPrefix(b.Action, "role ") || b.Value != "INC-1" {
			t.Errorf("button %+v: want a role action for INC-1", b)
		}
	}
	if want := []string{"I'll be IC", "I'll be Comms", "I'll be Scribe", "I'll be Ops"}; !slices.Equal(labels, want) {
		t.Errorf("header buttons %q, want %q", labels, want)
	}

	invites := h.fp.ok("Invite", "")
	if len(invites) != 1 || invites[0].Room != inc.Room {
		t.Fatalf("Invite calls = %+v, want one into the war room", invites)
	}
	// alice declared; SEV1 notifies oncall-sre and standing-1, who is also
	// a standing responder with standing-2.
	if want := []string{"alice", "oncall-sre", "standing-1", "standing-2"}; !slices.Equal(invites[0].Users, want) {
		t.Errorf("invited %q, want %q, each once", invites[0].Users, want)
	}

	topics := h.fp.ok("SetTopic", inc.Room)
	if len(topics) == 0 || !strings.Contains(topics[len(topics)-1].Topic, "INC-1") || !strings.Contains(topics[len(topics)-1].Topic, "no IC yet") {
		t.Errorf("topics = %+v, want one naming INC-1 and no IC yet", topics)
	}

	ann := h.fp.ok("Post", announceRoom)
	if len(ann) != 1 || !strings.Contains(ann[0].Msg.Title, "INC-1") || ann[0].ID != inc.Announcement {
		t.Errorf("announcements = %+v, stored id %q: want one for INC-1, its id stored", ann, inc.Announcement)
	}

	privs := h.fp.ok("Private", lobby)
	if len(privs) != 1 || privs[0].User != "alice" || !strings.Contains(privs[0].Msg.Text, "#inc-1-checkout-down") {
		t.Errorf("private replies = %+v, want one telling alice where the war room is", privs)
	}
	if n := len(h.timeline(inc.ID)); n != 1 {
		t.Errorf("timeline holds %d entries after declare, want the declared entry only", n)
	}
}

func TestDeclareRoomNameTaken(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.fp.take("inc-1-checkout-down")
	h.fp.take("inc-1-checkout-down-2")
	inc := h.declare("sev2 Checkout down")
	if inc.RoomName != "inc-1-checkout-down-3" {
		t.Errorf("room name %q, want inc-1-checkout-down-3", inc.RoomName)
	}
	var tried []string
	for _, c := range h.fp.since(0) {
		if c.Method == "CreateRoom" {
			tried = append(tried, c.Name)
		}
	}
	if want := []string{"inc-1-checkout-down", "inc-1-checkout-down-2", "inc-1-checkout-down-3"}; !slices.Equal(tried, want) {
		t.Errorf("tried %q, want %q", tried, want)
	}
}

func TestDeclarePrivateIsNotAnnounced(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("private sev1 Token leaked")
	if !inc.Private || inc.Severity != "SEV1" || inc.Title != "Token leaked" {
		t.Fatalf("incident = %+v, want a private SEV1 titled Token leaked", inc)
	}
	if c := h.fp.ok("CreateRoom", ""); len(c) != 1 || !c[0].Private {
		t.Errorf("CreateRoom calls = %+v, want one private room", c)
	}
	h.command("bob", inc.Room, "update Keys rotated")
	h.command("bob", inc.Room, "resolve Rotated")
	if posts := h.fp.ok("Post", announceRoom); len(posts) != 0 {
		t.Errorf("a private incident was announced: %+v", posts)
	}
	if inc := h.incident(inc.ID); inc.Announcement != "" {
		t.Errorf("a private incident has announcement id %q", inc.Announcement)
	}
}

// A button pressed the moment the header shows, before the bot has
// recorded the header's id, still redraws the header.
func TestRoleButtonBeforeHeaderRecorded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var once sync.Once
	h.fp.afterPost = func(room, id string, msg muster.Message) {
		if !slices.ContainsFunc(msg.Buttons, func(b muster.Button) bool { return b.Action == "role ic" }) {
			return
		}
		once.Do(func() {
			h.handle(muster.Event{ID: "Act1", Kind: muster.EventAction, User: "bob", Room: room, Action: "role ic", Value: "INC-1"})
		})
	}
	inc := h.declare("sev1 Checkout down")
	if inc.Roles[muster.RoleIC] != "bob" {
		t.Fatalf("IC %q, want bob", inc.Roles[muster.RoleIC])
	}
	updates := h.fp.ok("Update", inc.Room)
	if len(updates) != 1 || updates[0].ID != inc.Header {
		t.Fatalf("Update calls = %+v, want one of header %s", updates, inc.Header)
	}
	if slices.ContainsFunc(updates[0].Msg.Buttons, func(b muster.Button) bool { return b.Action == "role ic" }) {
		t.Errorf("the header still offers the IC role: %+v", updates[0].Msg.Buttons)
	}
}

func TestRoleButtonUpdatesHeaderInPlace(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")
	header := h.fp.ok("Post", inc.Room)[0].Msg
	i := slices.IndexFunc(header.Buttons, func(b muster.Button) bool { return b.Label == "I'll be IC" })
	if i < 0 {
		t.Fatalf("no IC button on the header: %+v", header.Buttons)
	}
	btn := header.Buttons[i]
	if btn.Action != "role ic" || btn.Value != "INC-1" {
		t.Errorf("IC button %+v, want action %q value %q", btn, "role ic", "INC-1")
	}

	h.at(2 * time.Minute)
	mark := h.fp.mark()
	h.handle(muster.Event{ID: "Act1", Kind: muster.EventAction, User: "bob", Room: inc.Room, Action: btn.Action, Value: btn.Value})

	got := h.incident(inc.ID)
	if got.Roles[muster.RoleIC] != "bob" || !got.AcknowledgedAt.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("IC %q acknowledged %v, want bob at +2m", got.Roles[muster.RoleIC], got.AcknowledgedAt)
	}
	var updates []call
	for _, c := range h.fp.since(mark) {
		if c.Method == "Update" {
			updates = append(updates, c)
		}
	}
	if len(updates) != 1 || updates[0].Room != inc.Room || updates[0].ID != inc.Header {
		t.Fatalf("Update calls = %+v, want one of header %s in %s", updates, inc.Header, inc.Room)
	}
	for _, b := range updates[0].Msg.Buttons {
		if b.Action == "role ic" {
			t.Errorf("the updated header still offers the IC role: %+v", updates[0].Msg.Buttons)
		}
	}
	topics := h.fp.ok("SetTopic", inc.Room)
	if last := topics[len(topics)-1].Topic; !strings.Contains(last, "IC <@bob>") {
		t.Errorf("topic %q does not name the IC", last)
	}
	if n := len(h.entries(inc.ID, muster.EntryRole)); n != 1 {
		t.Errorf("%d role entries, want 1", n)
	}
}

// The header's menus come back as an EventAction whose Value is the
// chosen option (muster.Event, muster.Menu).
func TestMenuChoiceChangesStatus(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")
	header := h.fp.ok("Post", inc.Room)[0].Msg
	i := slices.IndexFunc(header.Menus, func(m muster.Menu) bool { return m.Label == "Status" })
	if i < 0 {
		t.Fatalf("no status menu on the header: %+v", header.Menus)
	}
	menu := header.Menus[i]
	mark := h.fp.mark()
	h.handle(muster.Event{ID: "Act1", Kind: muster.EventAction, User: "bob", Room: inc.Room, Action: menu.Action, Value: "mitigated"})
	if got := h.incident(inc.ID).Status; got != muster.StatusMitigated {
		t.Errorf("status %q after choosing mitigated in the menu; calls: %+v", got, h.fp.since(mark))
	}
}

func TestCommandOutsideWarRoom(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")
	mark := h.fp.mark()
	h.at(10 * time.Minute)
	h.command("carol", lobby, "update INC-1 Rolled back; errors falling")

	var inRoom, toCarol, announced []call
	for _, c := range h.fp.since(mark) {
		switch {
		case c.Method == "Post" && c.Room == inc.Room:
			inRoom = append(inRoom, c)
		case c.Method == "Private" && c.User == "carol":
			toCarol = append(toCarol, c)
		case c.Method == "Post" && c.Room == announceRoom:
			announced = append(announced, c)
		}
	}
	if len(inRoom) != 1 || inRoom[0].Msg.Text != "Rolled back; errors falling" {
		t.Errorf("war-room posts = %+v, want the update", inRoom)
	}
	if len(toCarol) != 1 || toCarol[0].Room != lobby || !strings.HasPrefix(toCarol[0].Msg.Text, "Done:") ||
		!strings.Contains(toCarol[0].Msg.Text, "#inc-1-checkout-down") {
		t.Errorf("private replies to carol = %+v, want one confirmation in the lobby naming the war room", toCarol)
	}
	if len(announced) != 1 || announced[0].Msg.Thread != inc.Announcement {
		t.Errorf("announcements = %+v, want the update threaded under %q", announced, inc.Announcement)
	}
	if got := h.incident(inc.ID).Reminder.LastUpdate; !got.Equal(t0.Add(10 * time.Minute)) {
		t.Errorf("LastUpdate = %v, want +10m", got)
	}
	if n := len(h.entries(inc.ID, muster.EntryUpdate)); n != 1 {
		t.Errorf("%d update entries, want 1", n)
	}
}

func TestDeclareWhenRoomCreationFails(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.fp.fail("CreateRoom", "", errors.New("missing scope channels:manage"))
	inc := h.declare("sev1 Checkout down")

	if inc.ID != 1 || !inc.Open() || inc.Room != "" || inc.RoomName != "" || inc.Platform != platformName {
		t.Errorf("incident = %+v, want INC-1 declared, open, without a war room", inc)
	}
	var creates int
	for _, c := range h.fp.since(0) {
		if c.Method == "CreateRoom" {
			creates++
		}
	}
	if creates != 1 {
		t.Errorf("%d CreateRoom attempts, want 1 (only a taken name is retried)", creates)
	}
	privs := h.fp.ok("Private", lobby)
	if len(privs) != 1 || privs[0].User != "alice" || !strings.Contains(privs[0].Msg.Text, "INC-1 is declared, but its war room could not be created") {
		t.Errorf("private replies = %+v, want one telling alice the room failed", privs)
	}
	if strings.Contains(privs[0].Msg.Text, "channels:manage") {
		t.Errorf("the internal error leaked to the user: %q", privs[0].Msg.Text)
	}
	if posts := h.fp.ok("Post", lobby); len(posts) != 1 {
		t.Errorf("lobby posts = %+v, want the header posted where the incident was declared", posts)
	}
	if n := len(h.fp.ok("Invite", "")); n != 0 {
		t.Errorf("%d invites without a war room", n)
	}
	// The incident can still be worked by naming it, and its updates
	// thread under its announcement like any other incident's.
	ann := h.fp.ok("Post", announceRoom)
	if len(ann) != 1 || inc.Announcement != ann[0].ID {
		t.Errorf("announcements %+v, stored id %q: want one, its id stored", ann, inc.Announcement)
	}
	h.command("carol", lobby, "update INC-1 Rolled back")
	if n := len(h.entries(inc.ID, muster.EntryUpdate)); n != 1 {
		t.Errorf("%d update entries, want 1", n)
	}
	if ann := h.fp.ok("Post", announceRoom); len(ann) != 2 || ann[1].Msg.Thread == "" || ann[1].Msg.Thread != ann[0].ID {
		t.Errorf("announcements = %+v, want the update threaded under the first", ann)
	}
}

// An incident whose war room could not be created is worked where it was
// declared; its reminders must reach that room, once per period, rather
// than fail at every tick.
func TestReminderWithoutWarRoom(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.fp.fail("CreateRoom", "", errors.New("missing scope channels:manage"))
	inc := h.declare("sev1 Checkout down")
	for _, d := range []time.Duration{30 * time.Minute, 31 * time.Minute, 32 * time.Minute} {
		h.at(d)
		if err := h.tick(); err != nil {
			t.Errorf("Tick at +%s: %v", d, err)
		}
	}
	if got := h.fp.posted(lobby, "⏰"); len(got) != 1 {
		t.Errorf("%d reminders in %s, where INC-1 was declared; want 1", len(got), lobby)
	}
	if got := h.entries(inc.ID, muster.EntryReminder); len(got) > 1 {
		t.Errorf("%d reminder entries in the timeline after 3 ticks, want at most 1", len(got))
	}
}

func TestHandleErrors(t *testing.T) {
	t.Parallel()
	t.Run("a reply that cannot be delivered is an error", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.fp.fail("Private", "", errors.New("user_not_in_channel"))
		err := h.try(muster.Event{Kind: muster.EventCommand, User: "dave", Room: lobby, Text: "frobnicate"})
		if err == nil || !strings.Contains(err.Error(), "user_not_in_channel") {
			t.Errorf("Handle = %v, want the failed reply reported", err)
		}
	})
	t.Run("unregistered platform", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		err := h.bot.Handle(h.ctx, muster.Event{Platform: "teams", Kind: muster.EventCommand, User: "dave", Room: lobby, Text: "help"})
		if err == nil {
			t.Error("a command from an unregistered platform was accepted")
		}
	})
	t.Run("unknown event kind", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		if err := h.try(muster.Event{Kind: "reaction_added", Room: lobby}); err == nil {
			t.Error("an unknown event kind was accepted")
		}
	})
	t.Run("help is a private reply", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.command("dave", lobby, "help")
		calls := h.fp.since(0)
		if len(calls) != 1 || calls[0].Method != "Private" || calls[0].User != "dave" || !strings.Contains(calls[0].Msg.Text, "declare") {
			t.Errorf("calls = %+v, want one private help reply", calls)
		}
	})
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(h *harness, inc *muster.Incident)
		room  string // "" for the war room
		text  string
		want  string
	}{
		{name: "unknown command", room: lobby, text: "frobnicate now", want: "`frobnicate` is not a command."},
		{name: "misspelt command", text: "updte all good", want: "Did you mean `update`?"},
		{name: "bad severity", room: lobby, text: "declare sev9 Checkout down", want: `"sev9" is not a severity. Choose one of: SEV1, SEV2, SEV3, SEV4.`},
		{name: "bad severity change", text: "severity sev7", want: `"sev7" is not a severity. Choose one of: SEV1, SEV2, SEV3, SEV4.`},
		{name: "missing title", room: lobby, text: "declare sev1", want: "An incident needs a title"},
		{name: "update outside a war room without ref", room: lobby, text: "update things look better", want: "`update` acts on an incident: run it in the incident's war room, or name it first"},
		{name: "update of an unknown incident", room: lobby, text: "update INC-9 things look better", want: "There is no incident INC-9."},
		{name: "empty update", text: "update", want: "An update needs text"},
		{name: "unknown role", text: "role boss", want: `"boss" is not a role. Choose one of: ic, comms, scribe, ops.`},
		{name: "unknown status", text: "status done", want: `"done" is not a status.`},
		{
			name:  "resolve twice",
			setup: func(h *harness, inc *muster.Incident) { h.command("bob", inc.Room, "resolve Rolled back") },
			text:  "resolve",
			want:  "INC-1 is already resolved.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			inc := h.declare("sev1 Checkout down")
			if tt.setup != nil {
				tt.setup(h, inc)
			}
			room := tt.room
			if room == "" {
				room = inc.Room
			}
			before, mark := h.snapshot(), h.fp.mark()
			h.at(time.Minute)
			h.command("dave", room, tt.text)

			calls := h.fp.since(mark)
			if len(calls) != 1 || calls[0].Method != "Private" || calls[0].User != "dave" || calls[0].Room != room {
				t.Fatalf("calls = %+v, want exactly one private reply to dave in %s", calls, room)
			}
			if text := calls[0].Msg.Text; !strings.HasPrefix(text, "⚠️ ") || !strings.Contains(text, tt.want) {
				t.Errorf("reply %q, want a warning containing %q", text, tt.want)
			}
			if h.snapshot() != before {
				t.Error("the rejected command changed the store")
			}
		})
	}
}

// A change that leaves the topic as it was does not set it again (Slack
// would post "set the channel topic" in the room each time); one that
// changes it does.
func TestTopicIsSetOnlyWhenItChanges(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev2 Search slow")
	before := len(h.fp.ok("SetTopic", inc.Room))
	if before == 0 {
		t.Fatal("the declaration set no topic")
	}
	h.command("alice", inc.Room, "update Reindexing shard 3")
	h.command("alice", inc.Room, "note Shard 3 was on the old disk")
	if n := len(h.fp.ok("SetTopic", inc.Room)); n != before {
		t.Errorf("an update and a note set the unchanged topic %d more times", n-before)
	}
	h.command("alice", inc.Room, "severity sev1")
	topics := h.fp.ok("SetTopic", inc.Room)
	if len(topics) != before+1 || !strings.Contains(topics[len(topics)-1].Topic, "SEV1") {
		t.Errorf("after the severity change the topics are %+v, want one more naming SEV1", topics)
	}
}

// A second update in the same minute leaves the header as it was (the
// next update is due at the same time): it is not sent again.
func TestHeaderIsSentOnlyWhenItChanges(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")
	headerUpdates := func() int {
		n := 0
		for _, c := range h.fp.since(0) {
			if c.Method == "Update" && c.ID == inc.Header {
				n++
			}
		}
		return n
	}
	h.at(5 * time.Minute)
	h.command("alice", inc.Room, "update Rolling back the deploy")
	first := headerUpdates()
	if first == 0 {
		t.Fatal("an update that moved the next update's due time did not redraw the header")
	}
	h.command("alice", inc.Room, "update Rollback at 50%")
	if n := headerUpdates(); n != first {
		t.Errorf("a second update in the same minute redrew the unchanged header %d more times", n-first)
	}
	h.command("alice", inc.Room, "severity sev2")
	if n := headerUpdates(); n != first+1 {
		t.Errorf("a severity change redrew the header %d times, want once", n-first)
	}
}
