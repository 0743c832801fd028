package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

func testCreateNumbersIncidents(t *testing.T, open Opener) {
	db := newStore(t, open)
	ctx := context.Background()
	if ids := incidentIDs(t, db, false); len(ids) != 0 {
		t.Errorf("a new store lists incidents %v", ids)
	}
	var firsts []muster.Entry
	for want, title := range []string{"Checkout down", "Search slow", "Login errors"} {
		inc, first := newIncident(t, title)
		if err := db.Create(ctx, inc, first); err != nil {
			t.Fatalf("Create %q: %v", title, err)
		}
		if inc.ID != want+1 {
			t.Errorf("%q got ID %d, want %d", title, inc.ID, want+1)
		}
		firsts = append(firsts, first)
	}
	got, err := db.Incident(ctx, 2)
	if err != nil {
		t.Fatalf("Incident(2): %v", err)
	}
	if got.ID != 2 || got.Title != "Search slow" || got.Status != muster.StatusInvestigating {
		t.Errorf("Incident(2) = %+v", got)
	}
	want := firsts[1]
	want.Seq = 1
	if tl := timeline(t, db, 2); len(tl) != 1 || !sameJSON(t, tl[0], want) {
		t.Errorf("timeline of INC-2 = %+v, want the declared entry as Seq 1: %+v", tl, want)
	}

	db.reopen()
	if inc := declare(t, db, "After restart"); inc.ID != 4 {
		t.Errorf("first incident after reopen got ID %d, want 4", inc.ID)
	}
}

func testNotFound(t *testing.T, open Opener) {
	db := newStore(t, open)
	declare(t, db, "Checkout down")
	ctx := context.Background()
	noop := func(*muster.Incident) ([]muster.Entry, error) { return nil, nil }
	keep := func(*muster.Entry) error { return nil }
	tests := []struct {
		name string
		call func() error
		msg  string // "" where no sentence reads well: only the code is checked
	}{
		{"incident", func() error { _, err := db.Incident(ctx, 99); return err }, "There is no incident INC-99."},
		{"incident zero", func() error { _, err := db.Incident(ctx, 0); return err }, "There is no incident INC-0."},
		{"incident negative", func() error { _, err := db.Incident(ctx, -1); return err }, ""},
		{"room", func() error { _, err := db.IncidentByRoom(ctx, "slack", "C404"); return err }, "This room is not an incident war room."},
		{"empty room", func() error { _, err := db.IncidentByRoom(ctx, "slack", ""); return err }, "This room is not an incident war room."},
		{"room number", func() error { _, err := db.RoomIncident(ctx, "slack", "C404"); return err }, "This room is not an incident war room."},
		{"empty room number", func() error { _, err := db.RoomIncident(ctx, "slack", ""); return err }, "This room is not an incident war room."},
		{"timeline", func() error { _, err := db.Timeline(ctx, 99); return err }, "There is no incident INC-99."},
		{"timeline zero", func() error { _, err := db.Timeline(ctx, 0); return err }, "There is no incident INC-0."},
		{"entries after", func() error { _, err := db.EntriesAfter(ctx, 99, 0, 10); return err }, "There is no incident INC-99."},
		{"entries after zero", func() error { _, err := db.EntriesAfter(ctx, 0, 0, 10); return err }, "There is no incident INC-0."},
		{"update", func() error { _, _, err := db.Update(ctx, 99, noop); return err }, "There is no incident INC-99."},
		{"update zero", func() error { _, _, err := db.Update(ctx, 0, noop); return err }, "There is no incident INC-0."},
		{"append", func() error { _, _, err := db.Append(ctx, 99, "k", said("1.1", "hi")); return err }, "There is no incident INC-99."},
		{"append zero", func() error { _, _, err := db.Append(ctx, 0, "k", said("1.1", "hi")); return err }, "There is no incident INC-0."},
		{"revise in an unknown incident", func() error {
			_, _, err := db.Revise(ctx, 99, "1700000000.000100", "k", keep)
			return err
		}, "There is no incident INC-99."},
		{"revise zero", func() error { _, _, err := db.Revise(ctx, 0, "1.1", "k", keep); return err }, "There is no incident INC-0."},
		{"revise without a message id", func() error { _, _, err := db.Revise(ctx, 1, "", "k", keep); return err }, "That message is not in the timeline of INC-1."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if code := muster.ErrorCode(err); code != muster.ENOTFOUND {
				t.Fatalf("error %v has code %q, want %q", err, code, muster.ENOTFOUND)
			}
			if msg := muster.ErrorMessage(err); tt.msg != "" && msg != tt.msg {
				t.Errorf("message %q, want %q", msg, tt.msg)
			}
		})
	}
	// Every call above carried key "k": none of them may have recorded it.
	if _, appended := appendEntry(t, db, 1, "k", said("1.1", "hi")); !appended {
		t.Error("a key was recorded by a call that failed")
	}
}

