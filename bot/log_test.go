package bot_test

import (
	"strings"
	"testing"
)

// TestOperatorsLog: what an operator needs is logged at info level, with
// the incident's reference: declarations, resolutions, refusals and why.
// A private incident's title is never logged.
func TestOperatorsLog(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pub := h.declare("sev2 Checkout returns 500s")
	priv := h.declare("sev1 private Wyvern token leaked")
	h.command("mallory", "lobby", "resolve "+priv.Ref())
	h.command("alice", "lobby", "ic "+pub.Ref())
	h.command("bob", "lobby", "resolve "+pub.Ref())
	h.command("alice", "lobby", "resolve "+pub.Ref()+" Rolled back")
	logs := h.logs.String()
	for _, want := range []string{
		`"incident":"INC-1"`, `"title":"Checkout returns 500s"`, `"message":"incident declared"`,
		`"incident":"INC-2"`, `"private":true`,
		`"user":"mallory"`, `"reason":"There is no incident INC-2."`, `"message":"command refused"`,
		`"user":"bob"`, `"reason":"Only the Incident Commander of INC-1 may resolve it`,
		`"message":"incident resolved"`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log does not say %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "Wyvern") {
		t.Errorf("a private incident's title was logged:\n%s", logs)
	}
}
