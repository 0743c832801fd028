package muster_test

import (
	"slices"
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

func TestServicesMatch(t *testing.T) {
	catalog := muster.Services{
		{Name: "checkout", Keywords: []string{"checkout", "Shopping Cart"}},
		{Name: "api", Keywords: []string{"API", "5xx"}},
		{Name: "quiet"},
	}
	for _, tc := range []struct {
		title string
		want  []string
	}{
		{"Checkout is down", []string{"checkout"}},
		{"checkout-api returns 5xx", []string{"checkout", "api"}}, // a hyphen separates words
		{"Checkouts fail", nil},
		{"shopping cart empty", []string{"checkout"}},
		{"shopping for a cart", nil}, // the words of a keyword in a row
		{"apis: 5xxx", nil},
		{"", nil},
	} {
		if got := catalog.Match(tc.title); !slices.Equal(got, tc.want) {
			t.Errorf("Match(%q) = %q, want %q", tc.title, got, tc.want)
		}
	}
}

// TestServicesAfter: replaying a timeline finds the services as of any
// entry, from the texts the domain wrote.
func TestServicesAfter(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	inc, declared, err := muster.NewIncident("Orders fail", muster.Severity{Name: "SEV1"}, false, "U1", at)
	if err != nil {
		t.Fatal(err)
	}
	inc.ID = 7
	inc.DeclaredServices(&declared, []string{"checkout"})
	added, _, err := inc.AddServices([]string{"checkout", "payments", "payments"}, "U2", at)
	if err != nil {
		t.Fatal(err)
	}
	removed, err := inc.RemoveServices([]string{"checkout"}, "U2", at)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	var services []string
	for _, e := range []muster.Entry{declared, {Kind: muster.EntryNote, Text: "Services affected: added x"}, added, removed} {
		services = muster.ServicesAfter(services, e)
		got = append(got, services)
	}
	want := [][]string{{"checkout"}, {"checkout"}, {"checkout", "payments"}, {"payments"}}
	if !slices.EqualFunc(got, want, slices.Equal) || !slices.Equal(inc.Services, []string{"payments"}) {
		t.Errorf("services after each entry %q, want %q; incident %q", got, want, inc.Services)
	}
	if _, _, err := inc.AddServices([]string{"payments"}, "U2", at); muster.ErrorCode(err) != muster.ECONFLICT {
		t.Errorf("adding again: %v", err)
	}
}