func testUpdateErrorWritesNothing(t *testing.T, open Opener) {
	db := newStore(t, open)
	inc := declare(t, db, "Checkout down")
	ctx := context.Background()
	before, err := db.Incident(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}

	_, _, err = db.Update(ctx, inc.ID, func(inc *muster.Incident) ([]muster.Entry, error) {
		inc.Title, inc.Platform, inc.Room = "changed", "slack", "C1"
		e, _ := inc.Resolve("fixed", "U1", t0)
		return []muster.Entry{e}, muster.Errorf(muster.ECONFLICT, "no")
	})
	if muster.ErrorCode(err) != muster.ECONFLICT {
		t.Fatalf("Update error %v, want the fn's ECONFLICT", err)
	}
	after, err := db.Incident(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(t, before, after) {
		t.Errorf("incident changed by a failed Update:\nbefore %+v\nafter  %+v", before, after)
	}
	if n := len(timeline(t, db, inc.ID)); n != 1 {
		t.Errorf("timeline has %d entries after a failed Update, want 1", n)
	}
	if _, err := db.IncidentByRoom(ctx, "slack", "C1"); muster.ErrorCode(err) != muster.ENOTFOUND {
		t.Errorf("room indexed by a failed Update: %v", err)
	}
	if ids := incidentIDs(t, db, true); !slices.Equal(ids, []int{1}) {
		t.Errorf("open incidents %v after a failed resolve, want [1]", ids)
	}
}

func testUpdateAppendsEntriesInOrder(t *testing.T, open Opener) {
	db := newStore(t, open)
	inc := declare(t, db, "Checkout down")
	var given []muster.Entry
	saved, entries := update(t, db, inc.ID, func(inc *muster.Incident) ([]muster.Entry, error) {
		a, _ := inc.SetStatus(muster.StatusIdentified, "U1", t0.Add(time.Minute))
		b, _ := inc.PostUpdate("Rolled back", "U2", t0.Add(2*time.Minute))
		c, _ := inc.AddNote("Flag off", "U2", t0.Add(3*time.Minute))
		inc.ID = 99 // the number is the store's: this is ignored
		given = []muster.Entry{a, b, c}
		return given, nil
	})
	if saved.Status != muster.StatusIdentified || saved.ID != inc.ID {
		t.Errorf("saved incident %+v", saved)
	}
	if got := seqs(entries); !slices.Equal(got, []int{2, 3, 4}) {
		t.Errorf("returned Seqs %v, want [2 3 4]", got)
	}
	if got := seqs(given); !slices.Equal(got, []int{0, 0, 0}) {
		t.Errorf("the caller's entries were numbered %v; the store numbers its own copies", got)
	}
	stored := timeline(t, db, inc.ID)
	if !sameJSON(t, stored[1:], entries) {
		t.Errorf("stored entries differ from returned ones:\nstored   %+v\nreturned %+v", stored[1:], entries)
	}
	if got, err := db.Incident(context.Background(), inc.ID); err != nil || !sameJSON(t, got, saved) {
		t.Errorf("stored incident %+v, %v; Update returned %+v", got, err, saved)
	}
	if _, err := db.Incident(context.Background(), 99); muster.ErrorCode(err) != muster.ENOTFOUND {
		t.Errorf("Incident(99) after an Update that renumbered: %v, want ENOTFOUND", err)
	}
	_, more := update(t, db, inc.ID, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, _ := inc.AddNote("Second", "U1", t0)
		return []muster.Entry{e}, nil
	})
	if more[0].Seq != 5 {
		t.Errorf("next Update got Seq %d, want 5", more[0].Seq)
	}
}

