package muster_test

import (
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

func TestWorkingHoursNextOpen(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	weekdays := &muster.WorkingHours{Start: 9 * time.Hour, End: 18 * time.Hour, Location: berlin}
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday} {
		weekdays.Days[d] = true
	}
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct{ name, in, want string }{
		{"inside", "2026-11-24 10:30", "2026-11-24 10:30"},
		{"before the start", "2026-11-24 03:00", "2026-11-24 09:00"},
		{"after the end", "2026-11-24 18:00", "2026-11-25 09:00"},
		{"friday evening waits for monday", "2026-11-27 19:00", "2026-11-30 09:00"},
		{"sunday", "2026-11-29 12:00", "2026-11-30 09:00"},
	}
	for _, tt := range tests {
		if got := weekdays.NextOpen(at(tt.in)); !got.Equal(at(tt.want)) {
			t.Errorf("%s: NextOpen(%s) = %s, want %s", tt.name, tt.in, got.In(berlin).Format("2006-01-02 15:04 Mon"), tt.want)
		}
	}
	var none *muster.WorkingHours
	if now := at("2026-11-29 03:00"); !none.NextOpen(now).Equal(now) {
		t.Error("no working hours must hold nothing")
	}
	everyDay := &muster.WorkingHours{Start: 9 * time.Hour, End: 18 * time.Hour}
	if got := everyDay.NextOpen(time.Date(2026, 11, 29, 20, 0, 0, 0, time.UTC)); !got.Equal(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("every day, UTC: %s", got)
	}
}
