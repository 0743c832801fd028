package commands_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/commands"
	"github.com/muster-bot/muster/templates"
)

// catalog is the service catalog of the service tests.
var catalog = muster.Services{
	{Name: "checkout", Description: "Cart and payment", Owners: []string{"S0CHECKOUT", "U0ANA"}, Keywords: []string{"checkout", "shopping cart"},
		Runbooks: []muster.Runbook{{Title: "Checkout runbook", URL: "https://wiki.example.com/checkout"}}},
	{Name: "payments", Owners: []string{"U0ANA", "U0PAY"}, Keywords: []string{"payment", "payments"}},
	{Name: "search"},
}

// newServiceEnv is newEnv with the catalog, and a SEV1 that invites U0SRE.
func newServiceEnv(t testing.TB) *env {
	t.Helper()
	e := newEnv(t)
	ladder := muster.DefaultSeverities()
	ladder[0].Notify = []string{"U0SRE"}
	pm, err := templates.New("")
	if err != nil {
		t.Fatalf("load templates: %v", err)
	}
	e.cmds = commands.New(e.db, pm, commands.Config{Severities: ladder, DefaultSeverity: "SEV3", Roles: muster.DefaultRoles(), Services: catalog},
		func() time.Time { return e.now })
	return e
}

func TestDeclareServices(t *testing.T) {
	for _, tc := range []struct {
		name, text, title string
		services          []string
		invite            []string
	}{
		{"after the severity", "declare sev1 svc:checkout Checkout is returning 500s", "Checkout is returning 500s", []string{"checkout"}, []string{"U0SRE", "S0CHECKOUT", "U0ANA"}},
		{"a list", "declare sev2 svc:checkout,PAYMENTS Orders fail", "Orders fail", []string{"checkout", "payments"}, []string{"S0CHECKOUT", "U0ANA", "U0PAY"}},
		{"first of all", "declare svc:search sev2 Results empty", "Results empty", []string{"search"}, nil},
		{"inside the title", "declare sev2 Results svc:search empty", "Results empty", []string{"search"}, nil},
		{"at the end, twice", "declare sev2 Slow SVC:search svc:search,checkout", "Slow", []string{"search", "checkout"}, []string{"S0CHECKOUT", "U0ANA"}},
		{"named services win over keywords", "declare sev2 svc:search Checkout slow", "Checkout slow", []string{"search"}, nil},
		{"keywords, whole words, any case", "declare sev2 CHECKOUT and Payment errors", "CHECKOUT and Payment errors", []string{"checkout", "payments"}, []string{"S0CHECKOUT", "U0ANA", "U0PAY"}},
		{"a keyword of two words", "declare sev2 Shopping  cart empty", "Shopping cart empty", []string{"checkout"}, []string{"S0CHECKOUT", "U0ANA"}},
		{"no part of a word", "declare sev2 Checkouts and prepayment slow", "Checkouts and prepayment slow", nil, nil},
		{"a keyword after punctuation", "declare sev2 Errors (checkout)", "Errors (checkout)", []string{"checkout"}, []string{"S0CHECKOUT", "U0ANA"}},
		{"the description keeps its words", "declare sev2 Slow svc:search\nsee svc:checkout dashboards", "Slow", []string{"search"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newServiceEnv(t)
			out := e.must("alice", 0, tc.text)
			inc := e.incident(1)
			if inc.Title != tc.title || !slices.Equal(inc.Services, tc.services) {
				t.Errorf("title %q, services %q; want %q, %q", inc.Title, inc.Services, tc.title, tc.services)
			}
			if !slices.Equal(out.Invite, tc.invite) {
				t.Errorf("invite %q, want %q", out.Invite, tc.invite)
			}
			if len(tc.services) > 0 {
				if tl := e.timeline(1); !strings.HasSuffix(tl[0].Text, " · services: "+strings.Join(tc.services, ", ")) {
					t.Errorf("declared entry %q does not name the services", tl[0].Text)
				}
			}
		})
	}
}

