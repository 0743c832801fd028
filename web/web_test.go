package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/store"
	"github.com/muster-bot/muster/templates"
	"github.com/muster-bot/muster/web"
)

const token = "s3cret-api-token"

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// site is a web server over a real bbolt store in a temp dir.
type site struct {
	t   testing.TB
	db  *store.DB
	srv *httptest.Server
}

func newSite(t testing.TB) *site {
	t.Helper()
	return newSiteWith(t, web.Config{})
}

// newSiteWith serves the pages with cfg, its postmortem and API token
// filled in.
func newSiteWith(t testing.TB, cfg web.Config) *site {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "muster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	pm, err := templates.New("")
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return t0.Add(48 * time.Hour) }
	cfg.Postmortem, cfg.APIToken = pm, token
	h, err := web.New(db, cfg, now, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &site{t: t, db: db, srv: srv}
}

// declare stores an incident declared at at and returns its number.
func (s *site) declare(title, sev string, private bool, at time.Time) int {
	s.t.Helper()
	inc, first, err := muster.NewIncident(title, muster.Severity{Name: sev}, private, "U_alice", at)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.db.Create(context.Background(), inc, first); err != nil {
		s.t.Fatal(err)
	}
	return inc.ID
}

func (s *site) update(id int, fn func(*muster.Incident) ([]muster.Entry, error)) {
	s.t.Helper()
	if _, _, err := s.db.Update(context.Background(), id, fn); err != nil {
		s.t.Fatal(err)
	}
}

func (s *site) say(id int, text string, at time.Time) {
	s.t.Helper()
	if _, _, err := s.db.Append(context.Background(), id, "", muster.Entry{Kind: muster.EntryMessage, At: at, Actor: "U_bob", Text: text}); err != nil {
		s.t.Fatal(err)
	}
}

func (s *site) resolve(id int, at time.Time) {
	s.update(id, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.Resolve("fixed", "U_alice", at)
		return []muster.Entry{e}, err
	})
}

// get returns the status and body of path, with the API token when auth
// is not empty ("-" sends none).
func (s *site) get(path, auth string) (int, string, http.Header) {
	s.t.Helper()
	req, err := http.NewRequest("GET", s.srv.URL+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return res.StatusCode, string(body), res.Header
}

func mustContain(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s does not show %q", what, w)
		}
	}
}

func mustNotContain(t *testing.T, what, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("%s shows %q", what, w)
		}
	}
}

func TestListOpenFirstAndFilters(t *testing.T) {
	s := newSite(t)
	old := s.declare("Old database failover", "SEV2", false, t0)
	s.resolve(old, t0.Add(time.Hour))
	s.declare("Checkout returns 500s", "SEV1", false, t0.Add(2*time.Hour))
	s.declare("Slow search results", "SEV3", false, t0.Add(3*time.Hour))

	code, body, _ := s.get("/", "")
	if code != http.StatusOK {
		t.Fatalf("GET /: %d\n%s", code, body)
	}
	mustContain(t, "the list", body, "Checkout returns 500s", "Slow search results", "Old database failover", "2026-12-01 11:00 UTC")
	if strings.Index(body, "Slow search") > strings.Index(body, "Old database") || strings.Index(body, "Checkout") > strings.Index(body, "Old database") {
		t.Error("the resolved incident is listed before the open ones")
	}

	for _, c := range []struct {
		name, query string
		want, not   []string
	}{
		{"open", "?status=open", []string{"Checkout", "Slow search"}, []string{"Old database"}},
		{"resolved", "?status=resolved", []string{"Old database"}, []string{"Checkout", "Slow search"}},
		{"severity", "?severity=sev1", []string{"Checkout"}, []string{"Slow search", "Old database"}},
		{"text", "?q=SEARCH", []string{"Slow search"}, []string{"Checkout", "Old database"}},
		{"ref", "?q=INC-1", []string{"Old database"}, []string{"Checkout", "Slow search"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, body, _ := s.get("/"+c.query, "")
			if code != http.StatusOK {
				t.Fatalf("%d\n%s", code, body)
			}
			mustContain(t, c.query, body, c.want...)
			mustNotContain(t, c.query, body, c.not...)
		})
	}
	for _, c := range []struct{ query, want string }{
		{"?status=sleeping", "investigating, identified"},
		{"?severity=SEV9", "SEV1"},
		{"?before=12", "not a list position"},
	} {
		code, body, _ := s.get("/"+c.query, "")
		if code != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("GET /%s: %d, want 400 naming %q\n%s", c.query, code, c.want, body)
		}
	}
}

