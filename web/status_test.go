package web_test

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/web"
)

// statusSite is a site with the public status pages served beside it,
// on a server of their own as in a deployment without the incident pages.
type statusSite struct {
	*site
	public *httptest.Server
}

func newStatusSite(t *testing.T) *statusSite {
	t.Helper()
	s := newSite(t)
	p, err := web.NewStatus(s.db, web.StatusConfig{Title: "Example status", Components: []web.StatusComponent{
		{Name: "API", Description: "The public REST API"}, {Name: "Checkout"}, {Name: "Web app"},
	}}, func() time.Time { return t0.Add(48 * time.Hour) }, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	p.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &statusSite{site: s, public: srv}
}

func (s *statusSite) getPublic(path string) (int, string, http.Header) {
	s.t.Helper()
	res, err := s.public.Client().Get(s.public.URL + path)
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

// The internal texts of the scenario below: none may reach a public page.
var internalTexts = []string{
	"ACME Corp",          // the public incident's title
	"Signing key leaked", // the private incident's title
	"PRIVATE POST",       // the private incident's public post
	"failover of db-7",   // a status update
	"who broke it",       // a war-room message
	"U_alice", "U_bob", "U_carol",
	"INC-",
}

// scenario: a public incident with a post and a component in major
// outage; a private one that (against the rules, written straight to the
// store) holds a post and a component state; a resolved one ten days ago.
func (s *statusSite) scenario() {
	s.t.Helper()
	pub := s.declare("Checkout down for ACME Corp", "SEV1", false, t0)
	s.update(pub, func(inc *muster.Incident) ([]muster.Entry, error) {
		inc.Roles = map[string]string{muster.RoleIC: "U_alice", muster.RoleComms: "U_carol"}
		u, _ := inc.PostUpdate("failover of db-7 started by U_bob", "U_carol", t0.Add(10*time.Minute))
		p, err := inc.Publish("We are investigating failed payments.", "U_carol", t0.Add(15*time.Minute))
		if err != nil {
			return nil, err
		}
		c, err := inc.SetComponent("Checkout", muster.ComponentMajor, "U_carol", t0.Add(16*time.Minute))
		return []muster.Entry{u, p, c}, err
	})
	s.say(pub, "who broke it?", t0.Add(20*time.Minute))
	priv := s.declare("Signing key leaked", "SEV1", true, t0.Add(time.Hour))
	s.update(priv, func(inc *muster.Incident) ([]muster.Entry, error) {
		inc.Public = append(inc.Public, muster.PublicPost{At: t0.Add(time.Hour), Text: "PRIVATE POST", Status: muster.StatusInvestigating, By: "U_alice"})
		inc.ComponentLog = append(inc.ComponentLog, muster.ComponentChange{Component: "API", State: muster.ComponentMajor, At: t0.Add(time.Hour)})
		return nil, nil
	})
	past := s.declare("Old API slowness", "SEV3", false, t0.AddDate(0, 0, -10))
	s.update(past, func(inc *muster.Incident) ([]muster.Entry, error) {
		c, _ := inc.SetComponent("API", muster.ComponentDegraded, "U_alice", t0.AddDate(0, 0, -10))
		p, err := inc.Publish("API responses are slow.", "U_alice", t0.AddDate(0, 0, -10).Add(time.Minute))
		return []muster.Entry{c, p}, err
	})
	s.resolve(past, t0.AddDate(0, 0, -10).Add(2*time.Hour))
	s.update(past, func(inc *muster.Incident) ([]muster.Entry, error) {
		return inc.PublishResolution("U_alice", t0.AddDate(0, 0, -10).Add(3*time.Hour))
	})
}

func TestStatusPageShowsOnlyWhatWasPublished(t *testing.T) {
	s := newStatusSite(t)
	s.scenario()
	code, body, h := s.getPublic("/status")
	if code != http.StatusOK {
		t.Fatalf("GET /status = %d: %s", code, body)
	}
	if h.Get("Content-Security-Policy") == "" {
		t.Error("no Content-Security-Policy on the public page")
	}
	mustContain(t, "/status", body, "Example status", "We are investigating failed payments.", "Major outage", "Checkout",
		"Past incidents", "API responses are slow.", muster.ResolvedText, "Degraded performance", "The public REST API")
	mustNotContain(t, "/status", body, internalTexts...)
}

func TestStatusJSON(t *testing.T) {
	s := newStatusSite(t)
	s.scenario()
	code, body, h := s.getPublic("/status.json")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /status.json = %d %s", code, h.Get("Content-Type"))
	}
	mustNotContain(t, "/status.json", body, internalTexts...)
	var got struct {
		Title      string    `json:"title"`
		State      string    `json:"state"`
		UpdatedAt  time.Time `json:"updated_at"`
		Components []struct {
			Name    string `json:"name"`
			State   string `json:"state"`
			History []struct{ Date, State string }
		} `json:"components"`
		Incidents []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			Posts  []struct {
				Text   string    `json:"text"`
				Status string    `json:"status"`
				At     time.Time `json:"at"`
			} `json:"posts"`
		} `json:"incidents"`
		Past []json.RawMessage `json:"past_incidents"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("decode: %v\n%s", err, body)
	}
	if got.Title != "Example status" || got.State != "major" || !got.UpdatedAt.Equal(t0.Add(16*time.Minute)) {
		t.Errorf("title %q state %q updated_at %s", got.Title, got.State, got.UpdatedAt)
	}
	states := map[string]string{}
	for _, c := range got.Components {
		states[c.Name] = c.State
	}
	// The private incident's API outage does not count; the resolved one's no longer does.
	if states["API"] != "operational" || states["Checkout"] != "major" || states["Web app"] != "operational" {
		t.Errorf("component states = %v", states)
	}
	if h := got.Components[0].History; len(h) != 1 || h[0].Date != "2026-11-21" || h[0].State != "degraded" {
		t.Errorf("API history = %+v, want one degraded day, 2026-11-21", h)
	}
	if len(got.Incidents) != 1 || len(got.Incidents[0].Posts) != 1 || got.Incidents[0].Posts[0].Text != "We are investigating failed payments." {
		t.Errorf("current incidents = %+v", got.Incidents)
	}
	if len(got.Past) != 1 {
		t.Errorf("past incidents = %d, want 1", len(got.Past))
	}
}

func TestStatusFeedIsAtom(t *testing.T) {
	s := newStatusSite(t)
	s.scenario()
	code, body, h := s.getPublic("/status/feed.atom")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("GET /status/feed.atom = %d %s", code, h.Get("Content-Type"))
	}
	mustNotContain(t, "the feed", body, internalTexts...)
	var feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Title   string   `xml:"title"`
		Updated string   `xml:"updated"`
		Author  struct {
			Name string `xml:"name"`
		} `xml:"author"`
		Entries []struct {
			ID      string `xml:"id"`
			Title   string `xml:"title"`
			Updated string `xml:"updated"`
			Content string `xml:"content"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(body), &feed); err != nil {
		t.Fatalf("the feed is not Atom: %v\n%s", err, body)
	}
	if feed.ID == "" || feed.Title != "Example status" || feed.Author.Name == "" {
		t.Errorf("feed head = %+v", feed)
	}
	if _, err := time.Parse(time.RFC3339, feed.Updated); err != nil {
		t.Errorf("feed updated %q: %v", feed.Updated, err)
	}
	var texts []string
	ids := map[string]bool{}
	for _, e := range feed.Entries {
		if _, err := time.Parse(time.RFC3339, e.Updated); err != nil || e.ID == "" || ids[e.ID] {
			t.Errorf("entry %+v: bad or repeated id or time", e)
		}
		ids[e.ID] = true
		texts = append(texts, e.Content)
	}
	want := []string{"We are investigating failed payments.", muster.ResolvedText, "API responses are slow."}
	if strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Errorf("entries = %q, want %q (newest first)", texts, want)
	}
	// Ids are stable: the same posts have the same ids on the next read.
	_, again, _ := s.getPublic("/status/feed.atom")
	for id := range ids {
		if !strings.Contains(again, "<id>"+id+"</id>") {
			t.Errorf("id %s changed between two reads", id)
		}
	}
}

