package calendar_test

import (
	"testing"
	"time"

	"github.com/muster-bot/muster/calendar"
)

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestProposeReview(t *testing.T) {
	loc := berlin(t)
	day := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, loc) }
	cases := []struct {
		name     string
		resolved time.Time
		w        calendar.Window
		want     time.Time
		inWindow bool
	}{
		// 2026-12-04 is a Friday: the whole 24–48h window is the weekend.
		{"Friday 17:00 → Monday 09:00, after the window", day(2026, 12, 4, 17, 0), calendar.Window{}, day(2026, 12, 7, 9, 0), false},
		{"Tuesday 10:00 → Wednesday 10:00", day(2026, 12, 8, 10, 0), calendar.Window{}, day(2026, 12, 9, 10, 0), true},
		{"Tuesday 10:07 → Wednesday 10:30 on the grid", day(2026, 12, 8, 10, 7), calendar.Window{}, day(2026, 12, 9, 10, 30), true},
		{"Monday 23:30 → Wednesday 09:00", day(2026, 12, 7, 23, 30), calendar.Window{}, day(2026, 12, 9, 9, 0), true},
		{"Tuesday 16:30: a meeting ending after 17:00 waits for Thursday 09:00", day(2026, 12, 8, 16, 30), calendar.Window{}, day(2026, 12, 10, 9, 0), true},
		{"Tuesday 06:00 → Wednesday 09:00", day(2026, 12, 8, 6, 0), calendar.Window{}, day(2026, 12, 9, 9, 0), true},
		{"Thursday 18:00 → Monday 09:00, Friday 18:00 being after hours", day(2026, 12, 3, 18, 0), calendar.Window{}, day(2026, 12, 7, 9, 0), false},
		{"Saturday 10:00 → Monday 09:00, inside 48h", day(2026, 12, 5, 10, 0), calendar.Window{}, day(2026, 12, 7, 9, 0), true},
		{"Friday 17:00 with weekends → Saturday 17:00 is after hours → Sunday 09:00", day(2026, 12, 4, 17, 0), calendar.Window{Weekends: true}, day(2026, 12, 6, 9, 0), true},
		{"custom hours and length", day(2026, 12, 8, 10, 0), calendar.Window{From: 2 * time.Hour, To: 4 * time.Hour, DayStart: 8 * time.Hour, DayEnd: 13 * time.Hour, Length: 90 * time.Minute}, day(2026, 12, 9, 8, 0), false}, // 12:00–13:30 ends after 13:00,
		// Summer time starts on Sunday 2026-03-29 at 02:00 in Berlin.
		{"Friday before summer time → Monday 09:00 CEST", day(2026, 3, 27, 16, 0), calendar.Window{}, day(2026, 3, 30, 9, 0), false},
		{"24 real hours across the change: Saturday 10:00 → Sunday 11:00", day(2026, 3, 28, 10, 0), calendar.Window{Weekends: true}, day(2026, 3, 29, 11, 0), true},
		// Winter time returns on Sunday 2026-10-25 at 03:00.
		{"24 real hours across the return: Saturday 10:00 → Sunday 09:00", day(2026, 10, 24, 10, 0), calendar.Window{Weekends: true}, day(2026, 10, 25, 9, 0), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, in := calendar.ProposeReview(c.resolved, loc, c.w)
			if !got.Equal(c.want) || in != c.inWindow {
				t.Errorf("ProposeReview(%s) = %s, in window %v; want %s, %v",
					c.resolved.Format(time.RFC3339), got.In(loc).Format("Mon 2006-01-02 15:04 MST"), in,
					c.want.Format("Mon 2006-01-02 15:04 MST"), c.inWindow)
			}
		})
	}
}

func TestProposeReviewUsesTheWallClockOfTheLocation(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// Tuesday 16:00 UTC is 11:00 in New York: Wednesday 11:00 there.
	resolved := time.Date(2026, 12, 8, 16, 0, 0, 0, time.UTC)
	got, in := calendar.ProposeReview(resolved, ny, calendar.Window{})
	if want := time.Date(2026, 12, 9, 11, 0, 0, 0, ny); !got.Equal(want) || !in {
		t.Errorf("got %s, %v; want %s", got, in, want)
	}
	if got.Location() != ny {
		t.Errorf("proposed in %s, want the team's zone", got.Location())
	}
}

func TestProposeReviewWithHoursShorterThanTheMeeting(t *testing.T) {
	loc := berlin(t)
	resolved := time.Date(2026, 12, 8, 10, 0, 0, 0, loc)
	got, in := calendar.ProposeReview(resolved, loc, calendar.Window{DayStart: 9 * time.Hour, DayEnd: 9*time.Hour + 30*time.Minute})
	if want := resolved.Add(24 * time.Hour); !got.Equal(want) || in {
		t.Errorf("got %s, %v; want %s, false", got, in, want)
	}
}

// Whatever the resolve time, the proposal is on a working day, inside
// working hours, at least a day after the resolve, and on the grid.
func FuzzProposeReview(f *testing.F) {
	f.Add(int64(1796807730), false)
	f.Add(int64(1774620000), true) // the Friday before summer time
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, unix int64, weekends bool) {
		resolved := time.Unix(unix%(1<<34), 0) // years 1970–2514
		got, _ := calendar.ProposeReview(resolved, loc, calendar.Window{Weekends: weekends})
		local := got.In(loc)
		clock := local.Hour()*60 + local.Minute()
		switch {
		case got.Before(resolved.Add(calendar.DefaultFrom)):
			t.Errorf("%s: proposed %s, less than a day later", resolved, local)
		case !weekends && (local.Weekday() == time.Saturday || local.Weekday() == time.Sunday):
			t.Errorf("%s: proposed %s, a weekend", resolved, local)
		case clock < 9*60 || clock+60 > 17*60:
			t.Errorf("%s: proposed %s, outside 09:00–17:00", resolved, local)
		case local.Minute()%30 != 0 || local.Second() != 0:
			t.Errorf("%s: proposed %s, off the half-hour grid", resolved, local)
		}
	})
}
