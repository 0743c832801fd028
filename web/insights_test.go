package web_test

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/store"
	"github.com/muster-bot/muster/web"
)

var ic = muster.Role{Key: muster.RoleIC, Name: "Incident Commander", Short: "IC"}

// seedInsights stores a set of incidents whose numbers are worked out by
// hand in TestInsightsTables. The site's clock reads t0+48h, Thursday 3
// December 2026; t0 is Tuesday 1 December, in the week of 30 November.
func seedInsights(s *site) {
	s.t.Helper()
	// Five in the week of 30 November: resolved 10, 20, 30, 40 and 100
	// minutes after impact began.
	a := s.declare("checkout 500s", "SEV1", false, t0)
	s.update(a, func(inc *muster.Incident) ([]muster.Entry, error) {
		e1, _ := inc.Assign(ic, "U_ann", "U_ann", t0.Add(4*time.Minute))
		e2, _ := inc.AddAction(muster.ActionItem{Text: "done one", CreatedBy: "U_ann", CreatedAt: t0})
		e3, _ := inc.AddAction(muster.ActionItem{Text: "late one", Due: t0.Add(24 * time.Hour), CreatedBy: "U_ann", CreatedAt: t0})
		e4, _ := inc.AddAction(muster.ActionItem{Text: "open one", CreatedBy: "U_ann", CreatedAt: t0})
		e5, err := inc.CompleteAction(1, "U_ann", t0.Add(5*time.Minute))
		return []muster.Entry{e1, e2, e3, e4, e5}, err
	})
	s.resolve(a, t0.Add(10*time.Minute))

	b := s.declare("search slow", "SEV2", false, t0.Add(time.Hour))
	s.update(b, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.Assign(ic, "U_ann", "U_ann", t0.Add(time.Hour+6*time.Minute))
		return []muster.Entry{e}, err
	})
	s.resolve(b, t0.Add(time.Hour+20*time.Minute))

	c := s.declare("login errors", "SEV2", false, t0.Add(2*time.Hour))
	s.resolve(c, t0.Add(2*time.Hour+30*time.Minute))

	d := s.declare("slow reports", "SEV3", false, t0.Add(3*time.Hour))
	s.resolve(d, t0.Add(3*time.Hour+40*time.Minute))

	// Impact began 30 minutes before the declaration; one update on
	// time at +20m, then the 30-minute deadline at +50m passed before
	// the resolution at +70m: two due, one on time, one missed.
	declared := t0.Add(4 * time.Hour)
	e := s.declare("payments down", "SEV1", false, declared)
	s.update(e, func(inc *muster.Incident) ([]muster.Entry, error) {
		e1, err := inc.SetStarted(declared.Add(-30*time.Minute), "U_ann", declared)
		if err != nil {
			return nil, err
		}
		e2, err := inc.PostUpdate("rolling back", "U_ann", declared.Add(20*time.Minute))
		return []muster.Entry{e1, e2}, err
	})
	s.resolve(e, declared.Add(70*time.Minute))

	// One in the week of 9 November.
	f := s.declare("cache stampede", "SEV3", false, time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC))
	s.resolve(f, time.Date(2026, 11, 10, 11, 0, 0, 0, time.UTC))

	// A private one, open, silent and with an action item: nobody is
	// signed in, so none of it may count.
	g := s.declare("credential leak", "SEV1", true, t0.Add(5*time.Hour))
	s.update(g, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.AddAction(muster.ActionItem{Text: "rotate keys", CreatedBy: "U_alice", CreatedAt: t0.Add(5 * time.Hour)})
		return []muster.Entry{e}, err
	})

	// One in June: outside 90 days, inside 365.
	s.declare("old outage", "SEV4", false, time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
}

var (
	cellRE = regexp.MustCompile(`(?s)<t[dh][^>]*>(.*?)</t[dh]>`)
	tagRE  = regexp.MustCompile(`<[^>]*>`)
)

