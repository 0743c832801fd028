package suggest_test

import (
	"testing"

	"github.com/muster-bot/muster/internal/suggest"
)

func TestClosest(t *testing.T) {
	candidates := []string{"declare", "sev", "severity", "update", "update_every", "listen"}
	tests := []struct{ word, want string }{
		{"updte", "update"},
		{"UPDATE", "update"},
		{"update-every", "update_every"},
		{"updateEvery", "update_every"},
		{"sev9", "sev"},
		{"sevrity", "severity"},
		{"lisen", "listen"},
		{"frobnicate", ""},
		{"xy", ""},
	}
	for _, tt := range tests {
		if got := suggest.Closest(tt.word, candidates); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"same", "same", 0}} {
		if got := suggest.Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