func testUpdateMaintainsIndexes(t *testing.T, open Opener) {
	db := newStore(t, open)
	ctx := context.Background()
	for _, title := range []string{"One", "Two", "Three"} {
		declare(t, db, title)
	}
	setRoom := func(platform, room string) func(*muster.Incident) ([]muster.Entry, error) {
		return func(inc *muster.Incident) ([]muster.Entry, error) {
			inc.Platform, inc.Room = platform, room
			return nil, nil
		}
	}
	// roomOf is the incident of a room, 0 for none; both lookups must agree.
	roomOf := func(platform, room string) int {
		t.Helper()
		id, err := db.RoomIncident(ctx, platform, room)
		inc, err2 := db.IncidentByRoom(ctx, platform, room)
		if muster.ErrorCode(err) == muster.ENOTFOUND && muster.ErrorCode(err2) == muster.ENOTFOUND {
			return 0
		}
		if err != nil || err2 != nil {
			t.Fatalf("room %s/%s: RoomIncident %v, IncidentByRoom %v", platform, room, err, err2)
		}
		if inc.ID != id {
			t.Errorf("room %s/%s: RoomIncident says INC-%d, IncidentByRoom INC-%d", platform, room, id, inc.ID)
		}
		return id
	}

	update(t, db, 1, setRoom("slack", "C1"))
	update(t, db, 2, setRoom("teams", "C1")) // same room id on another platform
	if got := roomOf("slack", "C1"); got != 1 {
		t.Errorf("slack/C1 → INC-%d, want INC-1", got)
	}
	if got := roomOf("teams", "C1"); got != 2 {
		t.Errorf("teams/C1 → INC-%d, want INC-2", got)
	}
	update(t, db, 1, setRoom("slack", "C9"))
	if got := roomOf("slack", "C1"); got != 0 {
		t.Errorf("old room slack/C1 still → INC-%d after a move", got)
	}
	if got := roomOf("slack", "C9"); got != 1 {
		t.Errorf("slack/C9 → INC-%d, want INC-1", got)
	}
	_, _, err := db.Update(ctx, 3, setRoom("slack", "C9"))
	if muster.ErrorCode(err) != muster.ECONFLICT {
		t.Errorf("claiming INC-1's room: %v, want ECONFLICT", err)
	}
	if inc, err := db.Incident(ctx, 3); err != nil || inc.Room != "" || roomOf("slack", "C9") != 1 {
		t.Errorf("after a conflicting Update: INC-3 %+v, %v; slack/C9 → INC-%d, want INC-1", inc, err, roomOf("slack", "C9"))
	}

	// The index as reopened is the index as left: the move, not the
	// room given up.
	db.reopen()
	for _, c := range []struct {
		platform, room string
		want           int
	}{{"slack", "C1", 0}, {"slack", "C9", 1}, {"teams", "C1", 2}} {
		if got := roomOf(c.platform, c.room); got != c.want {
			t.Errorf("after reopen %s/%s → INC-%d, want INC-%d", c.platform, c.room, got, c.want)
		}
	}

	clash, first := newIncident(t, "Clash")
	clash.Platform, clash.Room = "slack", "C9"
	if err := db.Create(ctx, clash, first); muster.ErrorCode(err) != muster.ECONFLICT || clash.ID != 0 {
		t.Errorf("creating an incident in INC-1's room: %v (ID %d), want ECONFLICT and no number", err, clash.ID)
	}

	steps := []struct {
		name string
		fn   func(*muster.Incident) (muster.Entry, error)
		open []int
	}{
		{"resolve", func(inc *muster.Incident) (muster.Entry, error) { return inc.Resolve("", "U1", t0) }, []int{1, 3}},
		{"mitigate another", func(inc *muster.Incident) (muster.Entry, error) {
			return inc.SetStatus(muster.StatusMitigated, "U1", t0)
		}, []int{1, 3}},
		{"reopen", func(inc *muster.Incident) (muster.Entry, error) { return inc.Reopen("U1", t0) }, []int{1, 2, 3}},
	}
	ids := []int{2, 3, 2}
	for i, step := range steps {
		update(t, db, ids[i], func(inc *muster.Incident) ([]muster.Entry, error) {
			e, err := step.fn(inc)
			return []muster.Entry{e}, err
		})
		if got := incidentIDs(t, db, true); !slices.Equal(got, step.open) {
			t.Errorf("after %s: open incidents %v, want %v", step.name, got, step.open)
		}
		if got := incidentIDs(t, db, false); !slices.Equal(got, []int{1, 2, 3}) {
			t.Errorf("after %s: all incidents %v, want [1 2 3]", step.name, got)
		}
	}

	// A room given up is free for another incident.
	update(t, db, 2, setRoom("", ""))
	if got := roomOf("teams", "C1"); got != 0 {
		t.Errorf("teams/C1 still → INC-%d after INC-2 left it", got)
	}
	update(t, db, 3, setRoom("teams", "C1"))
	if got := roomOf("teams", "C1"); got != 3 {
		t.Errorf("teams/C1 → INC-%d, want INC-3", got)
	}

	// Create indexes what it is given: a room, and a status that is not open.
	four, first := newIncident(t, "Four")
	four.Platform, four.Room, four.Status = "slack", "C4", muster.StatusResolved
	if err := db.Create(ctx, four, first); err != nil || four.ID != 4 {
		t.Fatalf("incident after a failed Create: ID %d, %v; want 4", four.ID, err)
	}
	if got := roomOf("slack", "C4"); got != 4 {
		t.Errorf("slack/C4 → INC-%d, want INC-4", got)
	}
	if got := incidentIDs(t, db, true); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("open incidents %v after creating a resolved one, want [1 2 3]", got)
	}
	if got := incidentIDs(t, db, false); !slices.Equal(got, []int{1, 2, 3, 4}) {
		t.Errorf("all incidents %v, want [1 2 3 4]", got)
	}
}

// testOpenListIsCurrent: the open incidents listed are the incidents as
// last saved, whatever the store keeps to list them quickly.
func testOpenListIsCurrent(t *testing.T, open Opener) {
	db := newStore(t, open)
	ctx := context.Background()
	inc := declare(t, db, "Checkout down")
	for _, sev := range []string{"SEV1", "SEV3"} {
		if _, _, err := db.Update(ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
			i.Severity, i.Summary = sev, "now "+sev
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
		stored, err := db.Incident(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		listed, err := db.Incidents(ctx, true)
		if err != nil || len(listed) != 1 || !sameJSON(t, listed[0], stored) {
			t.Fatalf("open list after an update = %+v, %v; want %+v", listed, err, stored)
		}
	}
}
