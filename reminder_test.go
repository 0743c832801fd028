package muster_test

import (
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

func TestNextUpdateDue(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	plus := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	sev1, sev4 := muster.DefaultSeverities()[0], muster.DefaultSeverities()[3]
	open := func(r muster.ReminderState) *muster.Incident {
		if r.LastUpdate.IsZero() {
			r.LastUpdate = t0
		}
		return &muster.Incident{ID: 1, Severity: "SEV1", Status: muster.StatusInvestigating, DeclaredAt: t0, Reminder: r}
	}
	resolved := open(muster.ReminderState{})
	resolved.Status = muster.StatusResolved
	tests := []struct {
		name   string
		inc    *muster.Incident
		sev    muster.Severity
		now    time.Time
		want   time.Time
		wantOK bool
	}{
		{"one cadence after declare", open(muster.ReminderState{}), sev1, plus(1), plus(30), true},
		{"one cadence after the update", open(muster.ReminderState{LastUpdate: plus(20)}), sev1, plus(21), plus(50), true},
		{"one cadence after the reminder", open(muster.ReminderState{LastNag: plus(35), Missed: 1}), sev1, plus(36), plus(65), true},
		{"at the end of a longer snooze", open(muster.ReminderState{SnoozedUntil: plus(55)}), sev1, plus(10), plus(55), true},
		{"a shorter snooze changes nothing", open(muster.ReminderState{SnoozedUntil: plus(10)}), sev1, plus(5), plus(30), true},
		{"due already passed", open(muster.ReminderState{}), sev1, plus(45), plus(30), true},
		// A clock set back an hour: what was stored lies in the future.
		{"update in the future counts from now", open(muster.ReminderState{LastUpdate: plus(20)}), sev1, plus(-40), plus(-10), true},
		{"reminder in the future counts from now", open(muster.ReminderState{LastNag: plus(30), Missed: 1}), sev1, plus(-30), plus(0), true},
		{"snooze ending far ahead is held to twice the cadence", open(muster.ReminderState{SnoozedUntil: plus(70)}), sev1, plus(-50), plus(10), true},
		{"no cadence", open(muster.ReminderState{}), sev4, plus(1), time.Time{}, false},
		{"resolved", resolved, sev1, plus(1), time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := tt.inc.NextUpdateDue(tt.sev, tt.now)
			if !got.Equal(tt.want) || ok != tt.wantOK {
				t.Errorf("NextUpdateDue at +%s = %v, %v; want %v, %v", tt.now.Sub(t0), got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestPullBack(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	r := muster.ReminderState{LastUpdate: t0, LastNag: t0.Add(30 * time.Minute), SnoozedUntil: t0.Add(90 * time.Minute)}
	now := t0.Add(-time.Hour)
	if !r.PullBack(30*time.Minute, now) {
		t.Fatal("PullBack moved nothing")
	}
	if !r.LastUpdate.Equal(now) || !r.LastNag.Equal(now) || !r.SnoozedUntil.Equal(now.Add(time.Hour)) {
		t.Errorf("after PullBack: %+v", r)
	}
	if r.PullBack(30*time.Minute, now) {
		t.Error("a second PullBack moved something")
	}
}
