package muster_test

import (
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"INC-42", 42, true}, {"inc-7", 7, true}, {"42", 42, true}, {"#3", 3, true},
		{"INC-", 0, false}, {"INC-0", 0, false}, {"-4", 0, false}, {"sev1", 0, false}, {"", 0, false}, {"4x", 0, false},
	}
	for _, tt := range tests {
		got, ok := muster.ParseRef(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRef(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"}, {45 * time.Second, "45s"}, {time.Minute, "1m"}, {30 * time.Minute, "30m"},
		{90 * time.Minute, "1h30m"}, {4 * time.Hour, "4h"}, {26*time.Hour + 5*time.Minute, "1d2h"}, {59*time.Minute + 40*time.Second, "1h"},
	}
	for _, tt := range tests {
		if got := muster.FormatDuration(tt.in); got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLifecycleRules(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	ladder := muster.DefaultSeverities()
	inc, first, err := muster.NewIncident("  Checkout   down ", ladder[1], false, "alice", t0)
	if err != nil || inc.Title != "Checkout down" || first.Kind != muster.EntryDeclared {
		t.Fatalf("NewIncident = %+v, %+v, %v", inc, first, err)
	}
	if _, _, err := muster.NewIncident(string(make([]rune, muster.MaxTitle+1)), ladder[0], false, "a", t0); muster.ErrorCode(err) != muster.EINVALID {
		t.Errorf("an overlong title: %v, want EINVALID", err)
	}
	steps := []struct {
		name string
		do   func() error
		code string
	}{
		{"to identified", func() error { _, err := inc.SetStatus(muster.StatusIdentified, "a", t0); return err }, ""},
		{"to identified again", func() error { _, err := inc.SetStatus(muster.StatusIdentified, "a", t0); return err }, muster.ECONFLICT},
		{"back to investigating is allowed", func() error { _, err := inc.SetStatus(muster.StatusInvestigating, "a", t0); return err }, ""},
		{"upgrade", func() error { _, up, err := inc.SetSeverity(ladder, "sev1", "a", t0); return wantTrue(up, err) }, ""},
		{"reopen while open", func() error { _, err := inc.Reopen("a", t0); return err }, muster.ECONFLICT},
		{"resolve", func() error { _, err := inc.Resolve("fixed", "a", t0.Add(time.Hour)); return err }, ""},
		{"resolve again", func() error { _, err := inc.Resolve("", "a", t0); return err }, muster.ECONFLICT},
		{"status on resolved", func() error { _, err := inc.SetStatus(muster.StatusMitigated, "a", t0); return err }, muster.ECONFLICT},
		{"severity on resolved", func() error { _, _, err := inc.SetSeverity(ladder, "sev2", "a", t0); return err }, muster.ECONFLICT},
		{"note on resolved is fine", func() error { _, err := inc.AddNote("late finding", "a", t0); return err }, ""},
		{"reopen", func() error { _, err := inc.Reopen("a", t0.Add(2*time.Hour)); return err }, ""},
	}
	for _, s := range steps {
		if got := muster.ErrorCode(s.do()); got != s.code {
			t.Errorf("%s: error code %q, want %q", s.name, got, s.code)
		}
	}
	if inc.Status != muster.StatusInvestigating || !inc.ResolvedAt.IsZero() || !inc.MitigatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("after reopen: %+v", inc)
	}
}

func wantTrue(b bool, err error) error {
	if err == nil && !b {
		return muster.Errorf("unexpected", "expected true")
	}
	return err
}

// TestPostUpdateKeepsLatest: the incident carries its latest update, so a
// page need not read the timeline for it; a refused update leaves it.
func TestPostUpdateKeepsLatest(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	inc, _, err := muster.NewIncident("checkout down", muster.Severity{Name: "SEV2"}, false, "U1", at)
	if err != nil {
		t.Fatal(err)
	}
	if inc.LatestUpdate != nil {
		t.Fatalf("a new incident has latest update %+v, want none", inc.LatestUpdate)
	}
	for i, text := range []string{"rolled back", "error rate falling"} {
		if _, err := inc.PostUpdate(text, "U2", at.Add(time.Duration(i+1)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	want := muster.StatusUpdate{Text: "error rate falling", By: "U2", At: at.Add(2 * time.Minute)}
	if inc.LatestUpdate == nil || *inc.LatestUpdate != want {
		t.Errorf("latest update %+v, want %+v", inc.LatestUpdate, want)
	}
	if _, err := inc.PostUpdate("  ", "U3", at.Add(time.Hour)); err == nil {
		t.Fatal("an empty update was accepted")
	}
	if *inc.LatestUpdate != want {
		t.Errorf("a refused update changed the latest to %+v", inc.LatestUpdate)
	}
}