// listed returns the incident numbers a list page shows, in order, and
// the link to the next page ("" on the last).
func listed(t *testing.T, body string) (ids []int, next string) {
	t.Helper()
	for _, m := range regexp.MustCompile(`<td><a href="/incidents/(\d+)">`).FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[1])
		ids = append(ids, n)
	}
	if m := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(body); m != nil {
		next = html.UnescapeString(m[1])
	}
	return ids, next
}

// walk follows the list's next links from path and returns every incident
// number shown, page by page.
func (s *site) walk(t *testing.T, path string) [][]int {
	t.Helper()
	var pages [][]int
	for path != "" {
		code, body, _ := s.get(path, "")
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, code, body)
		}
		ids, next := listed(t, body)
		pages = append(pages, ids)
		if len(pages) > 100 {
			t.Fatal("the list's next links do not end")
		}
		path = next
	}
	return pages
}

// TestListPaginates: the pages, followed by their "Older" links, show
// every incident once, open ones first and then newest declared first,
// also when many were declared at the same instant.
func TestListPaginates(t *testing.T) {
	s := newSite(t)
	for i := 1; i <= 130; i++ {
		at := t0.Add(time.Duration(i) * time.Minute)
		if i > 60 && i <= 100 {
			at = t0.Add(time.Hour) // forty at one instant, across a page boundary
		}
		id := s.declare(fmt.Sprintf("Incident number %03d", i), "SEV3", false, at)
		if i%10 != 0 {
			s.resolve(id, at.Add(time.Minute))
		}
	}
	openIDs := []int{130, 120, 110, 100, 90, 80, 70, 60, 50, 40, 30, 20, 10}
	want := append([]int(nil), openIDs...) // open first, newest first, then by number
	for i := 130; i >= 1; i-- {
		if i%10 != 0 {
			want = append(want, i)
		}
	}
	pages := s.walk(t, "/")
	var got []int
	for i, p := range pages {
		if len(p) > 50 {
			t.Errorf("page %d shows %d incidents, more than 50", i+1, len(p))
		}
		got = append(got, p...)
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages show\n%v\nwant\n%v", got, want)
	}
	if len(pages) != 3 {
		t.Errorf("%d pages, want 3", len(pages))
	}
	_, second, _ := s.get("/?before=x", "")
	mustContain(t, "a bad cursor", second, "not a list position")
}

// TestListFilterWalksPages: a filter that matches one incident in twenty
// fills its pages from further back, with no duplicate or gap, and the
// read stops at its bound with a note and a link to go on.
func TestListFilterWalksPages(t *testing.T) {
	s := newSite(t)
	var want []int
	for i := 1; i <= 2100; i++ {
		sev := "SEV3"
		if i%20 == 0 {
			sev = "SEV1"
		}
		inc, first, err := muster.NewIncident(fmt.Sprintf("Incident %d", i), muster.Severity{Name: sev}, false, "U_alice", t0.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		inc.Status = muster.StatusResolved
		if err := s.db.Create(context.Background(), inc, first); err != nil {
			t.Fatal(err)
		}
	}
	for i := 2100; i >= 1; i-- {
		if i%20 == 0 {
			want = append(want, i)
		}
	}
	var got []int
	for _, p := range s.walk(t, "/?severity=SEV1") {
		got = append(got, p...)
	}
	if !slices.Equal(got, want) {
		t.Errorf("SEV1 pages show\n%v\nwant\n%v", got, want)
	}

	// Nothing matches: the read stops after its bound and says so.
	_, body, _ := s.get("/?q=nowhere", "")
	mustContain(t, "a search with no match", body, `id="stopped"`, "Searched 2000 incidents", "Search older incidents")
	ids, next := listed(t, body)
	if len(ids) != 0 || next == "" {
		t.Fatalf("first page of no match: %v, next %q", ids, next)
	}
	_, body, _ = s.get(next, "")
	mustContain(t, "the rest of a search with no match", body, "No incidents match", "← Newest")
	mustNotContain(t, "the rest of a search with no match", body, `id="stopped"`, `rel="next"`)

	// A window of dates: the 1st of December from 09:00 holds 899 minutes
	// (minute 900 is midnight, the 2nd).
	ids, _ = listed(t, mustGet(t, s, "/?from=2026-12-01&to=2026-12-01&severity=SEV1"))
	if len(ids) != 44 || ids[0] != 880 || ids[len(ids)-1] != 20 {
		t.Errorf("SEV1 of 2026-12-01: %d incidents, %v", len(ids), ids)
	}
	ids, _ = listed(t, mustGet(t, s, "/?from=2026-12-02&to=2026-12-02&severity=SEV1"))
	if len(ids) != 50 || ids[0] != 2100 || ids[49] != 1120 {
		t.Errorf("SEV1 of 2026-12-02: %d incidents, %v", len(ids), ids)
	}
	for _, c := range []struct{ query, want string }{
		{"?from=12/01/2026", "YYYY-MM-DD"},
		{"?from=2026-12-03&to=2026-12-01", "after to"},
	} {
		code, body, _ := s.get("/"+c.query, "")
		if code != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("GET /%s: %d, want 400 naming %q\n%s", c.query, code, c.want, body)
		}
	}
}

