package muster_test

import (
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

func TestDrillPredicates(t *testing.T) {
	at := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	real := &muster.Incident{ID: 1}
	drill := &muster.Incident{ID: 2, Drill: true}
	private := &muster.Incident{ID: 3, Private: true}
	for _, tc := range []struct {
		inc              *muster.Incident
		pages, publishes bool
	}{{real, true, true}, {drill, false, false}, {private, true, false}} {
		if tc.inc.MayPage() != tc.pages || tc.inc.Publishes() != tc.publishes {
			t.Errorf("%s: Pages %v Publishes %v", tc.inc.Ref(), tc.inc.MayPage(), tc.inc.Publishes())
		}
	}
	// Written straight to the record, a drill's post is still never due
	// to the mirror nor nagged for.
	drill.Status = muster.StatusInvestigating
	drill.Public = []muster.PublicPost{{At: at, Text: "x"}}
	if drill.StatuspageBehind() {
		t.Error("the mirror is behind on a drill")
	}
	if _, ok := drill.NextPublicDue(muster.Severity{PublicEvery: time.Minute}, at); ok {
		t.Error("a drill's status page is due a post")
	}
	list := []*muster.Incident{real, drill, private}
	if got := muster.Drills(list, false); len(got) != 2 || got[0] != real || got[1] != private {
		t.Errorf("Drills(false) = %v", got)
	}
	if got := muster.Drills(list, true); len(got) != 1 || got[0] != drill {
		t.Errorf("Drills(true) = %v", got)
	}
}
