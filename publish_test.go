package muster_test

import (
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

func TestMentionsSomeone(t *testing.T) {
	for text, want := range map[string]bool{
		"We are investigating failed payments.":        false,
		"Write to support@example.com for refunds.":    false,
		"Latency is up 20% (p99 @ 4s).":                false,
		"Thanks <@U123> for the fix":                   true,
		"Thanks <@U123|alex> for the fix":              true,
		"<!here> checkout is down":                     true,
		"<!subteam^S123|@sre> is on it":                true,
		"see <#C123|inc-1>":                            true,
		"@bob restarted the database":                  true,
		"Restarted by the on-call (@alice).":           true,
		"Fixed by\n@carol":                             true,
		"Status: degraded @ 09:00 UTC, all regions ok": false,
	} {
		if got := muster.MentionsSomeone(text); got != want {
			t.Errorf("MentionsSomeone(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestPublishKeepsTheStatus(t *testing.T) {
	at := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	inc := &muster.Incident{ID: 4, Status: muster.StatusIdentified}
	e, err := inc.Publish("  A fix is rolling out.  ", "carol", at)
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != muster.EntryPublic || len(inc.Public) != 1 || inc.Public[0].Text != "A fix is rolling out." || inc.Public[0].Status != muster.StatusIdentified {
		t.Errorf("entry %+v, posts %+v", e, inc.Public)
	}
}