func mustGet(t *testing.T, s *site, path string) string {
	t.Helper()
	code, body, _ := s.get(path, "")
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", path, code, body)
	}
	return body
}

func TestIncidentPage(t *testing.T) {
	s := newSite(t)
	id := s.declare("Checkout returns 500s", "SEV1", false, t0)
	s.update(id, func(inc *muster.Incident) ([]muster.Entry, error) {
		ic, _ := muster.DefaultRoles().Find("ic")
		comms, _ := muster.DefaultRoles().Find("comms")
		e1, err := inc.Assign(ic, "U_carol", "U_alice", t0.Add(4*time.Minute))
		if err != nil {
			return nil, err
		}
		e2, _ := inc.Assign(comms, "U_dave", "U_carol", t0.Add(5*time.Minute))
		e3, _ := inc.PostUpdate("Rolled back the deploy; errors falling", "U_carol", t0.Add(20*time.Minute))
		e4, _ := inc.AddAction(muster.ActionItem{Text: "Alert on checkout 5xx", Owner: "U_dave", Due: t0.Add(24 * time.Hour), CreatedBy: "U_carol", CreatedAt: t0.Add(30 * time.Minute)})
		e5, _ := inc.SetStatus(muster.StatusMitigated, "U_carol", t0.Add(35*time.Minute))
		return []muster.Entry{e1, e2, e3, e4, e5}, nil
	})
	s.say(id, "I see 500s on the payments pod", t0.Add(10*time.Minute))

	code, body, _ := s.get(fmt.Sprintf("/incidents/%d", id), "")
	if code != http.StatusOK {
		t.Fatalf("%d\n%s", code, body)
	}
	mustContain(t, "the incident page", body,
		"INC-1", "Checkout returns 500s", "SEV1", "mitigated",
		"Incident Commander", "@U_carol", "Communications lead", "@U_dave", "Role history",
		"@U_carol is now Incident Commander", "(the IC, until delegated)",
		"Declared", "Acknowledged", "2026-12-01 09:04 UTC", "4m", "35m", "not yet",
		"Rolled back the deploy; errors falling",
		"Alert on checkout 5xx", "overdue",
		"I see 500s on the payments pod", "★ key",
		"/incidents/1/postmortem.md",
	)
	if code, body, _ := s.get("/incidents/INC-1", ""); code != http.StatusOK || !strings.Contains(body, "Checkout") {
		t.Errorf("GET /incidents/INC-1: %d", code)
	}
	if code, body, _ := s.get("/incidents/abc", ""); code != http.StatusBadRequest || !strings.Contains(body, "not an incident number") {
		t.Errorf("GET /incidents/abc: %d\n%s", code, body)
	}
}

func TestIncidentTimelinePages(t *testing.T) {
	s := newSite(t)
	id := s.declare("Long one", "SEV2", false, t0)
	for i := 2; i <= 150; i++ {
		s.say(id, fmt.Sprintf("message number %03d", i), t0.Add(time.Duration(i)*time.Second))
	}
	_, first, _ := s.get(fmt.Sprintf("/incidents/%d", id), "")
	mustContain(t, "first page", first, "message number 002", "message number 100", "Later entries →", "?after=100")
	mustNotContain(t, "first page", first, "message number 101")
	_, second, _ := s.get(fmt.Sprintf("/incidents/%d?after=100", id), "")
	mustContain(t, "second page", second, "message number 101", "message number 150", "From the start")
	mustNotContain(t, "second page", second, "message number 100", "Later entries")
}

