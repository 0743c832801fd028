package commands_test

import (
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/commands"
)

func TestStartedAndDetectedCommands(t *testing.T) {
	e := newEnv(t)
	e.must("U1", 0, "declare sev2 Checkout errors")
	e.now = t0.Add(30 * time.Minute) // 03:30; declared at 03:00

	out := e.must("U1", 1, "detected 02:50")
	if got := out.Room[0].Text; !strings.Contains(got, "Detected at 2026-11-22T02:50:00Z") || !strings.Contains(got, "time to declare 10m") {
		t.Errorf("reply %q", got)
	}
	e.must("U1", 1, "started 2026-11-22T02:40:00Z")
	inc := e.incident(1)
	if !inc.StartedAt.Equal(t0.Add(-20*time.Minute)) || !inc.DetectedAt.Equal(t0.Add(-10*time.Minute)) {
		t.Errorf("started %v, detected %v", inc.StartedAt, inc.DetectedAt)
	}
	if inc.TimeToDetect() != 10*time.Minute || inc.TimeToDeclare() != 10*time.Minute {
		t.Errorf("detect %v, declare %v", inc.TimeToDetect(), inc.TimeToDeclare())
	}
	e.must("U1", 1, "started 55m ago") // 02:35
	if got := e.incident(1).StartedAt; !got.Equal(t0.Add(-25 * time.Minute)) {
		t.Errorf("started %v after `55m ago`; want 02:35", got)
	}
	var shown []string
	for _, f := range e.must("U1", 1, "show").Reply.Fields {
		shown = append(shown, f.Label+": "+f.Value)
	}
	if got := strings.Join(shown, "\n"); !strings.Contains(got, "Impact started: 2026-11-22 02:35 UTC") || !strings.Contains(got, "Detected: 2026-11-22 02:50 UTC, 15m after impact began") {
		t.Errorf("show does not give the recorded times:\n%s", got)
	}
	tl := e.timeline(1)
	if last := tl[len(tl)-1]; last.Kind != muster.EntryTimes || !last.Key {
		t.Errorf("last entry %+v; want a key milestone entry", last)
	}

	for _, tc := range []struct{ text, want string }{
		{"started", "Say when"},
		{"started yesterday", `"yesterday" is not a time`},
		{"detected 25 ago", "`25m ago`"},
		{"detected 3:10pm", "`HH:MM` (today, UTC)"},
		{"started 03:10", "cannot start after INC-1 was detected (2026-11-22T02:50:00Z)"},
		{"detected 02:30", "before impact started (2026-11-22T02:35:00Z)"},
		{"detected 2026-11-22T03:05:00Z", "after INC-1 was declared (2026-11-22T03:00:00Z)"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			_, err := e.run("U1", 1, tc.text)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v; want it to say %q", tc.text, err, tc.want)
			}
		})
	}
}

// TestStartedReadsHHMMInTheConfiguredZone: 04:10 in a zone an hour ahead
// of UTC is 03:10 UTC; an HH:MM still to come today is yesterday's.
func TestStartedReadsHHMMInTheConfiguredZone(t *testing.T) {
	e := newEnv(t)
	e.cmds = commands.New(e.db, nil, commands.Config{
		Severities: muster.DefaultSeverities(), DefaultSeverity: "SEV3", Roles: muster.DefaultRoles(),
		Location: time.FixedZone("CET", 3600),
	}, func() time.Time { return e.now })
	e.now = t0.Add(15 * time.Minute) // 03:15 UTC, 04:15 CET
	e.must("U1", 0, "declare Queue backlog")
	e.must("U1", 1, "detected 04:05")
	if got := e.incident(1).DetectedAt; !got.Equal(t0.Add(5 * time.Minute)) {
		t.Errorf("detected %v; want 03:05 UTC", got)
	}
	e.must("U1", 1, "started 23:50") // 23:50 CET the day before
	if got, want := e.incident(1).StartedAt, time.Date(2026, 11, 21, 22, 50, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("started %v; want %v", got, want)
	}
	if _, err := e.run("U1", 1, "started"); err == nil || !strings.Contains(err.Error(), "(today, CET)") {
		t.Errorf("usage reply %v; want the zone named", err)
	}
}