// TestDeclareUnknownService: a service not in the catalog is refused with
// the valid names, and nothing is declared.
func TestDeclareUnknownService(t *testing.T) {
	for _, tc := range []struct{ text, msg string }{
		{"declare sev1 svc:checkout,billing Orders fail", `"billing" is not a service. Services: checkout, payments, search.`},
		{"declare sev1 svc: Orders fail", "Name a service after svc:, e.g. `svc:checkout`"},
		{"declare sev1 svc:checkout, Orders fail", "Name a service after svc:"},
	} {
		e := newServiceEnv(t)
		_, err := e.run("alice", 0, tc.text)
		if muster.ErrorCode(err) != muster.EINVALID || !strings.Contains(muster.ErrorMessage(err), tc.msg) {
			t.Errorf("%s: error %v, want EINVALID with %q", tc.text, err, tc.msg)
		}
		if all, _ := e.db.Incidents(context.Background(), false); len(all) != 0 {
			t.Errorf("%s declared %d incidents", tc.text, len(all))
		}
	}
	e := newEnv(t) // no catalog
	_, err := e.run("alice", 0, "declare sev1 svc:checkout Orders fail")
	if !strings.Contains(muster.ErrorMessage(err), "no services are configured") {
		t.Errorf("without a catalog: %v", err)
	}
}

func TestServiceCommand(t *testing.T) {
	e := newServiceEnv(t)
	e.must("alice", 0, "declare sev2 svc:search Results empty")
	e.now = t0.Add(time.Minute)

	out := e.must("bob", 1, "service checkout,payments search")
	if got := e.incident(1).Services; !slices.Equal(got, []string{"search", "checkout", "payments"}) {
		t.Errorf("services = %q", got)
	}
	// The owners of the services added are invited, each once.
	if !slices.Equal(out.Invite, []string{"S0CHECKOUT", "U0ANA", "U0PAY"}) || out.Happened != commands.Changed {
		t.Errorf("invite %q, happened %v", out.Invite, out.Happened)
	}
	if len(out.Room) != 1 || out.Room[0].Text != "🧩 Services affected: added checkout, payments (by <@bob>). Affected now: search, checkout, payments." {
		t.Errorf("room: %+v", out.Room)
	}
	tl := e.timeline(1)
	if last := tl[len(tl)-1]; last.Kind != muster.EntryService || last.Actor != "bob" || last.Text != "Services affected: added checkout, payments" || !last.At.Equal(t0.Add(time.Minute)) {
		t.Errorf("entry %+v", last)
	}

	for _, tc := range []struct {
		text string
		code string
		msg  string
	}{
		{"service checkout", muster.ECONFLICT, "INC-1 already affects checkout."},
		{"service billing", muster.EINVALID, `"billing" is not a service. Services: checkout, payments, search.`},
		{"service remove", muster.EINVALID, "Name the services. Services: checkout, payments, search."},
		{"service remove billing", muster.EINVALID, `"billing" is not a service.`},
	} {
		if _, err := e.run("bob", 1, tc.text); muster.ErrorCode(err) != tc.code || !strings.Contains(muster.ErrorMessage(err), tc.msg) {
			t.Errorf("%s: %v, want %s with %q", tc.text, err, tc.code, tc.msg)
		}
	}

	out = e.must("bob", 1, "service remove svc:search")
	if got := e.incident(1).Services; !slices.Equal(got, []string{"checkout", "payments"}) || len(out.Invite) != 0 {
		t.Errorf("after remove: services %q, invite %q", got, out.Invite)
	}
	if tl := e.timeline(1); tl[len(tl)-1].Text != "Services affected: removed search" {
		t.Errorf("entry %+v", tl[len(tl)-1])
	}
	if _, err := e.run("bob", 1, "service remove search"); muster.ErrorCode(err) != muster.ECONFLICT {
		t.Errorf("removing again: %v", err)
	}
	// Without names: what it affects, and the choices.
	if out := e.must("bob", 1, "service"); out.Reply == nil || out.Reply.Text != "INC-1 affects: checkout, payments. Services: checkout, payments, search. Add one with `service <name>`." {
		t.Errorf("bare service: %+v", out.Reply)
	}
	// With the incident named.
	e.must("bob", 1, "service INC-1 search")
	if got := e.incident(1).Services; !slices.Contains(got, "search") {
		t.Errorf("service INC-1 search: %q", got)
	}
	// Once resolved, a service is added for the record and nobody is called in.
	e.must("alice", 1, "resolve")
	if out := e.must("bob", 1, "service remove checkout"); len(out.Invite) != 0 {
		t.Errorf("invite %q", out.Invite)
	}
	if out := e.must("bob", 1, "service checkout"); len(out.Invite) != 0 || !slices.Contains(e.incident(1).Services, "checkout") {
		t.Errorf("after resolve: invite %q, services %q", out.Invite, e.incident(1).Services)
	}
}

