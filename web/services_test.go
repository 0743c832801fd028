package web_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/web"
)

// newServiceSite serves three incidents: INC-1 of checkout and payments
// (resolved), INC-2 of checkout, INC-3 of none.
func newServiceSite(t *testing.T) *site {
	t.Helper()
	s := newSiteWith(t, web.Config{Services: muster.Services{{Name: "checkout"}, {Name: "payments"}, {Name: "search"}}})
	for i, svcs := range [][]string{{"checkout", "payments"}, {"checkout"}, nil} {
		id := s.declare([]string{"Orders fail", "Cart empty", "Typo on pricing"}[i], "SEV2", false, t0.Add(time.Duration(i)*time.Hour))
		if svcs != nil {
			s.update(id, func(inc *muster.Incident) ([]muster.Entry, error) {
				e, _, err := inc.AddServices(svcs, "U_alice", t0)
				return []muster.Entry{e}, err
			})
		}
	}
	s.resolve(1, t0.Add(30*time.Minute))
	return s
}

func TestListServiceFilter(t *testing.T) {
	s := newServiceSite(t)
	for _, c := range []struct {
		query string
		want  []int
	}{
		{"?service=checkout", []int{2, 1}},
		{"?service=PAYMENTS", []int{1}},
		{"?service=search", nil},
		{"?service=checkout&status=open", []int{2}},
		{"?service=all", []int{3, 2, 1}},
		{"", []int{3, 2, 1}},
	} {
		code, body, _ := s.get("/"+c.query, "")
		ids, _ := listed(t, body)
		if code != http.StatusOK || !slices.Equal(ids, c.want) {
			t.Errorf("GET /%s: %d, incidents %v, want %v", c.query, code, ids, c.want)
		}
	}
	_, body, _ := s.get("/?service=checkout", "")
	mustContain(t, "the filtered list", body, `<option value="checkout" selected>`, `<a href="/?service=payments">payments</a>`)
	code, body, _ := s.get("/?service=billing", "")
	if code != http.StatusBadRequest || !strings.Contains(body, "choose one of: checkout, payments, search") {
		t.Errorf("unknown service: %d\n%s", code, body)
	}
	// Without a catalog, no service filter is offered.
	plain := newSite(t)
	plain.declare("Typo", "SEV3", false, t0)
	_, body, _ = plain.get("/", "")
	mustNotContain(t, "the list without a catalog", body, `name="service"`)
}

func TestPagesShowServices(t *testing.T) {
	s := newServiceSite(t)
	_, body, _ := s.get("/incidents/1", "")
	mustContain(t, "the incident page", body, `Services: <a href="/?service=checkout">checkout</a>, <a href="/?service=payments">payments</a>`)
	_, body, _ = s.get("/incidents/3", "")
	mustNotContain(t, "the page of an incident without services", body, `id="services"`)
	_, body, _ = s.get("/status/internal", "")
	mustContain(t, "/status/internal", body, `<td class="services">checkout</td>`, `<td class="services">checkout, payments</td>`)

	var list struct {
		Incidents []struct {
			Ref      string
			Services []string `json:"services"`
		}
	}
	_, body, _ = s.get("/api/v1/incidents?service=checkout", "Bearer "+token)
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Incidents) != 2 ||
		strings.Join(list.Incidents[1].Services, ",") != "checkout,payments" {
		t.Errorf("API list = %+v (%v)\n%s", list, err, body)
	}
	_, body, _ = s.get("/api/v1/incidents/3", "Bearer "+token)
	if !strings.Contains(body, `"services":[]`) {
		t.Errorf("API incident without services: %s", body)
	}
}

// TestInsightsMTBF: a table of the mean gap between the starts of each
// service's incidents; none without a catalog.
func TestInsightsMTBF(t *testing.T) {
	s := newServiceSite(t)
	s.update(2, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.SetStarted(t0.Add(30*time.Minute), "U_alice", t0.Add(time.Hour)) // INC-2's impact began at t0+30m
		return []muster.Entry{e}, err
	})
	code, body, _ := s.get("/insights", "")
	if code != http.StatusOK {
		t.Fatalf("GET /insights: %d\n%s", code, body)
	}
	mustContain(t, "/insights", body, `id="table-mtbf"`,
		`<tr><th scope="row">checkout</th><td class="n">2</td><td class="n">30m</td></tr>`,
		`<tr><th scope="row">payments</th><td class="n">1</td><td class="n">—</td></tr>`,
		`<tr><th scope="row">search</th><td class="n">0</td><td class="n">—</td></tr>`)
	_, body, _ = newSite(t).get("/insights", "")
	mustNotContain(t, "/insights without a catalog", body, "table-mtbf")
}
