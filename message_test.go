package muster_test

import (
	"testing"

	"github.com/muster-bot/muster"
)

func TestReplaceMentions(t *testing.T) {
	at := func(id string) string { return "[" + id + "]" }
	for _, c := range []struct{ name, in, want string }{
		{"empty", "", ""},
		{"no mention", "no mention", "no mention"},
		{"bare", "<@U1>", "[U1]"},
		{"labelled", "hi <@U1> and <@U2|bob>!", "hi [U1] and [U2]!"},
		{"empty label", "<@U1|>", "[U1]"},
		{"empty id", "<@>", "<@>"},
		{"empty id with label", "<@|x>", "<@|x>"},
		{"not closed", "<@U1", "<@U1"},
		{"label not closed", "<@U1|never closed", "<@U1|never closed"},
		{"inside brackets", "<<@U1>>", "<[U1]>"},
		{"nested opening", "<@<@U1>", "[<@U1]"},
		{"id with spaces", "<@U1 with spaces>", "[U1 with spaces]"},
		{"pipe in label", "a | b <@U1|x|y> c", "a | b [U1] c"},
		{"mention in label", "<@U1|a<@U2>", "[U1]"},
		{"at sign id", "<@@>", "[@]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := muster.ReplaceMentions(c.in, at); got != c.want {
				t.Errorf("ReplaceMentions(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