func TestPostmortemDownload(t *testing.T) {
	s := newSite(t)
	id := s.declare("Checkout returns 500s", "SEV1", false, t0)
	s.resolve(id, t0.Add(time.Hour))
	code, body, h := s.get(fmt.Sprintf("/incidents/%d/postmortem.md", id), "")
	if code != http.StatusOK {
		t.Fatalf("%d\n%s", code, body)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/markdown") {
		t.Errorf("Content-Type = %q", ct)
	}
	if cd := h.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, "INC-1-postmortem.md") {
		t.Errorf("Content-Disposition = %q", cd)
	}
	mustContain(t, "the postmortem", body, "INC-1", "Checkout returns 500s", "# ")
}

func TestAPIAuth(t *testing.T) {
	s := newSite(t)
	s.declare("Checkout returns 500s", "SEV1", false, t0)
	for _, path := range []string{"/api/v1/incidents", "/api/v1/incidents/1", "/api/v1/incidents/1/timeline"} {
		for _, c := range []struct {
			name, auth string
			want       int
		}{
			{"no token", "", http.StatusUnauthorized},
			{"wrong token", "Bearer nope", http.StatusUnauthorized},
			{"basic", "Basic " + token, http.StatusUnauthorized},
			{"right token", "Bearer " + token, http.StatusOK},
		} {
			code, body, _ := s.get(path, c.auth)
			if code != c.want {
				t.Errorf("%s with %s: %d, want %d\n%s", path, c.name, code, c.want, body)
			}
			if c.want == http.StatusUnauthorized && strings.Contains(body, "Checkout") {
				t.Errorf("%s with %s leaks the title", path, c.name)
			}
		}
	}
}

func TestAPIWithoutTokenIsNotServed(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "muster.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h, err := web.New(db, web.Config{}, time.Now, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	for _, auth := range []string{"", "Bearer ", "Bearer x"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/api/v1/incidents", nil)
		req.Header.Set("Authorization", auth)
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotFound {
			t.Errorf("API with no MUSTER_API_TOKEN, Authorization %q: %d, want 404", auth, rec.Code)
		}
	}
}

func TestAPIContent(t *testing.T) {
	s := newSite(t)
	id := s.declare("Checkout returns 500s", "SEV1", false, t0)
	for i := 2; i <= 5; i++ {
		s.say(id, fmt.Sprintf("m%d", i), t0.Add(time.Duration(i)*time.Minute))
	}
	auth := "Bearer " + token
	var list struct {
		Incidents []struct{ Ref, Title, Severity string }
		Next      string
	}
	_, body, _ := s.get("/api/v1/incidents?status=open", auth)
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Incidents) != 1 || list.Incidents[0].Ref != "INC-1" || list.Next != "" {
		t.Errorf("list = %+v (%v)\n%s", list, err, body)
	}
	var tl struct {
		Entries   []muster.Entry `json:"entries"`
		NextAfter int            `json:"next_after"`
	}
	_, body, _ = s.get("/api/v1/incidents/1/timeline?after=1&limit=2", auth)
	if err := json.Unmarshal([]byte(body), &tl); err != nil || len(tl.Entries) != 2 || tl.Entries[0].Text != "m2" || tl.NextAfter != 3 {
		t.Errorf("timeline page = %+v (%v)\n%s", tl, err, body)
	}
	_, body, _ = s.get("/api/v1/incidents/1/timeline?after=3&limit=2", auth)
	tl.NextAfter = 0
	if err := json.Unmarshal([]byte(body), &tl); err != nil || len(tl.Entries) != 2 || tl.Entries[1].Text != "m5" || tl.NextAfter != 0 {
		t.Errorf("last timeline page = %+v (%v)\n%s", tl, err, body)
	}
	if code, body, _ := s.get("/api/v1/incidents/1/timeline?limit=0", auth); code != http.StatusBadRequest || !strings.Contains(body, "from 1 to 1000") {
		t.Errorf("limit=0: %d %s", code, body)
	}
}

