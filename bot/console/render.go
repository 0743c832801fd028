package console

import (
	"fmt"
	"strings"

	"github.com/muster-bot/muster"
)

// render turns a message into the text the console prints. Buttons carry
// the key that `:press` takes.
func render(m muster.Message) string {
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
	if len(m.Buttons) > 0 {
		var keys []string
		for i, btn := range m.Buttons {
			keys = append(keys, fmt.Sprintf("[%d] %s", i+1, btn.Label))
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
// links as "title (url)".
func mentions(s string) string {
	s = muster.ReplaceLinks(s, func(url, title string) string { return title + " (" + url + ")" })
	return muster.ReplaceMentions(s, func(id string) string { return "@" + id })
}

// pick finds a button by its key (1, 2, …) or its label, case-insensitively.
func pick(buttons []muster.Button, key string) (muster.Button, bool) {
	for i, btn := range buttons {
		if key == fmt.Sprint(i+1) || strings.EqualFold(key, btn.Label) {
			return btn, true
		}
	}
	return muster.Button{}, false
}