func TestStatusPageWithNothingPublished(t *testing.T) {
	s := newStatusSite(t)
	s.declare("Quiet incident", "SEV2", false, t0)
	_, body, _ := s.getPublic("/status")
	mustContain(t, "/status", body, "All systems operational", "Operational every day of the last 90.")
	mustNotContain(t, "/status", body, "Quiet incident", "Current incidents")
	_, feed, _ := s.getPublic("/status/feed.atom")
	if err := xml.Unmarshal([]byte(feed), new(struct{})); err != nil {
		t.Errorf("empty feed is not XML: %v", err)
	}
}

func TestStatusInternal(t *testing.T) {
	s := newStatusSite(t)
	s.scenario()
	done := s.declare("Search was slow", "SEV3", false, t0)
	s.resolve(done, t0.Add(time.Hour))
	code, body, _ := s.get("/status/internal", "")
	if code != http.StatusOK {
		t.Fatalf("GET /status/internal = %d: %s", code, body)
	}
	mustContain(t, "/status/internal", body, "Checkout down for ACME Corp", "failover of db-7", "INC-1", "Search was slow", "Resolved in the last 7 days")
	mustNotContain(t, "/status/internal", body, "Old API slowness") // resolved ten days ago
	// The viewer is nobody in particular: a private incident is not theirs to see.
	mustNotContain(t, "/status/internal", body, "Signing key leaked", "INC-2")
}

