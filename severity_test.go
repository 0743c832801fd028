package muster_test

import (
	"strings"
	"testing"

	"github.com/muster-bot/muster"
)

// aliased is the default ladder with the aliases people configure.
func aliased() muster.Severities {
	ladder := muster.DefaultSeverities()
	ladder[0].Aliases = []string{"p1", "critical"}
	ladder[1].Aliases = []string{"P2"}
	return ladder
}

func TestSeverityFind(t *testing.T) {
	ladder := aliased()
	for _, tc := range []struct {
		word string
		want string // "" for no match
	}{
		{"SEV1", "SEV1"}, {"sev1", "SEV1"}, {"Sev2", "SEV2"},
		{"sev-1", "SEV1"}, {"SEV_3", "SEV3"}, {"sev 4", "SEV4"},
		{"1", "SEV1"}, {"4", "SEV4"},
		{"p1", "SEV1"}, {"P-1", "SEV1"}, {"CRITICAL", "SEV1"}, {"p2", "SEV2"},
		{"5", ""}, {"sev9", ""}, {"p9", ""}, {"p3", ""}, {"", ""}, {"-", ""}, {"sev", ""}, {"Seven", ""},
	} {
		sev, rank, ok := ladder.Find(tc.word)
		if ok != (tc.want != "") || sev.Name != tc.want {
			t.Errorf("Find(%q) = %q, %v; want %q", tc.word, sev.Name, ok, tc.want)
		}
		if ok && ladder[rank].Name != sev.Name {
			t.Errorf("Find(%q): rank %d is %s, not %s", tc.word, rank, ladder[rank].Name, sev.Name)
		}
	}
}

// TestSeverityFindNumberAmbiguous: a number two names end in names neither.
func TestSeverityFindNumberAmbiguous(t *testing.T) {
	ladder := muster.Severities{{Name: "SEV1"}, {Name: "P1"}}
	if sev, _, ok := ladder.Find("1"); ok {
		t.Errorf(`Find("1") = %s, want no match: SEV1 and P1 both end in 1`, sev.Name)
	}
	if sev, _, ok := ladder.Find("p1"); !ok || sev.Name != "P1" {
		t.Errorf(`Find("p1") = %s, %v; want P1`, sev.Name, ok)
	}
}

func TestSeverityFindWords(t *testing.T) {
	ladder := aliased()
	for _, tc := range []struct {
		words string
		want  string
		n     int
	}{
		{"sev 1 DB down", "SEV1", 2},
		{"SEV 2 x", "SEV2", 2},
		{"sev1 DB down", "SEV1", 1},
		{"1 node down", "SEV1", 1},
		{"critical DB down", "SEV1", 1},
		{"sev DB down", "", 0},
		{"Seven pods crashlooping", "", 0},
		{"p99 latency", "", 0},
		{"", "", 0},
	} {
		sev, _, n, ok := ladder.FindWords(strings.Fields(tc.words))
		if ok != (tc.want != "") || sev.Name != tc.want || n != tc.n {
			t.Errorf("FindWords(%q) = %q, %d, %v; want %q, %d", tc.words, sev.Name, n, ok, tc.want, tc.n)
		}
	}
}

func TestSeverityLooksLike(t *testing.T) {
	ladder := aliased()
	for _, words := range []string{"sev9 x", "SEV 9 x", "sev x", "p9 DB down", "P0 x", "9 x", "sev-10 x"} {
		if !ladder.LooksLike(strings.Fields(words)) {
			t.Errorf("LooksLike(%q) = false, want true", words)
		}
	}
	for _, words := range []string{"Seven pods crashlooping", "Private registry unreachable", "p99 latency", "500s on checkout", "12 nodes down", "DB down", "Severe lag", ""} {
		if ladder.LooksLike(strings.Fields(words)) {
			t.Errorf("LooksLike(%q) = true, want false", words)
		}
	}
	// A configured name's letters with a digit look like a severity too.
	custom := muster.Severities{{Name: "INC1"}, {Name: "INC2"}}
	if !custom.LooksLike([]string{"inc3", "x"}) {
		t.Error(`LooksLike("inc3") = false with INC1 and INC2 configured, want true`)
	}
}

func TestSeverityChoices(t *testing.T) {
	if got, want := aliased().Choices(), "SEV1 (p1, critical), SEV2 (P2), SEV3, SEV4"; got != want {
		t.Errorf("Choices() = %q, want %q", got, want)
	}
	if got, want := muster.DefaultSeverities().Choices(), "SEV1, SEV2, SEV3, SEV4"; got != want {
		t.Errorf("Choices() = %q, want %q", got, want)
	}
}
