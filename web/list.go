package web

import (
	"cmp"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

// How the list reads the declaration index: a chunk at a time, starting
// with a page's worth, and never more than scanLimit incidents for one
// request, so that a filter that matches little costs a bounded read and
// says where it stopped rather than reading the whole history.
const (
	scanChunkMax = 400
	scanLimit    = 2000
)

// dateLayout is how the list's from and to dates are written.
const dateLayout = "2006-01-02"

// startOfTime and endOfTime bound an open-ended window: the ends of
// time.Time's nanosecond range, which the index keys hold.
var (
	startOfTime = time.Unix(0, math.MinInt64)
	endOfTime   = time.Unix(0, math.MaxInt64)
)

// filter is the incident list's query:
// ?status=&severity=&service=&q=&from=&to=&before=.
type filter struct {
	Status   string // "", "open", "resolved" or a status name
	Severity string // "" or a severity name of the ladder
	Service  string // "" or a service of the catalog the incident affects
	Text     string // words in the title or the reference
	From, To string // declared on or after From and on or before To (dates, UTC), as given
	from, to time.Time
	Before   cursor // the page starts after this incident; zero on the first page
}

// cursor is a position in the list after its open incidents: the
// declaration index orders by time, then number, newest first.
type cursor struct {
	At time.Time
	ID int
}

func (c cursor) zero() bool { return c.ID == 0 }

func (c cursor) String() string { return fmt.Sprintf("%d_%d", c.At.UnixNano(), c.ID) }

func cursorOf(inc *muster.Incident) cursor { return cursor{At: inc.DeclaredAt, ID: inc.ID} }

// after reports whether inc comes after c in list order.
func (c cursor) after(inc *muster.Incident) bool {
	if c.zero() {
		return true
	}
	if d := inc.DeclaredAt.Compare(c.At); d != 0 {
		return d < 0
	}
	return inc.ID < c.ID
}

func parseCursor(v string) (cursor, bool) {
	ns, id, ok := strings.Cut(v, "_")
	if !ok {
		return cursor{}, false
	}
	n, err1 := strconv.ParseInt(ns, 10, 64)
	i, err2 := strconv.Atoi(id)
	if err1 != nil || err2 != nil || i <= 0 {
		return cursor{}, false
	}
	return cursor{At: time.Unix(0, n).UTC(), ID: i}, true
}

// parseFilter reads the list's query parameters, naming the valid choices
// of one that is wrong.
func (s *Server) parseFilter(r *http.Request) (filter, error) {
	q := r.URL.Query()
	f := filter{Text: strings.TrimSpace(q.Get("q"))}
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
	if name := strings.TrimSpace(q.Get("service")); name != "" && !strings.EqualFold(name, "all") {
		svc, ok := s.cfg.Services.Find(name)
		if !ok {
			choices := "none are configured"
			if len(s.cfg.Services) > 0 {
				choices = "choose one of: " + strings.Join(s.cfg.Services.Names(), ", ")
			}
			return f, muster.Errorf(muster.EINVALID, "service=%q is not a service of the catalog; %s.", name, choices)
		}
		f.Service = svc.Name
	}
	for _, d := range []struct {
		name string
		text *string
		at   *time.Time
		next bool // the end of the day: to is inclusive
	}{{"from", &f.From, &f.from, false}, {"to", &f.To, &f.to, true}} {
		v := strings.TrimSpace(q.Get(d.name))
		if v == "" {
			continue
		}
		at, err := time.Parse(dateLayout, v)
		if err != nil {
			return f, muster.Errorf(muster.EINVALID, "%s=%q is not a date; write it as YYYY-MM-DD, e.g. 2026-12-01.", d.name, v)
		}
		if d.next {
			at = at.AddDate(0, 0, 1)
		}
		*d.text, *d.at = v, at
	}
	if !f.to.IsZero() && !f.from.Before(f.to) {
		return f, muster.Errorf(muster.EINVALID, "from=%s is after to=%s; give from on or before to.", f.From, f.To)
	}
	if v := q.Get("before"); v != "" {
		c, ok := parseCursor(v)
		if !ok {
			return f, muster.Errorf(muster.EINVALID, "before=%q is not a list position; follow the list's \"Older\" link rather than writing one.", v)
		}
		f.Before = c
	}
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
	if f.Service != "" && !slices.Contains(inc.Services, f.Service) {
		return false
	}
	if !f.from.IsZero() && inc.DeclaredAt.Before(f.from) || !f.to.IsZero() && !inc.DeclaredAt.Before(f.to) {
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

// openOnly reports whether only open incidents can match: every status but
// "resolved" is one an open incident has.
func (f filter) openOnly() bool { return f.Status != "" && f.Status != "resolved" }

// query is the filter as a query string starting at before (the first
// page when zero), for the links.
func (f filter) query(before cursor) string {
	v := url.Values{}
	for _, p := range [][2]string{{"status", f.Status}, {"severity", f.Severity}, {"service", f.Service}, {"q", f.Text}, {"from", f.From}, {"to", f.To}} {
		if p[1] != "" {
			v.Set(p[0], p[1])
		}
	}
	if !before.zero() {
		v.Set("before", before.String())
	}
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

// listing is one page of the list.
type listing struct {
	Incidents []*muster.Incident
	Next      cursor // where the next page starts; zero when there is none
	Scanned   int    // incidents read from the declaration index
	// Stopped is set when the read reached scanLimit before the page was
	// full; Reached is the declaration time it got back to.
	Stopped bool
	Reached time.Time
}

// matching returns the page of incidents f asks for. The first page
// starts with the open incidents (few, read from the store's open index),
// newest first; then, on every page, the others, newest declared first,
// read from the declaration index a chunk at a time until the page is
// full or scanLimit incidents were read. Nothing counts them all: that
// would read the whole history.
func (s *Server) matching(r *http.Request, f filter) (listing, error) {
	ctx := r.Context()
	var out listing
	if f.Before.zero() && f.Status != "resolved" {
		open, err := s.store.Incidents(ctx, true)
		if err != nil {
			return out, err
		}
		for _, inc := range s.visible(r, open) {
			if f.match(inc) {
				out.Incidents = append(out.Incidents, inc)
			}
		}
		slices.SortFunc(out.Incidents, func(a, b *muster.Incident) int {
			if c := b.DeclaredAt.Compare(a.DeclaredAt); c != 0 {
				return c
			}
			return cmp.Compare(b.ID, a.ID)
		})
	}
	if f.openOnly() {
		return out, nil
	}
	from, to := cmp.Or(f.from, startOfTime), cmp.Or(f.to, endOfTime)
	pos := f.Before
	chunk := listPage
	// The index is read by time alone, so each read after the first gets
	// again the incidents declared at pos's instant that were already
	// read (same of them, at least); extra asks for that many more.
	same, extra := 0, 0
	for out.Scanned < scanLimit {
		if !pos.zero() && pos.At.Before(to) {
			// Incidents declared at pos.At with a lower number than pos
			// come after it: the window keeps that instant.
			to = pos.At.Add(1)
		}
		n := min(chunk, scanLimit-out.Scanned) + extra
		chunk = min(2*chunk, scanChunkMax)
		list, err := s.store.IncidentsDeclared(ctx, from, to, n)
		if err != nil {
			return out, err
		}
		shown := s.visible(r, list)
		seen := make(map[*muster.Incident]bool, len(shown))
		for _, inc := range shown {
			seen[inc] = true
		}
		moved := false
		for _, inc := range list {
			if !pos.after(inc) {
				continue // at pos's instant, not after it: read already
			}
			if moved = true; inc.DeclaredAt.Equal(pos.At) {
				same++
			} else {
				same = 1
			}
			out.Scanned++
			pos = cursorOf(inc)
			if inc.Open() || !seen[inc] || !f.match(inc) {
				continue // open ones are on the first page
			}
			out.Incidents = append(out.Incidents, inc)
			if len(out.Incidents) >= listPage {
				out.Next = pos
				return out, nil
			}
		}
		if len(list) < n {
			return out, nil // the window is read to its start
		}
		if extra = same; !moved {
			// A cursor from an earlier request, at an instant shared by
			// more incidents than this read got: ask for more.
			extra = 2 * n
		}
	}
	out.Next, out.Stopped, out.Reached = pos, true, pos.At
	return out, nil
}

type listView struct {
	Filter     filter
	Severities []string
	Services   []string // the catalog's names; no filter without a catalog
	Statuses   []string
	Incidents  []*muster.Incident
	First      string // link to the first page, when not on it
	Next       string // link to the next page, empty when there is none
	Stopped    bool   // the read stopped at its bound before the page was full
	Scanned    int
	Reached    time.Time
}

// list serves GET /: the incidents, open first.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	f, err := s.parseFilter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.matching(r, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := listView{Filter: f, Severities: s.cfg.Severities.Names(), Services: s.cfg.Services.Names(), Incidents: page.Incidents,
		Statuses: []string{"open", "resolved", "investigating", "identified", "mitigated"},
		Stopped:  page.Stopped, Scanned: page.Scanned, Reached: page.Reached}
	if !f.Before.zero() {
		v.First = f.query(cursor{})
	}
	if !page.Next.zero() {
		v.Next = f.query(page.Next)
	}
	s.render(w, r, http.StatusOK, "list", v)
}
