package commands_test

import (
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/commands"
)

// TestActionDueInTimezone reads "today" in the configured time zone: at
// 22:00 on the 21st in New York (03:00 on the 22nd in UTC) a due date of
// the 21st is today, not the past, and the 20th is refused naming the
// zone's date.
func TestActionDueInTimezone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	e := newEnv(t)
	e.cmds = commands.New(e.db, nil, commands.Config{
		Severities:      muster.DefaultSeverities(),
		DefaultSeverity: "SEV3",
		Roles:           muster.DefaultRoles(),
		Location:        ny,
	}, func() time.Time { return e.now })
	e.must("alice", 0, "declare sev2 Checkout errors")
	out := e.must("alice", 1, "action Add a canary stage p1 due 2026-11-21")
	if want := "due 2026-11-21, priority P1"; !strings.Contains(out.Room[0].Text, want) {
		t.Errorf("confirmation %q; want it to echo %q", out.Room[0].Text, want)
	}
	_, err = e.run("alice", 1, "action Add an alert due 2026-11-20")
	if msg := muster.ErrorMessage(err); !strings.Contains(msg, "2026-11-20 is in the past") || !strings.Contains(msg, "2026-11-21 in America/New_York") {
		t.Errorf("due date before today: %v; want it refused naming today in the configured zone", err)
	}
}