// TestPrivateIncidentIsNotThere: with no sign-in the web has no viewer, so
// a private incident is, on every route, exactly a missing one.
func TestPrivateIncidentIsNotThere(t *testing.T) {
	s := newSite(t)
	s.declare("Ordinary outage", "SEV2", false, t0)
	secret := s.declare("Leaked credentials in the vault", "SEV1", true, t0.Add(time.Minute))
	s.say(secret, "rotating the vault keys", t0.Add(2*time.Minute))
	const missing = 99
	auth := "Bearer " + token
	for _, route := range []struct{ path, auth string }{
		{"/incidents/%d", ""},
		{"/incidents/INC-%d", ""},
		{"/incidents/%d?after=1", ""},
		{"/incidents/%d/postmortem.md", ""},
		{"/incidents/%d/postmortem", ""},
		{"/api/v1/incidents/%d", auth},
		{"/api/v1/incidents/%d/timeline", auth},
	} {
		pcode, pbody, _ := s.get(fmt.Sprintf(route.path, secret), route.auth)
		mcode, mbody, _ := s.get(fmt.Sprintf(route.path, missing), route.auth)
		mbody = strings.ReplaceAll(mbody, fmt.Sprint(missing), fmt.Sprint(secret))
		if pcode != http.StatusNotFound || pcode != mcode || pbody != mbody {
			t.Errorf("%s: private answers %d %q,\nmissing answers %d %q", route.path, pcode, pbody, mcode, mbody)
		}
		mustNotContain(t, route.path, pbody, "Leaked", "vault")
	}
	for _, route := range []struct{ path, auth string }{
		{"/", ""}, {"/?q=credentials", ""}, {"/?severity=SEV1", ""}, {"/?status=open", ""},
		{"/api/v1/incidents", auth}, {"/api/v1/incidents?q=credentials", auth},
	} {
		_, body, _ := s.get(route.path, route.auth)
		mustNotContain(t, route.path, body, "Leaked", fmt.Sprintf("INC-%d", secret), fmt.Sprintf("/incidents/%d", secret))
	}
	if ids, _ := listed(t, mustGet(t, s, "/")); !slices.Equal(ids, []int{1}) {
		t.Errorf("the list shows %v, want the ordinary incident alone", ids)
	}
}

func TestStylesheet(t *testing.T) {
	s := newSite(t)
	code, body, h := s.get("/static/muster.css", "")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/css") {
		t.Fatalf("GET /static/muster.css: %d %s", code, h.Get("Content-Type"))
	}
	mustContain(t, "the stylesheet", body, "prefers-color-scheme: dark", ".sev1", "max-width")
	_, _, h = s.get("/", "")
	// Only the own stylesheet, script and event stream: every directive
	// is 'none' or 'self', and scripts must be there.
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy = %q, want default-src 'none' and script-src 'self'", csp)
	}
	for _, d := range strings.Split(csp, ";") {
		if f := strings.Fields(d); len(f) != 2 || (f[1] != "'self'" && f[1] != "'none'") {
			t.Errorf("Content-Security-Policy directive %q allows more than the own origin", d)
		}
	}
	code, body, h = s.get("/static/live.js", "")
	if code != http.StatusOK || !strings.Contains(h.Get("Content-Type"), "javascript") || !strings.Contains(body, "EventSource") {
		t.Errorf("GET /static/live.js: %d %s", code, h.Get("Content-Type"))
	}
	if code, _, _ := s.get("/nowhere", ""); code != http.StatusNotFound {
		t.Errorf("GET /nowhere: %d, want 404", code)
	}
}

// TestRegisterLeavesOtherRoutes: mounted on a mux with other routes, the
// pages take only their own GET paths.
func TestRegisterLeavesOtherRoutes(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "muster.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h, err := web.New(db, web.Config{APIToken: token}, time.Now, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.Handle("/slack/", http.NotFoundHandler())
	mux.Handle("/api/messages", http.NotFoundHandler())
	h.Register(mux)
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/", 200}, {"GET", "/static/muster.css", 200}, {"GET", "/healthz", 200},
		{"POST", "/healthz", 405}, {"GET", "/nope", 404}, {"GET", "/api/v1/incidents", 401},
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, rec.Code, c.want)
		}
	}
}

// TestTextIsEscaped: what people typed is shown as text, never as markup.
func TestTextIsEscaped(t *testing.T) {
	s := newSite(t)
	id := s.declare("<script>alert(1)</script> checkout", "SEV2", false, t0)
	s.say(id, `<img src=x onerror="alert(2)">`, t0.Add(time.Minute))
	for _, path := range []string{"/", fmt.Sprintf("/incidents/%d", id)} {
		_, body, _ := s.get(path, "")
		mustNotContain(t, path, body, "<script>alert", "<img src=x")
		mustContain(t, path, body, "&lt;script&gt;alert(1)&lt;/script&gt; checkout")
	}
}

