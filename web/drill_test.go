package web_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

// drill stores a drill declared at at and returns its number.
func (s *site) drill(title, sev string, at time.Time) int {
	s.t.Helper()
	id := s.declare(title, sev, false, at)
	s.update(id, func(inc *muster.Incident) ([]muster.Entry, error) {
		inc.Drill = true
		return nil, nil
	})
	return id
}

// Drills stay out of /insights unless drills=1 asks for them alone.
func TestInsightsLeaveDrillsOut(t *testing.T) {
	s := newSite(t)
	seedInsights(s)
	d := s.drill("game day: checkout", "SEV1", t0.Add(6*time.Hour))
	s.resolve(d, t0.Add(8*time.Hour))
	_, body, _ := s.get("/insights", "")
	mustContain(t, "insights", body, "6 incidents declared")
	sameCells(t, "week of 30 November", row(t, body, "table-weeks", "2026-11-30"), "2026-11-30", "2", "2", "1", "0", "5")

	code, drills, _ := s.get("/insights?drills=1", "")
	if code != http.StatusOK {
		t.Fatalf("GET /insights?drills=1: %d", code)
	}
	mustContain(t, "insights of drills", drills, "Drills only: 1 incidents declared", `name="drills" value="1" checked`)
	sameCells(t, "drills in the week of 30 November", row(t, drills, "table-weeks", "2026-11-30"), "2026-11-30", "1", "0", "0", "0", "1")
	sameCells(t, "drills' December times", row(t, drills, "table-times", "Dec 2026"),
		"Dec 2026", "1", "0s", "0s", "0", "—", "—", "1", "2h", "2h")
}

// A drill is on neither status page, even one that (against the rules,
// written straight to the store) holds a public post.
func TestStatusPagesLeaveDrillsOut(t *testing.T) {
	s := newStatusSite(t)
	s.scenario()
	d := s.drill("Game day: payments", "SEV1", t0.Add(2*time.Hour))
	s.update(d, func(inc *muster.Incident) ([]muster.Entry, error) {
		inc.Public = append(inc.Public, muster.PublicPost{At: t0.Add(2 * time.Hour), Text: "DRILL POST", Status: muster.StatusInvestigating})
		inc.ComponentLog = append(inc.ComponentLog, muster.ComponentChange{Component: "Web app", State: muster.ComponentMajor, At: t0.Add(2 * time.Hour)})
		return nil, nil
	})
	_, public, _ := s.getPublic("/status")
	mustContain(t, "/status", public, "We are investigating failed payments.")
	mustNotContain(t, "/status", public, "DRILL POST", "Game day")
	_, js, _ := s.getPublic("/status.json")
	mustNotContain(t, "/status.json", js, "DRILL POST")
	_, internal, _ := s.get("/status/internal", "")
	mustContain(t, "/status/internal", internal, "Checkout down for ACME Corp")
	mustNotContain(t, "/status/internal", internal, "Game day: payments")
	_, list, _ := s.get("/", "")
	mustContain(t, "/", list, "Game day: payments", "🧪 drill")
}
