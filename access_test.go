package muster_test

import (
	"testing"

	"github.com/muster-bot/muster"
)

// TestAdmitsAnyOf: a person known by several chat identities sees a
// private incident when one of them is a member on the incident's own
// platform, and an ordinary incident always.
func TestAdmitsAnyOf(t *testing.T) {
	private := &muster.Incident{ID: 1, Private: true, Platform: "slack", Declarer: "UALICE", Invited: []string{"UBOB"}}
	open := &muster.Incident{ID: 2, Platform: "slack"}
	slackUser := func(id string) muster.Event { return muster.Event{Platform: "slack", User: id} }
	for _, tc := range []struct {
		name string
		who  []muster.Event
		want bool
	}{
		{"nobody", nil, false},
		{"the declarer", []muster.Event{slackUser("UALICE")}, true},
		{"invited, as second identity", []muster.Event{{Platform: "console", User: "bob"}, slackUser("UBOB")}, true},
		{"a stranger", []muster.Event{slackUser("UMALLORY")}, false},
		{"the same id on another platform", []muster.Event{{Platform: "teams", User: "UALICE"}}, false},
	} {
		if got := private.AdmitsAnyOf(tc.who); got != tc.want {
			t.Errorf("%s: AdmitsAnyOf = %v, want %v", tc.name, got, tc.want)
		}
		if !open.AdmitsAnyOf(tc.who) {
			t.Errorf("%s: an ordinary incident is not admitted", tc.name)
		}
		if got := len(muster.VisibleToAnyOf([]*muster.Incident{private, open}, tc.who)); got != map[bool]int{true: 2, false: 1}[tc.want] {
			t.Errorf("%s: VisibleToAnyOf kept %d", tc.name, got)
		}
	}
}
