package templates

import (
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

// Time layouts. Every time in a postmortem is in UTC, and says so.
const (
	stampLayout = "2006-01-02 15:04 UTC" // milestones, roles, updates
	rowLayout   = "2006-01-02 15:04:05"  // timeline rows, under a "(UTC)" header
	dayLayout   = "2006-01-02"           // due dates
)

const notReached = "not reached"

// stamp formats a milestone time, or "not reached" for the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return notReached
	}
	return t.UTC().Format(stampLayout)
}

// defaulted stamps a milestone that takes another's time when nobody
// gave it (set is the recorded value), saying so: a reviewer must see
// that "impact started at the declaration" was nobody's finding.
func defaulted(t, set time.Time, from string) string {
	if set.IsZero() {
		return stamp(t) + " (not recorded; taken as " + from + ")"
	}
	return stamp(t)
}

// duration formats a milestone duration, or "not reached" for zero.
func duration(d time.Duration) string {
	if d <= 0 {
		return notReached
	}
	return muster.FormatDuration(d)
}

// cell makes text safe inside a Markdown table cell: a pipe would end the
// cell and a newline the row.
func cell(s string) string {
	if !strings.ContainsAny(s, "|\\\r\n") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	writeCell(&b, s)
	return b.String()
}

// writeCell writes s escaped for a table cell: | as \|, a newline as
// <br>, and backslashes right before a pipe doubled, or they would escape
// the escape.
func writeCell(b *strings.Builder, s string) {
	for {
		i := strings.IndexAny(s, "|\\\r\n")
		if i < 0 {
			b.WriteString(s)
			return
		}
		b.WriteString(s[:i])
		switch s[i] {
		case '|':
			b.WriteString(`\|`)
		case '\\':
			j := i + 1
			for j < len(s) && s[j] == '\\' {
				j++
			}
			b.WriteString(s[i:j])
			if j < len(s) && s[j] == '|' {
				b.WriteString(s[i:j]) // doubled, so that the pipe's own escape holds
			}
			i = j - 1
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b.WriteString("<br>")
		case '\n':
			b.WriteString("<br>")
		}
		s = s[i+1:]
	}
}

// oneLine joins the lines of s with spaces, for headings and list labels.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return strings.TrimSpace(s)
	}
	return strings.Join(strings.Fields(s), " ")
}

// listItem indents the continuation lines of s so that a multi-line text
// stays inside its Markdown list item.
func listItem(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	return strings.ReplaceAll(s, "\n", "\n  ")
}

// namer turns user ids into display names, calling Data.Names at most
// once per id.
type namer struct {
	names func(id string) string
	cache map[string]string
}

// user is how a person appears in the draft: @name, or @id.
func (n *namer) user(id string) string {
	if id == "" {
		return "nobody"
	}
	if s, ok := n.cache[id]; ok {
		return s
	}
	s := id
	if n.names != nil {
		// A name is one line wherever it is shown: a line break in it
		// would end a list item or a table row.
		if name := strings.Join(strings.Fields(n.names(id)), " "); name != "" {
			s = name
		}
	}
	s = "@" + s
	n.cache[id] = s
	return s
}

// actor is who did a timeline entry; entries without one are the bot's.
func (n *namer) actor(id string) string {
	if id == "" {
		return "muster (bot)"
	}
	return n.user(id)
}

// text rewrites the <@ID> mentions of s as @name.
func (n *namer) text(s string) string {
	return muster.ReplaceMentions(s, n.user)
}

// writeCell writes s to b with mentions as @name, escaped for a table cell.
// The names go in before the escaping, not piece by piece: a name ending
// in a backslash next to an escaped pipe would otherwise turn the pipe's
// escape into an escaped backslash, and the pipe would end the cell.
func (n *namer) writeCell(b *strings.Builder, s string) {
	writeCell(b, n.text(s))
}
