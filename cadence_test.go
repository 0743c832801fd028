package muster_test

import (
	"slices"
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

// TestMeasureCadenceCountsMissedSlots: every deadline a reminder would
// have marked counts once, at the cadence in effect.
func TestMeasureCadenceCountsMissedSlots(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	ladder := muster.DefaultSeverities()
	tests := []struct {
		name                string
		sev                 string
		upgrade             int // minute of an upgrade to SEV1, 0 for none
		updates             []int
		now                 int
		due, onTime, missed int
	}{
		{"on time", "SEV1", 0, []int{30, 60}, 60, 2, 2, 0},
		{"a 1h58m gap at 30m missed three", "SEV1", 0, []int{118}, 118, 4, 1, 3},
		{"a 31m gap missed one", "SEV1", 0, []int{31}, 31, 2, 1, 1},
		{"open and silent for 95m", "SEV1", 0, nil, 95, 3, 0, 3},
		{"an upgrade past the new cadence is due at once", "SEV3", 50, []int{70}, 70, 2, 1, 1},
		{"an upgrade, then silence", "SEV3", 50, nil, 111, 3, 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sev, _, _ := ladder.Find(tt.sev)
			inc, declared, err := muster.NewIncident("Cadence", sev, false, "alice", t0)
			if err != nil {
				t.Fatal(err)
			}
			timeline := []muster.Entry{declared}
			if tt.upgrade > 0 {
				e, _, err := inc.SetSeverity(ladder, "SEV1", "alice", at(tt.upgrade))
				if err != nil {
					t.Fatal(err)
				}
				timeline = append(timeline, e)
			}
			for _, m := range tt.updates {
				e, err := inc.PostUpdate("news", "alice", at(m))
				if err != nil {
					t.Fatal(err)
				}
				timeline = append(timeline, e)
			}
			c := muster.MeasureCadence(inc, timeline, ladder, at(tt.now))
			if c.Due != tt.due || c.OnTime != tt.onTime || c.Missed != tt.missed {
				t.Errorf("due %d, on time %d, missed %d; want %d, %d, %d", c.Due, c.OnTime, c.Missed, tt.due, tt.onTime, tt.missed)
			}
		})
	}
}

// TestCadenceMemo: a resolved incident's timeline is read once; an open
// one's at every look; a reopened and resolved again one once more.
func TestCadenceMemo(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	inc, first, err := muster.NewIncident("checkout down", muster.Severity{Name: "SEV2", UpdateEvery: 30 * time.Minute}, false, "U1", at)
	if err != nil {
		t.Fatal(err)
	}
	inc.ID = 1
	ladder := muster.Severities{{Name: "SEV2", UpdateEvery: 30 * time.Minute}}
	timeline := []muster.Entry{first}
	var memo muster.CadenceMemo
	reads := 0
	look := func(want int) muster.Cadence {
		t.Helper()
		reads = 0
		c, err := memo.Measure(inc, ladder, at.Add(5*time.Hour), func() ([]muster.Entry, error) { reads++; return slices.Clone(timeline), nil })
		if err != nil {
			t.Fatal(err)
		}
		if reads != want {
			t.Errorf("%d timeline reads, want %d", reads, want)
		}
		return c
	}
	look(1)
	look(1) // open: read again
	e, err := inc.Resolve("fixed", "U1", at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	timeline = append(timeline, e)
	first1 := look(1)
	if again := look(0); again != first1 {
		t.Errorf("remembered %+v, measured %+v", again, first1)
	}
	e, _ = inc.Reopen("U1", at.Add(2*time.Hour))
	timeline = append(timeline, e)
	e, _ = inc.Resolve("fixed again", "U1", at.Add(3*time.Hour))
	timeline = append(timeline, e)
	if c := look(1); c == first1 {
		t.Errorf("the second resolution kept the first's cadence %+v", c)
	}
	look(0)
}
