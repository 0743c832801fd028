package console

import (
	"fmt"
	"strings"

	"github.com/muster-bot/muster"
)

// render turns a message into the text the console prints. buttons are
// m's buttons with the key that `:press` takes for each.
func render(m muster.Message, buttons []keyed) string {
	var b strings.Builder
	line := func(indent, s string) {
		for _, l := range strings.Split(s, "\n") {
			b.WriteString(indent + l + "\n")
		}
	}
	if m.Title != "" {
		line("", mentions(m.Title))
	}
	if m.Text != "" {
		indent := "  "
		if m.Title == "" {
			indent = ""
		}
		line(indent, mentions(m.Text))
	}
	for _, f := range m.Fields {
		line("  ", fmt.Sprintf("%s: %s", f.Label, mentions(f.Value)))
	}
	if len(buttons) > 0 {
		var keys []string
		for _, btn := range buttons {
			keys = append(keys, fmt.Sprintf("[%s] %s", btn.key, btn.Label))
		}
		line("  ", "Buttons: "+strings.Join(keys, "  ")+"   (press with `:press <key>`)")
	}
	for _, menu := range m.Menus {
		var opts []string
		for _, o := range menu.Options {
			if o == menu.Selected {
				o = "(" + o + ")"
			}
			opts = append(opts, o)
		}
		line("  ", fmt.Sprintf("%s: %s   (change with `/incident %s <choice>`)", menu.Label, strings.Join(opts, " "), menu.Action))
	}
	if m.Footer != "" {
		line("  ", mentions(m.Footer))
	}
	if m.File != nil {
		line("  ", fmt.Sprintf("📎 %s (%d bytes):", m.File.Name, len(m.File.Content)))
		line("  │ ", strings.TrimRight(mentions(string(m.File.Content)), "\n"))
	}
	return strings.TrimRight(b.String(), "\n")
}

// mentions shows <@alex> as @alex, the way console users type names, and
// links as "title (url)". It also spells the help hints the way the
// console takes them: every command there starts with /incident.
func mentions(s string) string {
	s = muster.ReplaceLinks(s, func(url, title string) string { return title + " (" + url + ")" })
	s = helpHints(s)
	return muster.ReplaceMentions(s, func(id string) string { return "@" + id })
}

// helpHints turns "`help`" and "`help <command>`" into "`/incident help…`".
// Chat platforms take a bare verb after their own prefix; on the console
// the same words typed alone would be said in the room.
func helpHints(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "`help")
		if i < 0 {
			break
		}
		end := i + len("`help")
		b.WriteString(s[:i])
		if end == len(s) || s[end] == '`' || s[end] == ' ' {
			b.WriteString("`/incident help")
		} else {
			b.WriteString("`help") // `helpful`: another word
		}
		s = s[end:]
	}
	b.WriteString(s)
	return b.String()
}

// pick finds a button by its key or its label, case-insensitively.
func pick(buttons []keyed, key string) (muster.Button, bool) {
	for _, btn := range buttons {
		if key == btn.key || strings.EqualFold(key, btn.Label) {
			return btn.Button, true
		}
	}
	return muster.Button{}, false
}