// TestStatusPageCache: within CacheFor requests share one read; after it
// a new post shows.
func TestStatusPageCache(t *testing.T) {
	s := newSite(t)
	now := t0
	p, err := web.NewStatus(s.db, web.StatusConfig{Title: "Example status", CacheFor: 2 * time.Second}, func() time.Time { return now }, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	p.Register(mux)
	get := func() string {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", "/status.json", nil))
		return rec.Body.String()
	}
	id := s.declare("Checkout down", "SEV1", false, t0)
	get()
	s.update(id, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.Publish("We are investigating.", "U_carol", t0)
		return []muster.Entry{e}, err
	})
	now = t0.Add(time.Second)
	if strings.Contains(get(), "We are investigating.") {
		t.Error("a read within CacheFor went to the store")
	}
	now = t0.Add(2 * time.Second)
	if !strings.Contains(get(), "We are investigating.") {
		t.Error("the post does not show once CacheFor has passed")
	}
}

// TestStatusHistorySpansDays: a state holds from its change until the
// next change or the resolution, so an outage across midnight colours
// both days, each by its worst state.
func TestStatusHistorySpansDays(t *testing.T) {
	s := newStatusSite(t)
	start := time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC)
	id := s.declare("Night outage", "SEV1", false, start)
	s.update(id, func(inc *muster.Incident) ([]muster.Entry, error) {
		a, _ := inc.SetComponent("API", muster.ComponentMajor, "U_alice", start)
		b, err := inc.SetComponent("API", muster.ComponentDegraded, "U_alice", start.Add(90*time.Minute)) // 00:30 on the 29th
		return []muster.Entry{a, b}, err
	})
	s.resolve(id, start.Add(26*time.Hour)) // 01:00 on the 30th
	_, body, _ := s.getPublic("/status.json")
	var got struct {
		Components []struct {
			Name    string
			History []struct{ Date, State string }
		}
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	var days []string
	for _, d := range got.Components[0].History {
		days = append(days, d.Date+" "+d.State)
	}
	want := []string{"2026-11-28 major", "2026-11-29 major", "2026-11-30 degraded"}
	if strings.Join(days, ", ") != strings.Join(want, ", ") {
		t.Errorf("API history = %v, want %v", days, want)
	}
}
