package main

import (
	"strings"
	"testing"
	"time"
)

// TestDigestOnTheConsole: with digest.channel set, the leader's jobs post
// the weekly digest at Monday 09:00 in the configured time zone (08:00 UTC
// in a Berlin winter), once: a restart in the same hour posts none.
func TestDigestOnTheConsole(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.Timezone, cfg.Digest.Channel = "Europe/Berlin", "digest"
	monday := time.Date(2026, 12, 7, 8, 5, 0, 0, time.UTC)
	first := runConsole(t, cfg, "/incident declare sev2 Search is slow\n/incident declare drill sev1 Game day\n", monday)
	if n := strings.Count(first, "[#digest] muster: 📰 Weekly digest: Mon 30 Nov – Sun 6 Dec 2026"); n != 1 {
		t.Errorf("%d digests at Monday 09:05 in Berlin:\n%s", n, first)
	}
	if !strings.Contains(first, "No incidents last week.") {
		t.Errorf("the digest names incidents declared after it:\n%s", first)
	}
	cfg = testConfig(t, dir)
	cfg.Timezone, cfg.Digest.Channel = "Europe/Berlin", "digest"
	if again := runConsole(t, cfg, "", monday.Add(30*time.Minute)); strings.Contains(again, "Weekly digest") {
		t.Errorf("a restart sent the digest again:\n%s", again)
	}
	cfg = testConfig(t, dir)
	cfg.Timezone, cfg.Digest.Channel = "Europe/Berlin", "digest"
	next := runConsole(t, cfg, "", monday.AddDate(0, 0, 7))
	for _, want := range []string{"Weekly digest: Mon 7 Dec – Sun 13 Dec 2026", "1 incident last week:", "INC-1 SEV2 — Search is slow (open, 7d"} {
		if !strings.Contains(next, want) {
			t.Errorf("the next Monday's digest lacks %q:\n%s", want, next)
		}
	}
	if _, digest, _ := strings.Cut(next, "📰"); strings.Contains(digest, "Game day") || strings.Contains(digest, "INC-2") {
		t.Errorf("the digest names a drill:\n%s", next)
	}
}
