package commands

import (
	"strings"
	"unicode"

	"github.com/muster-bot/muster"
)

// MaxText is the longest command text accepted, in bytes. Slack caps
// message text near 40,000 characters; anything longer is a paste accident.
const MaxText = 8000

// Call is one parsed command line.
type Call struct {
	Verb string   // lowercased first word: "declare", "sev", "ic"
	Ref  int      // incident named explicitly (INC-42), 0 when none
	Args []string // the words after the verb and the reference
	Rest string   // the text after the verb and the reference, spacing kept
}

// Parse splits command text (what follows `/incident`) into a Call. A
// leading "incident" is dropped, so Teams' `@muster incident declare …`
// and `@muster declare …` read the same. An incident reference right after
// the verb is taken as the incident: `INC-42` anywhere, a bare `42` only
// outside a war room, where `update 42 hosts are down` would be ambiguous.
func Parse(text string, inRoom bool) (Call, error) {
	if len(text) > MaxText {
		return Call{}, muster.Errorf(muster.EINVALID, "That command is %d characters long; the limit is %d. Put long text in several notes.", len(text), MaxText)
	}
	text = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return -1 // control characters would corrupt rendered messages
		}
		return r
	}, text)
	fields := strings.Fields(text)
	skip := 0
	if len(fields) > 0 && strings.EqualFold(fields[0], "incident") {
		skip = 1
	}
	if len(fields) == skip {
		return Call{Verb: "help"}, nil
	}
	c := Call{Verb: strings.ToLower(fields[skip])}
	skip++
	// declare acts on no incident: a number after it is a severity
	// ("declare 1 DB down").
	if len(fields) > skip && c.Verb != "declare" && isRef(fields[skip], inRoom) {
		c.Ref, _ = muster.ParseRef(fields[skip])
		skip++
	}
	c.Args = fields[skip:]
	c.Rest = restAfter(text, skip)
	return c, nil
}

func isRef(word string, inRoom bool) bool {
	if _, ok := muster.ParseRef(word); !ok {
		return false
	}
	return !inRoom || len(word) > 4 && strings.EqualFold(word[:4], "INC-")
}

// restAfter returns s without its first n whitespace-separated words,
// keeping the spacing and line breaks of what remains.
func restAfter(s string, n int) string {
	for i := 0; i < n; i++ {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		end := strings.IndexFunc(s, unicode.IsSpace)
		if end < 0 {
			return ""
		}
		s = s[end:]
	}
	return strings.TrimSpace(s)
}

// userRef recognises a user mention: Slack's escaped <@U123> or
// <@U123|name>, or a plain @name as typed on the console and Teams.
func userRef(word string) (string, bool) {
	if strings.HasPrefix(word, "<@") && strings.HasSuffix(word, ">") {
		id, _, _ := strings.Cut(word[2:len(word)-1], "|")
		return id, id != ""
	}
	if strings.HasPrefix(word, "@") && len(word) > 1 {
		return strings.TrimRight(word[1:], ".,;:!?"), true
	}
	return "", false
}