// row returns the cells of the row of table id whose first cell is key.
func row(t *testing.T, body, id, key string) []string {
	t.Helper()
	start := strings.Index(body, `<table class="numbers" id="`+id+`"`)
	if start < 0 {
		t.Fatalf("no table %s", id)
	}
	table := body[start:]
	table = table[:strings.Index(table, "</table>")]
	for _, tr := range strings.Split(table, "<tr>")[1:] {
		var cells []string
		for _, m := range cellRE.FindAllStringSubmatch(tr, -1) {
			cells = append(cells, strings.TrimSpace(tagRE.ReplaceAllString(m[1], "")))
		}
		if len(cells) > 0 && cells[0] == key {
			return cells
		}
	}
	t.Fatalf("table %s has no row %q", id, key)
	return nil
}

func sameCells(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("%s: got %q, want %q", what, got, want)
	}
}

func TestInsightsTables(t *testing.T) {
	s := newSite(t)
	seedInsights(s)
	code, body, _ := s.get("/insights", "")
	if code != http.StatusOK {
		t.Fatalf("GET /insights: %d\n%s", code, body)
	}
	mustContain(t, "insights", body, "6 incidents declared", `<option value="90d" selected>`)
	// The private SEV1 is left out: two SEV1, not three.
	sameCells(t, "week of 30 November", row(t, body, "table-weeks", "2026-11-30"), "2026-11-30", "2", "2", "1", "0", "5")
	sameCells(t, "week of 9 November", row(t, body, "table-weeks", "2026-11-09"), "2026-11-09", "0", "0", "1", "0", "1")
	sameCells(t, "an empty week", row(t, body, "table-weeks", "2026-11-16"), "2026-11-16", "0", "0", "0", "0", "0")
	// Detect: 0,0,0,0,30m → median 0s, p90 30m. Acknowledge: 4m,6m →
	// median 5m, p90 (rank ⌈1.8⌉=2) 6m. Resolve: 10,20,30,40,100m →
	// median 30m, p90 (rank ⌈4.5⌉=5) 1h40m.
	sameCells(t, "December times", row(t, body, "table-times", "Dec 2026"),
		"Dec 2026", "5", "0s", "30m", "2", "5m", "6m", "5", "30m", "1h40m")
	sameCells(t, "November times", row(t, body, "table-times", "Nov 2026"),
		"Nov 2026", "1", "0s", "0s", "0", "—", "—", "1", "2h", "2h")
	sameCells(t, "December cadence", row(t, body, "table-cadence", "Dec 2026"), "Dec 2026", "5", "2", "1", "1", "50%")
	sameCells(t, "November cadence", row(t, body, "table-cadence", "Nov 2026"), "Nov 2026", "1", "0", "0", "0", "—")
	sameCells(t, "actions", row(t, body, "table-actions", "1"), "1", "1", "1")
	mustNotContain(t, "insights", body, "credential leak", "2026-06-01")

	_, year, _ := s.get("/insights?window=365d", "")
	mustContain(t, "365d insights", year, "7 incidents declared", `<option value="365d" selected>`)
	sameCells(t, "week of 1 June", row(t, year, "table-weeks", "2026-06-01"), "2026-06-01", "0", "0", "0", "1", "1")
}

func TestInsightsBadWindow(t *testing.T) {
	s := newSite(t)
	for _, w := range []string{"7d", "90", "all", "-1d"} {
		code, body, _ := s.get("/insights?window="+w, "")
		if code != http.StatusBadRequest {
			t.Errorf("window=%s: %d, want 400", w, code)
		}
		mustContain(t, "window="+w, body, "is not a window", "30d, 90d, 365d")
	}
}