// countingStore counts the timeline reads of the pages.
type countingStore struct {
	*store.DB
	entriesAfter, timelines int
}

func (c *countingStore) Timeline(ctx context.Context, id int) ([]muster.Entry, error) {
	c.timelines++
	return c.DB.Timeline(ctx, id)
}

func (c *countingStore) EntriesAfter(ctx context.Context, id, after, limit int) ([]muster.Entry, error) {
	c.entriesAfter++
	return c.DB.EntriesAfter(ctx, id, after, limit)
}

// TestLatestUpdateReadsNoTimeline: the incident page takes the latest
// update from the incident and reads one page of the timeline, however
// long it is; an incident stored before it kept its latest update still
// shows it, from its timeline.
func TestLatestUpdateReadsNoTimeline(t *testing.T) {
	s := newSite(t)
	id := s.declare("Checkout returns 500s", "SEV1", false, t0)
	s.update(id, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.PostUpdate("Rolled back; errors falling", "U_carol", t0.Add(time.Minute))
		return []muster.Entry{e}, err
	})
	for i := range 300 {
		s.say(id, fmt.Sprintf("message %d", i), t0.Add(2*time.Minute))
	}
	old := s.declare("Stored before the field", "SEV2", false, t0)
	s.update(old, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.PostUpdate("An update of long ago", "U_dave", t0.Add(time.Minute))
		inc.LatestUpdate = nil
		return []muster.Entry{e}, err
	})
	none := s.declare("Nothing said yet", "SEV3", false, t0)

	counted := &countingStore{DB: s.db}
	h, err := web.New(counted, web.Config{}, func() time.Time { return t0.Add(time.Hour) }, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id    int
		want  string
		reads int
	}{
		{id, "Rolled back; errors falling", 1},
		{old, "An update of long ago", 2},
		{none, "No status update yet", 1},
	} {
		counted.entriesAfter = 0
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", fmt.Sprintf("/incidents/%d", c.id), nil))
		mustContain(t, fmt.Sprintf("INC-%d", c.id), rec.Body.String(), c.want)
		if counted.entriesAfter != c.reads {
			t.Errorf("INC-%d: %d timeline reads, want %d", c.id, counted.entriesAfter, c.reads)
		}
	}
}

// TestPostmortemPage: the draft as HTML, converted from the same Markdown
// as the download, with everything people wrote shown as text: no markup,
// no script, no javascript: link, under the pages' policy.
func TestPostmortemPage(t *testing.T) {
	s := newSite(t)
	id := s.declare(`<script>alert(1)</script> checkout`, "SEV1", false, t0)
	s.update(id, func(inc *muster.Incident) ([]muster.Entry, error) {
		inc.Description = "<div class=x>\nan HTML block"
		e1, _ := inc.AddNote(`<img src=x onerror="alert(2)"> and [a link](javascript:alert(3))`, "U_carol", t0.Add(time.Minute))
		e2, _ := inc.AddNote("line one\nline two", "U_carol", t0.Add(2*time.Minute))
		e3, err := inc.Resolve(`<b>fixed</b> <style>body{}</style>`, "U_alice", t0.Add(time.Hour))
		return []muster.Entry{e1, e2, e3}, err
	})
	path := fmt.Sprintf("/incidents/%d/postmortem", id)
	code, body, h := s.get(path, "")
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", path, code, body)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q", ct)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	mustContain(t, "the postmortem page", body,
		"<h1>INC-1: &lt;script&gt;alert(1)&lt;/script&gt; checkout</h1>", "<table>", "<h2>Key timestamps</h2>",
		"&lt;img src=x", "&lt;div class=x&gt;", "line one<br>", "postmortem.md",
	)
	mustNotContain(t, "the postmortem page", body, "<script", "<img", "<style", "<div", "<b>fixed", `href="javascript:`, "style=", "&lt;br&gt;", "raw HTML omitted")
	_, incident, _ := s.get(fmt.Sprintf("/incidents/%d", id), "")
	mustContain(t, "the incident page", incident, `href="/incidents/1/postmortem"`)
}
