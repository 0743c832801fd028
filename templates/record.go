package templates

import (
	"fmt"
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

// FromRecord is the mark after every line the draft pre-fills from the
// incident record, so that the review can tell measured facts from what
// people wrote: the draft never writes prose of its own.
const FromRecord = "_(from the record)_"

// facts are the lines the draft pre-fills from the record, each already
// carrying FromRecord: the impact window, the components, what went
// poorly as measured facts, the public posts, and the key events as
// candidate contributing factors.
type facts struct {
	Impact       string   // "2026-11-22 03:00 UTC → 2026-11-22 04:10 UTC (1h10m, impact started → mitigated)"
	Components   []string // "API: major outage (set 03:05 UTC)"
	Poorly       []string
	PublicPosts  []update
	Contributing []string
}

func newFacts(inc *muster.Incident, timeline []muster.Entry, ladder muster.Severities, cadence muster.Cadence, n *namer) facts {
	var f facts
	if !inc.MitigatedAt.IsZero() {
		f.Impact = fmt.Sprintf("%s → %s (%s, impact started → mitigated) %s",
			stamp(inc.Started()), stamp(inc.MitigatedAt), muster.FormatDuration(inc.TimeToMitigate()), FromRecord)
	} else {
		f.Impact = fmt.Sprintf("%s → not mitigated yet %s", stamp(inc.Started()), FromRecord)
	}
	for _, c := range inc.ComponentLog {
		f.Components = append(f.Components, fmt.Sprintf("%s: %s (set %s) %s", oneLine(c.Component), strings.ToLower(c.State.Label()), stamp(c.At), FromRecord))
	}
	f.Poorly = poorly(inc, ladder, cadence)
	for _, p := range inc.Public {
		f.PublicPosts = append(f.PublicPosts, update{Time: stamp(p.At), Who: "Comms", Text: oneLine(n.text(p.Text))})
	}
	for _, e := range timeline {
		if !e.Key || e.Deleted() || !contributing(e.Kind) {
			continue
		}
		f.Contributing = append(f.Contributing, fmt.Sprintf("%s, %s: %s %s", stamp(e.At), kindLabel(e.Kind), oneLine(n.text(strings.TrimSpace(e.Text))), FromRecord))
	}
	return f
}

// contributing reports whether a key event of kind may point at a
// contributing factor: what people found and changed, not the incident's
// own bookkeeping (declared, resolved, the milestones, which the draft
// shows above) or what was said to others.
func contributing(k muster.EntryKind) bool {
	switch k {
	case muster.EntryDeclared, muster.EntryResolved, muster.EntryReopened, muster.EntryUpdate, muster.EntryPublic, muster.EntryPostmortem, muster.EntryTimes:
		return false
	}
	return true
}

// poorly measures what went poorly: time without an Incident Commander,
// missed update slots, escalations, a stale public page, pages that
// failed.
func poorly(inc *muster.Incident, ladder muster.Severities, cadence muster.Cadence) []string {
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)+" "+FromRecord) }
	switch tta := inc.TimeToAcknowledge(); {
	case inc.AcknowledgedAt.IsZero():
		add("Nobody took the Incident Commander role.")
	case tta >= time.Minute:
		add("%s without an Incident Commander (declared → acknowledged).", muster.FormatDuration(tta))
	}
	if cadence.Measured && cadence.Missed > 0 {
		slots := "slots"
		if cadence.Missed == 1 {
			slots = "slot"
		}
		add("%d update %s missed (%s), of %d due; longest stretch without an update: %s.", cadence.Missed, slots, cadence.Rule, cadence.Due, muster.FormatDuration(cadence.Longest))
	}
	if cadence.Escalations > 0 {
		add("Escalated %s for want of a status update.", times(cadence.Escalations))
	}
	if line := publicStaleness(inc, ladder); line != "" {
		add("%s", line)
	}
	for _, p := range inc.Pages {
		if p.State == muster.PageFailed {
			add("Paging the on-call of %s through %s failed (given up %s).", oneLine(p.Service), muster.ProviderName(p.Provider), stamp(p.At))
		}
	}
	return lines
}

// publicStaleness measures the gaps in the public page's posts against
// the severity's public_every: between one post and the next, and from
// the last one to the resolution.
func publicStaleness(inc *muster.Incident, ladder muster.Severities) string {
	sev, _, _ := ladder.Find(inc.Severity)
	every := sev.PublicEvery
	if every <= 0 || len(inc.Public) == 0 {
		return ""
	}
	var stale int
	var longest time.Duration
	gap := func(from, to time.Time) {
		if d := to.Sub(from); d > every {
			stale++
			longest = max(longest, d)
		}
	}
	for i := 1; i < len(inc.Public); i++ {
		gap(inc.Public[i-1].At, inc.Public[i].At)
	}
	if last := inc.Public[len(inc.Public)-1]; !inc.ResolvedAt.IsZero() && last.Status != muster.StatusResolved {
		gap(last.At, inc.ResolvedAt)
	}
	if stale == 0 {
		return ""
	}
	return fmt.Sprintf("The public status page went longer than %s without a post (%s's public_every) %s; longest gap: %s.",
		muster.FormatDuration(every), sev.Name, times(stale), muster.FormatDuration(longest))
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}