// TestInsightsSVG checks that every chart is well-formed XML (so it draws
// the same in any browser), coloured by class from the stylesheet, and
// that the page still loads no script.
func TestInsightsSVG(t *testing.T) {
	s := newSite(t)
	seedInsights(s)
	for _, w := range []string{"30d", "90d", "365d"} {
		_, body, _ := s.get("/insights?window="+w, "")
		svgs := regexp.MustCompile(`(?s)<svg.*?</svg>`).FindAllString(body, -1)
		if len(svgs) != 7 {
			t.Fatalf("window=%s: %d charts, want 7", w, len(svgs))
		}
		for i, svg := range svgs {
			dec := xml.NewDecoder(strings.NewReader(svg))
			for {
				_, err := dec.Token()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("window=%s chart %d is not well-formed: %v\n%s", w, i, err, svg)
				}
			}
		}
		mustContain(t, "week chart", svgs[0], `<rect class="sev1"`, `<title>Incidents per week by severity</title>`)
		mustNotContain(t, "insights", body, "<script", "style=")
	}
	code, css, _ := s.get("/static/insights.css", "")
	if code != http.StatusOK || !strings.Contains(css, "var(--sev1)") {
		t.Errorf("insights.css: %d", code)
	}
}

// BenchmarkInsights renders the 365-day page over 2,000 incidents, each
// with a short timeline, in a bbolt store on disk.
func BenchmarkInsights(b *testing.B) {
	db, err := store.Open(filepath.Join(b.TempDir(), "muster.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := t0.Add(48 * time.Hour)
	ctx := context.Background()
	sevs := []string{"SEV1", "SEV2", "SEV3", "SEV4"}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 2000; i += 8 {
				at := now.Add(-time.Duration(i) * 4 * time.Hour)
				inc, first, err := muster.NewIncident(fmt.Sprintf("incident %d", i), muster.Severity{Name: sevs[i%4]}, i%50 == 0, "U_a", at)
				if err != nil {
					errs <- err
					return
				}
				if err := db.Create(ctx, inc, first); err != nil {
					errs <- err
					return
				}
				if _, _, err := db.Update(ctx, inc.ID, func(inc *muster.Incident) ([]muster.Entry, error) {
					e1, _ := inc.Assign(ic, "U_b", "U_b", at.Add(3*time.Minute))
					e2, _ := inc.PostUpdate("looking", "U_b", at.Add(25*time.Minute))
					e3, _ := inc.AddAction(muster.ActionItem{Text: "fix", Due: at.Add(72 * time.Hour), CreatedBy: "U_b", CreatedAt: at})
					e4, err := inc.Resolve("fixed", "U_b", at.Add(time.Duration(30+i%90)*time.Minute))
					return []muster.Entry{e1, e2, e3, e4}, err
				}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	h, err := web.New(db, web.Config{}, func() time.Time { return now }, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/insights?window=365d", nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("GET /insights: %d", rec.Code)
		}
	}
}

// TestInsightsRemembersSettledCadences: a second look at /insights reads
// the timelines of the open incidents alone; a resolved incident reopened
// and resolved again is measured afresh.
func TestInsightsRemembersSettledCadences(t *testing.T) {
	s := newSite(t)
	resolved := s.declare("Resolved one", "SEV2", false, t0)
	s.resolve(resolved, t0.Add(time.Hour))
	s.declare("Open one", "SEV2", false, t0.Add(2*time.Hour))
	counted := &countingStore{DB: s.db}
	h, err := web.New(counted, web.Config{}, func() time.Time { return t0.Add(48 * time.Hour) }, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	look := func(want int) {
		t.Helper()
		counted.timelines = 0
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/insights?window=30d", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /insights: %d", rec.Code)
		}
		if counted.timelines != want {
			t.Errorf("%d timelines read, want %d", counted.timelines, want)
		}
	}
	look(2)
	look(1)
	s.update(resolved, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.Reopen("U_alice", t0.Add(3*time.Hour))
		return []muster.Entry{e}, err
	})
	s.resolve(resolved, t0.Add(4*time.Hour))
	look(2)
	look(1)
}
