package commands_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/commands"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		inRoom bool
		want   commands.Call
	}{
		{"empty is help", "", false, commands.Call{Verb: "help"}},
		{"only spaces is help", "   ", false, commands.Call{Verb: "help"}},
		{"verb lowercased", "DECLARE sev1 Checkout down", false,
			commands.Call{Verb: "declare", Args: []string{"sev1", "Checkout", "down"}, Rest: "sev1 Checkout down"}},
		{"leading incident word dropped", "incident declare Checkout", false,
			commands.Call{Verb: "declare", Args: []string{"Checkout"}, Rest: "Checkout"}},
		{"ref with prefix", "update INC-42 Rolled back", false,
			commands.Call{Verb: "update", Ref: 42, Args: []string{"Rolled", "back"}, Rest: "Rolled back"}},
		{"bare number outside a room is a ref", "update 42 Rolled back", false,
			commands.Call{Verb: "update", Ref: 42, Args: []string{"Rolled", "back"}, Rest: "Rolled back"}},
		{"bare number in a room is text", "update 42 hosts are down", true,
			commands.Call{Verb: "update", Args: []string{"42", "hosts", "are", "down"}, Rest: "42 hosts are down"}},
		{"INC ref in a room still counts", "show inc-7", true,
			commands.Call{Verb: "show", Ref: 7, Args: []string{}, Rest: ""}},
		{"rest keeps inner spacing and lines", "note  first line\n  second   line ", true,
			commands.Call{Verb: "note", Args: []string{"first", "line", "second", "line"}, Rest: "first line\n  second   line"}},
		{"control characters dropped", "note bell\x07 here", true,
			commands.Call{Verb: "note", Args: []string{"bell", "here"}, Rest: "bell here"}},
		{"zero is not a ref", "show 0", false,
			commands.Call{Verb: "show", Args: []string{"0"}, Rest: "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := commands.Parse(tt.text, tt.inRoom)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.text, err)
			}
			if got.Verb != tt.want.Verb || got.Ref != tt.want.Ref || got.Rest != tt.want.Rest ||
				strings.Join(got.Args, "|") != strings.Join(tt.want.Args, "|") {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.text, got, tt.want)
			}
		})
	}
}

func TestParseRejectsHugeText(t *testing.T) {
	_, err := commands.Parse("note "+strings.Repeat("x", commands.MaxText), true)
	if muster.ErrorCode(err) != muster.EINVALID {
		t.Fatalf("huge text: got %v, want an EINVALID error", err)
	}
}

// FuzzParse checks that no input makes the parser panic and that what it
// returns is consistent. Run longer with:
//
//	go test ./commands -run '^$' -fuzz FuzzParse -fuzztime 30s
func FuzzParse(f *testing.F) {
	for _, seed := range []string{"", "declare sev1 private Checkout down", "update INC-4 x", "action Fix it <@U1|al> due 2026-13-40 p9",
		"incident", "  \t\n", "role ic @", "snooze -5m", "\x00\xff\xfe", "update 99999999999999999999999 x", "note 🔥 é"} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, text string, inRoom bool) {
		c, err := commands.Parse(text, inRoom)
		if err != nil {
			if muster.ErrorCode(err) != muster.EINVALID {
				t.Fatalf("Parse(%q) failed with a non-user error: %v", text, err)
			}
			return
		}
		if c.Verb == "" {
			t.Fatalf("Parse(%q) returned no verb", text)
		}
		if c.Ref < 0 {
			t.Fatalf("Parse(%q) returned negative ref %d", text, c.Ref)
		}
		if utf8.ValidString(text) && !utf8.ValidString(c.Rest) {
			t.Fatalf("Parse(%q) produced invalid UTF-8 rest %q", text, c.Rest)
		}
	})
}
