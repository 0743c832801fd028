package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/muster-bot/muster"
)

// incidentView is what the incident page shows.
type incidentView struct {
	Inc        *muster.Incident
	Roles      []roleRow
	RoleLog    []roleChange
	Milestones []milestone
	Latest     *muster.Entry // the latest status update, if any
	Timeline   []muster.Entry
	After      int    // the timeline starts after this entry
	Next       string // link to the next page of the timeline, if any
	First      string // link back to its first page, when not on it
	Live       string // the event stream that extends the timeline, when open and on its last page
	Overdue    func(muster.ActionItem) bool
}

type roleRow struct {
	Name    string `json:"name"`
	Holder  string `json:"holder,omitempty"`
	Standin bool   `json:"standin,omitempty"` // the IC holds the seat because nobody else was given it
}

type roleChange struct {
	muster.RoleChange
	Name string
}

// milestone is one step of the incident's life and how long after the
// declaration it came.
type milestone struct {
	Name  string
	At    time.Time
	Since time.Duration
}

// incident serves GET /incidents/<n>.
func (s *Server) incident(w http.ResponseWriter, r *http.Request) {
	inc, _, err := s.lookup(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	after, err := intParam(r, "after", 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// One entry more than the page tells whether there is a next page.
	entries, err := s.store.EntriesAfter(r.Context(), inc.ID, after, timelinePage+1)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	latest, err := s.latestUpdate(r.Context(), inc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := incidentView{Inc: inc, Latest: latest, After: after, Roles: s.roleRows(inc), RoleLog: s.roleLog(inc), Milestones: milestones(inc)}
	if len(entries) > timelinePage {
		entries = entries[:timelinePage]
		v.Next = fmt.Sprintf("/incidents/%d?after=%d#timeline", inc.ID, entries[len(entries)-1].Seq)
	}
	if after > 0 {
		v.First = fmt.Sprintf("/incidents/%d#timeline", inc.ID)
	}
	v.Timeline = entries
	if inc.Open() && v.Next == "" {
		last := after
		if len(entries) > 0 {
			last = entries[len(entries)-1].Seq
		}
		v.Live = fmt.Sprintf("/incidents/%d/events?after=%d", inc.ID, last)
	}
	now := s.now()
	v.Overdue = func(a muster.ActionItem) bool { return !a.Done && !a.Due.IsZero() && a.Due.Before(now) }
	s.render(w, r, http.StatusOK, "incident", v)
}

// latestUpdate is the incident's latest status update. The incident
// carries it; only one stored before it did, and whose reminder clock
// moved since the declaration (an update or a reopen), has its timeline
// read for it, a bounded page at a time.
func (s *Server) latestUpdate(ctx context.Context, inc *muster.Incident) (*muster.Entry, error) {
	if u := inc.LatestUpdate; u != nil {
		return &muster.Entry{Kind: muster.EntryUpdate, At: u.At, Actor: u.By, Text: u.Text, Key: true}, nil
	}
	if inc.Reminder.LastUpdate.Equal(inc.DeclaredAt) {
		return nil, nil
	}
	return s.scanLatestUpdate(ctx, inc.ID)
}

func (s *Server) scanLatestUpdate(ctx context.Context, id int) (*muster.Entry, error) {
	const chunk = 500
	var latest *muster.Entry
	for after := 0; ; {
		entries, err := s.store.EntriesAfter(ctx, id, after, chunk)
		if err != nil {
			return nil, err
		}
		for i := range entries {
			if entries[i].Kind == muster.EntryUpdate && !entries[i].Deleted() {
				e := entries[i]
				latest = &e
			}
		}
		if len(entries) < chunk {
			return latest, nil
		}
		after = entries[len(entries)-1].Seq
	}
}

func (s *Server) roleName(key string) string {
	if role, ok := s.cfg.Roles.Find(key); ok {
		return role.Name
	}
	return key
}

// roleRows lists every configured role and who holds it; an empty seat
// falls to the IC, as in chat.
func (s *Server) roleRows(inc *muster.Incident) []roleRow {
	rows := make([]roleRow, 0, len(s.cfg.Roles))
	for _, role := range s.cfg.Roles {
		rows = append(rows, roleRow{Name: role.Name, Holder: inc.Holder(role.Key),
			Standin: role.Key != muster.RoleIC && inc.Roles[role.Key] == "" && inc.Holder(role.Key) != ""})
	}
	return rows
}

func (s *Server) roleLog(inc *muster.Incident) []roleChange {
	out := make([]roleChange, 0, len(inc.RoleLog))
	for _, c := range inc.RoleLog {
		out = append(out, roleChange{RoleChange: c, Name: s.roleName(c.Role)})
	}
	return out
}

func milestones(inc *muster.Incident) []milestone {
	return []milestone{
		{Name: "Declared", At: inc.DeclaredAt},
		{Name: "Acknowledged", At: inc.AcknowledgedAt, Since: inc.TimeToAcknowledge()},
		{Name: "Mitigated", At: inc.MitigatedAt, Since: inc.TimeToMitigate()},
		{Name: "Resolved", At: inc.ResolvedAt, Since: inc.TimeToResolve()},
	}
}
