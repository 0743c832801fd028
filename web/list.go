package web

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/muster-bot/muster"
)

// filter is the incident list's query: ?status=&severity=&q=&page=.
type filter struct {
	Status   string // "", "open", "resolved" or a status name
	Severity string // "" or a severity name of the ladder
	Text     string // words in the title or the reference
	Page     int    // 1-based
}

// parseFilter reads the list's query parameters, naming the valid choices
// of one that is wrong.
func (s *Server) parseFilter(r *http.Request) (filter, error) {
	q := r.URL.Query()
	f := filter{Text: strings.TrimSpace(q.Get("q")), Page: 1}
	switch st := strings.ToLower(strings.TrimSpace(q.Get("status"))); st {
	case "", "all":
	case "open", "resolved":
		f.Status = st
	default:
		parsed, err := muster.ParseStatus(st)
		if err != nil {
			return f, muster.Errorf(muster.EINVALID, "status=%q is not a status. Choose one of: open, resolved, investigating, identified, mitigated, all.", q.Get("status"))
		}
		f.Status = string(parsed)
	}
	if sev := strings.TrimSpace(q.Get("severity")); sev != "" && !strings.EqualFold(sev, "all") {
		found, _, ok := s.cfg.Severities.Find(sev)
		if !ok {
			return f, muster.Errorf(muster.EINVALID, "severity=%q is not a severity. Choose one of: %s.", sev, s.cfg.Severities.Choices())
		}
		f.Severity = found.Name
	}
	page, err := intParam(r, "page", 1)
	if err != nil {
		return f, err
	}
	f.Page = max(page, 1)
	return f, nil
}

func (f filter) match(inc *muster.Incident) bool {
	switch f.Status {
	case "":
	case "open":
		if !inc.Open() {
			return false
		}
	case "resolved":
		if inc.Open() {
			return false
		}
	default:
		if string(inc.Status) != f.Status {
			return false
		}
	}
	if f.Severity != "" && inc.Severity != f.Severity {
		return false
	}
	if f.Text != "" {
		hay := strings.ToLower(inc.Title + " " + inc.Ref())
		for _, w := range strings.Fields(strings.ToLower(f.Text)) {
			if !strings.Contains(hay, w) {
				return false
			}
		}
	}
	return true
}

// query is the filter as a query string for page page, for the links.
func (f filter) query(page int) string {
	v := url.Values{}
	if f.Status != "" {
		v.Set("status", f.Status)
	}
	if f.Severity != "" {
		v.Set("severity", f.Severity)
	}
	if f.Text != "" {
		v.Set("q", f.Text)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

// ordered puts open incidents first, newest declared first, then the
// resolved ones, most recently resolved first.
func ordered(list []*muster.Incident) {
	slices.SortFunc(list, func(a, b *muster.Incident) int {
		if a.Open() != b.Open() {
			if a.Open() {
				return -1
			}
			return 1
		}
		if !a.Open() {
			if c := b.ResolvedAt.Compare(a.ResolvedAt); c != 0 {
				return c
			}
		}
		if c := b.DeclaredAt.Compare(a.DeclaredAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
}

// matching returns the page of incidents f asks for, in list order, and
// whether there are more after it.
func (s *Server) matching(r *http.Request, f filter) (page []*muster.Incident, total int, more bool, err error) {
	// The store lists every incident; an index by declaration time, when
	// the store has one, lets this read a page alone.
	all, err := s.store.Incidents(r.Context(), f.Status == "open")
	if err != nil {
		return nil, 0, false, err
	}
	var kept []*muster.Incident
	for _, inc := range s.visible(r, all) {
		if f.match(inc) {
			kept = append(kept, inc)
		}
	}
	ordered(kept)
	from := (f.Page - 1) * listPage
	if from >= len(kept) {
		return nil, len(kept), false, nil
	}
	to := min(from+listPage, len(kept))
	return kept[from:to], len(kept), to < len(kept), nil
}

type listView struct {
	Filter     filter
	Severities []string
	Statuses   []string
	Incidents  []*muster.Incident
	Total      int
	Prev, Next string // links, empty when there is no such page
	Now        string
}

// list serves GET /: the incidents, open first.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	f, err := s.parseFilter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, total, more, err := s.matching(r, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := listView{Filter: f, Severities: s.cfg.Severities.Names(), Incidents: page, Total: total,
		Statuses: []string{"open", "resolved", "investigating", "identified", "mitigated"}}
	if f.Page > 1 {
		v.Prev = f.query(f.Page - 1)
	}
	if more {
		v.Next = f.query(f.Page + 1)
	}
	s.render(w, r, http.StatusOK, "list", v)
}
