package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

// Importer bulk-loads incidents with their timelines; *store.DB does.
type Importer interface {
	Import(ctx context.Context, incidents []*muster.Incident, timelines [][]muster.Entry) error
}

// History is a long record for the benchmarks of the pages and commands
// that read it: Incidents incidents declared an hour apart, the newest an
// hour before End, with about Entries timeline entries between them. The
// newest Open are still open; one in fifty is private; one, Long, has a
// timeline of LongEntries entries.
type History struct {
	Incidents, Entries, Open, LongEntries int
	End                                   time.Time
	Long                                  int // set by LoadHistory: the long incident's number
}

// historyText is about the size of a typical war-room message.
const historyText = "Rolled back checkout-api to v1.42.3; 5xx rate dropping, watching the p99 before we call it mitigated."

// LoadHistory fills db with h's incidents, a thousand a transaction, and
// returns h with Long set.
func LoadHistory(tb testing.TB, db Importer, h History) History {
	tb.Helper()
	ctx := context.Background()
	sevs := []muster.Severity{{Name: "SEV1"}, {Name: "SEV2"}, {Name: "SEV3"}, {Name: "SEV3"}, {Name: "SEV4"}}
	ic, ok := muster.DefaultRoles().Find(muster.RoleIC)
	if !ok {
		tb.Fatal("no IC role among the default roles")
	}
	perIncident := max(h.Entries/max(h.Incidents, 1), 5)
	const chunk = 1000
	var (
		incs      []*muster.Incident
		timelines [][]muster.Entry
	)
	flush := func() {
		if err := db.Import(ctx, incs, timelines); err != nil {
			tb.Fatalf("load history: %v", err)
		}
		for _, inc := range incs {
			if inc.Title == "The long one" {
				h.Long = inc.ID
			}
		}
		incs, timelines = incs[:0], timelines[:0]
	}
	long := h.Incidents - h.Open - 1 // the newest resolved one
	for i := range h.Incidents {
		at := h.End.Add(-time.Duration(h.Incidents-i) * time.Hour)
		title := fmt.Sprintf("Incident %d: checkout returns 500s in region %d", i, i%7)
		if i == long {
			title = "The long one"
		}
		inc, first, err := muster.NewIncident(title, sevs[i%len(sevs)], i%50 == 7, "U_declarer", at)
		if err != nil {
			tb.Fatal(err)
		}
		tl := []muster.Entry{first}
		add := func(e muster.Entry, err error) {
			if err != nil {
				tb.Fatal(err)
			}
			tl = append(tl, e)
		}
		add(inc.Assign(ic, fmt.Sprintf("U_ic%d", i%40), "U_declarer", at.Add(time.Duration(1+i%9)*time.Minute)))
		add(inc.PostUpdate("Investigating: "+historyText, inc.Roles[muster.RoleIC], at.Add(20*time.Minute)))
		add(inc.AddAction(muster.ActionItem{Text: "Alert on 5xx", Owner: "U_owner", Due: at.Add(7 * 24 * time.Hour), CreatedBy: "U_declarer", CreatedAt: at.Add(25 * time.Minute)}))
		n := perIncident
		if i == long {
			n = h.LongEntries
		}
		for j := 0; len(tl) < n-1; j++ {
			tl = append(tl, muster.Entry{Kind: muster.EntryMessage, At: at.Add(time.Duration(30+j) * time.Second), Actor: fmt.Sprintf("U_%d", j%12), Text: historyText, MessageID: fmt.Sprintf("%d.%06d", at.Unix(), j)})
		}
		if i < h.Incidents-h.Open {
			add(inc.Resolve("fixed", inc.Roles[muster.RoleIC], at.Add(time.Duration(30+i%150)*time.Minute)))
		}
		incs, timelines = append(incs, inc), append(timelines, tl)
		if len(incs) == chunk {
			flush()
		}
	}
	if len(incs) > 0 {
		flush()
	}
	return h
}
