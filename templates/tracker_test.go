package templates_test

import (
	"strings"
	"testing"

	"github.com/muster-bot/muster"
)

// TestPostmortemTrackerLink: an item filed in the tracker shows its
// issue as a link beside its text, and a key or URL that would break the
// table is escaped or left unlinked.
func TestPostmortemTrackerLink(t *testing.T) {
	p := embedded(t)
	d := fullIncident(t)
	d.Incident.Actions[0].Tracker = muster.TrackerIssue{ID: "10001", Key: "OPS-12", URL: "https://acme.atlassian.net/browse/OPS-12"}
	d.Incident.Actions = append(d.Incident.Actions,
		muster.ActionItem{Number: 3, Text: "odd", Tracker: muster.TrackerIssue{Key: "a|b]", URL: "javascript:alert(1)"}},
		muster.ActionItem{Number: 4, Text: "parens", Tracker: muster.TrackerIssue{Key: "acme/web#4", URL: "https://x.example/a_(b)"}})
	md := render(t, p, d)
	checkTables(t, md)
	for _, want := range []string{
		"| 1 | Add a canary stage to payments-api deploys ([OPS-12](https://acme.atlassian.net/browse/OPS-12)) |",
		`| 3 | odd (a\|b\]) |`,
		"| 4 | parens ([acme/web#4](https://x.example/a_%28b%29)) |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("postmortem lacks %q:\n%s", want, md)
		}
	}
}
