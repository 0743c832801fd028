package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/muster-bot/muster"
)

// recentlyResolved is how far back the internal status page lists
// resolved incidents.
const recentlyResolved = 7 * 24 * time.Hour

// internalView is the internal status page: what responders and
// stakeholders inside the company want at a glance.
type internalView struct {
	Open     []internalRow
	Resolved []internalRow
}

type internalRow struct {
	Inc    *muster.Incident
	IC     string        // the IC's user id, "" when none
	Latest *muster.Entry // the latest status update, if any
}

// statusInternal serves GET /status/internal: every open incident the
// viewer may see with its severity, status, IC, latest update and war
// room, and below them the ones resolved in the last week.
func (s *Server) statusInternal(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := s.now()
	open, err := s.store.Incidents(ctx, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var v internalView
	// A drill is worked in its room, not watched by the company: the
	// status pages leave it out.
	for _, inc := range muster.Drills(s.visible(r, open), false) {
		latest, err := s.latestUpdate(ctx, inc)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v.Open = append(v.Open, internalRow{Inc: inc, IC: inc.Roles[muster.RoleIC], Latest: latest})
	}
	slices.SortFunc(v.Open, func(a, b internalRow) int {
		_, ra, _ := s.cfg.Severities.Find(a.Inc.Severity)
		_, rb, _ := s.cfg.Severities.Find(b.Inc.Severity)
		if ra != rb {
			return ra - rb // most severe first
		}
		return b.Inc.DeclaredAt.Compare(a.Inc.DeclaredAt)
	})
	// Incidents resolved in the window were declared at most a month
	// before it, for all but the longest; the page is a glance, not the
	// record (that is the incident list).
	recent, err := s.store.IncidentsDeclared(ctx, now.Add(-recentlyResolved-30*24*time.Hour), now.Add(time.Second), 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, inc := range muster.Drills(s.visible(r, recent), false) {
		if !inc.Open() && inc.ResolvedAt.After(now.Add(-recentlyResolved)) {
			v.Resolved = append(v.Resolved, internalRow{Inc: inc, IC: inc.Roles[muster.RoleIC]})
		}
	}
	slices.SortFunc(v.Resolved, func(a, b internalRow) int { return b.Inc.ResolvedAt.Compare(a.Inc.ResolvedAt) })
	s.render(w, r, http.StatusOK, "status_internal", v)
}
