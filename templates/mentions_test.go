package templates_test

import (
	"testing"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/templates"
)

var mentionCases = []string{
	"",
	"no mention",
	"<@U1>",
	"hi <@U1> and <@U2|bob>!",
	"<@U1|>",
	"<@>",
	"<@|x>",
	"<@U1",
	"<@U1|never closed",
	"<<@U1>>",
	"<@<@U1>",
	"<@U1 with spaces>",
	"<@U1\nsplit>",
	"a | b <@U1|x|y> c",
	"<@U1|a<@U2>",
	"<@\xff\xfe>",
	"<@@>",
}

func TestReplaceMentionsMatchesDomain(t *testing.T) {
	for _, s := range mentionCases {
		checkMentions(t, s)
	}
}

// FuzzReplaceMentions: go test -fuzz FuzzReplaceMentions ./templates/
func FuzzReplaceMentions(f *testing.F) {
	for _, s := range mentionCases {
		f.Add(s)
	}
	f.Fuzz(checkMentions)
}

func checkMentions(t *testing.T, s string) {
	t.Helper()
	at := func(id string) string { return "[" + id + "]" }
	if got, want := templates.ReplaceMentions(s, at), muster.ReplaceMentions(s, at); got != want {
		t.Errorf("ReplaceMentions(%q) = %q, muster.ReplaceMentions gives %q", s, got, want)
	}
}
