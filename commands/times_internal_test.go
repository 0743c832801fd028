package commands

import (
	"testing"
	"time"
)

// FuzzParseTime: whatever is typed, parseTime does not panic, answers in
// UTC, and never puts an HH:MM or an age after now.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"10:00", "9:05", "23:59", "25m ago", "1h30m ago", "2026-12-07T09:55:00+01:00", "yesterday", "-5m ago", " ago", "24:00"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 7, 0, 10, 0, 0, time.UTC)
	loc := time.FixedZone("X", -5*3600)
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseTime(s, now, loc)
		if !ok {
			return
		}
		if got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, not in UTC", s, got)
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil && got.After(now) {
			t.Errorf("parseTime(%q) = %v, after now %v", s, got, now)
		}
	})
}