// TestHeaderShowsServices: the header, show, the topic and the
// announcement name the services; the header links their runbooks.
func TestHeaderShowsServices(t *testing.T) {
	e := newServiceEnv(t)
	e.must("alice", 0, "declare sev1 svc:checkout,search Orders fail")
	inc := e.incident(1)
	header := e.cmds.Header(inc)
	fields := map[string]string{}
	for _, f := range header.Fields {
		fields[f.Label] = f.Value
	}
	if fields["Services"] != "checkout (Cart and payment) · search" {
		t.Errorf("Services field = %q", fields["Services"])
	}
	if !strings.Contains(fields["Runbooks"], "https://wiki.example.com/checkout") {
		t.Errorf("Runbooks field = %q", fields["Runbooks"])
	}
	if got := commands.Topic(inc); got != "INC-1 · SEV1 · investigating · no IC yet · checkout, search — Orders fail" {
		t.Errorf("topic = %q", got)
	}
	show := e.must("bob", 1, "show").Reply
	if !slices.ContainsFunc(show.Fields, func(f muster.Field) bool { return f.Label == "Services" && strings.HasPrefix(f.Value, "checkout") }) {
		t.Errorf("show: %+v", show.Fields)
	}
	ann := e.cmds.Announcement(inc, "#inc-1")
	if !slices.Contains(ann.Fields, muster.Field{Label: "Services", Value: "checkout, search"}) {
		t.Errorf("announcement: %+v", ann.Fields)
	}
	// No services: no field.
	e.must("alice", 0, "declare sev3 Typo")
	if h := e.cmds.Header(e.incident(2)); slices.ContainsFunc(h.Fields, func(f muster.Field) bool { return f.Label == "Services" }) {
		t.Errorf("header of an incident without services: %+v", h.Fields)
	}
}

// TestStatsMTBF: the mean gap between the starts of a service's
// incidents in the window, "—" with fewer than two.
func TestStatsMTBF(t *testing.T) {
	e := newServiceEnv(t)
	e.must("alice", 0, "declare sev2 svc:checkout,payments Orders fail") // t0
	e.now = t0.Add(10 * time.Hour)
	e.must("alice", 0, "declare sev2 svc:checkout Cart empty")
	e.must("alice", 2, "started 4h ago") // impact began at t0+6h: the gap counts from there
	e.now = t0.Add(30 * time.Hour)
	e.must("alice", 0, "declare sev3 svc:checkout Slow cart") // t0+30h
	e.now = t0.Add(31 * time.Hour)
	stats := e.must("bob", 0, "stats 7d").Reply
	got := ""
	for _, f := range stats.Fields {
		if strings.HasPrefix(f.Label, "MTBF") {
			got = f.Value
		}
	}
	// checkout: starts t0, t0+6h, t0+30h: gaps 6h and 24h, mean 15h.
	if want := "checkout 15h (n=3) · payments — (n=1) · search — (n=0)"; got != want {
		t.Errorf("MTBF = %q, want %q", got, want)
	}
	// Without a catalog there is no line.
	plain := newEnv(t)
	for _, f := range plain.must("bob", 0, "stats").Reply.Fields {
		if strings.HasPrefix(f.Label, "MTBF") {
			t.Errorf("stats without a catalog: %+v", f)
		}
	}
}

func TestMTBF(t *testing.T) {
	for _, tc := range []struct {
		hours []int
		want  time.Duration
		ok    bool
	}{
		{nil, 0, false},
		{[]int{5}, 0, false},
		{[]int{0, 10}, 10 * time.Hour, true},
		{[]int{30, 0, 6}, 15 * time.Hour, true}, // in any order
	} {
		var starts []time.Time
		for _, h := range tc.hours {
			starts = append(starts, t0.Add(time.Duration(h)*time.Hour))
		}
		if got, ok := muster.MTBF(starts); got != tc.want || ok != tc.ok {
			t.Errorf("MTBF(%v) = %v, %v; want %v, %v", tc.hours, got, ok, tc.want, tc.ok)
		}
	}
}

// An alert whose service label the catalog does not know still declares:
// the label is dropped and the title's keywords decide.
func TestAlertWithUnknownServiceDeclares(t *testing.T) {
	e := newServiceEnv(t)
	d := muster.Declaration{Title: "Checkout 5xx above 2%", Severity: "SEV2", Services: []string{"billing-v2", "search"}, Source: "alertmanager"}
	out, err := e.cmds.Declare(context.Background(), d, "")
	if err != nil {
		t.Fatalf("declare from an alert naming an unknown service: %v", err)
	}
	if got := out.Incident.Services; !slices.Equal(got, []string{"search"}) {
		t.Errorf("services = %q, want the known one", got)
	}
	d.Services = []string{"billing-v2"}
	out, err = e.cmds.Declare(context.Background(), d, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Incident.Services; !slices.Equal(got, []string{"checkout"}) {
		t.Errorf("services = %q, want checkout from the title's keywords", got)
	}
}
