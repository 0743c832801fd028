package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

// authorized lets a request through when it carries
// "Authorization: Bearer <MUSTER_API_TOKEN>". Both sides are hashed
// before the constant-time compare, so that not even the token's length
// shows in the time taken.
func (s *Server) authorized(next http.HandlerFunc) http.Handler {
	want := sha256.Sum256([]byte(s.cfg.APIToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		got := sha256.Sum256([]byte(strings.TrimSpace(token)))
		if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="muster"`)
			s.writeJSON(w, http.StatusUnauthorized, apiError{Error: "Send the API token as: Authorization: Bearer <MUSTER_API_TOKEN>."})
			return
		}
		next(w, r)
	})
}

type apiError struct {
	Error string `json:"error"`
}

// apiIncident is an incident as the API shows it: what a reader needs,
// not the bot's bookkeeping (message ids, reminder state).
type apiIncident struct {
	ID             int                 `json:"id"`
	Ref            string              `json:"ref"`
	Title          string              `json:"title"`
	Description    string              `json:"description,omitempty"`
	Severity       string              `json:"severity"`
	Status         muster.Status       `json:"status"`
	Declarer       string              `json:"declarer"`
	Room           string              `json:"room,omitempty"`
	Roles          map[string]string   `json:"roles,omitempty"`
	RoleLog        []muster.RoleChange `json:"role_log,omitempty"`
	Actions        []muster.ActionItem `json:"actions,omitempty"`
	Summary        string              `json:"summary,omitempty"`
	Services       []string            `json:"services"` // affected services; [] when none
	DeclaredAt     time.Time           `json:"declared_at"`
	AcknowledgedAt time.Time           `json:"acknowledged_at,omitzero"`
	MitigatedAt    time.Time           `json:"mitigated_at,omitzero"`
	ResolvedAt     time.Time           `json:"resolved_at,omitzero"`
}

func toAPI(inc *muster.Incident) apiIncident {
	return apiIncident{
		ID: inc.ID, Ref: inc.Ref(), Title: inc.Title, Description: inc.Description, Severity: inc.Severity,
		Status: inc.Status, Declarer: inc.Declarer, Room: inc.RoomName, Roles: inc.Roles, RoleLog: inc.RoleLog,
		Actions: inc.Actions, Summary: inc.Summary, DeclaredAt: inc.DeclaredAt, AcknowledgedAt: inc.AcknowledgedAt,
		MitigatedAt: inc.MitigatedAt, ResolvedAt: inc.ResolvedAt, Services: append([]string{}, inc.Services...),
	}
}

// apiList serves GET /api/v1/incidents with the list's filters
// (?status=&severity=&service=&q=&from=&to=&before=), a page at a time: "next" is
// the before= of the next page, absent on the last one.
func (s *Server) apiList(w http.ResponseWriter, r *http.Request) {
	f, err := s.parseFilter(r)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	page, err := s.matching(r, f)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	out := struct {
		Incidents []apiIncident `json:"incidents"`
		Next      string        `json:"next,omitempty"`
		// Stopped: the read reached its bound before the page was full;
		// more may match further back, from next on.
		Stopped bool `json:"stopped,omitempty"`
	}{Incidents: make([]apiIncident, 0, len(page.Incidents)), Stopped: page.Stopped}
	for _, inc := range page.Incidents {
		out.Incidents = append(out.Incidents, toAPI(inc))
	}
	if !page.Next.zero() {
		out.Next = page.Next.String()
	}
	s.writeJSON(w, http.StatusOK, out)
}

// apiIncident serves GET /api/v1/incidents/<n>.
func (s *Server) apiIncident(w http.ResponseWriter, r *http.Request) {
	inc, _, err := s.lookup(r)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, toAPI(inc))
}

// apiTimeline serves GET /api/v1/incidents/<n>/timeline?after=&limit=:
// the entries after entry `after`, at most `limit` (default 100, at most
// 1000), and where to go on from.
func (s *Server) apiTimeline(w http.ResponseWriter, r *http.Request) {
	inc, _, err := s.lookup(r)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	after, err := intParam(r, "after", 0)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	limit, err := intParam(r, "limit", timelinePage)
	if err != nil || limit < 1 || limit > apiMaxLimit {
		s.apiFail(w, r, muster.Errorf(muster.EINVALID, "limit=%q is out of range; give a number from 1 to %d.", r.URL.Query().Get("limit"), apiMaxLimit))
		return
	}
	entries, err := s.store.EntriesAfter(r.Context(), inc.ID, after, limit+1)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	out := struct {
		Entries   []muster.Entry `json:"entries"`
		NextAfter int            `json:"next_after,omitempty"`
	}{Entries: entries}
	if len(entries) > limit {
		out.Entries = entries[:limit]
		out.NextAfter = entries[limit-1].Seq
	}
	if out.Entries == nil {
		out.Entries = []muster.Entry{}
	}
	s.writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiFail(w http.ResponseWriter, r *http.Request, err error) {
	s.writeJSON(w, status(err), apiError{Error: s.message(r, err)})
}

func (s *Server) writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.log.Error().Err(err).Msg("encode API answer")
		code, body = http.StatusInternalServerError, []byte(`{"error":"The answer could not be encoded; the error is logged."}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(append(body, '\n'))
}
