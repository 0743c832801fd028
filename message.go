package muster

import (
	"fmt"
	"regexp"
	"strings"
)

// Message is what the bot posts, in a form every platform can render:
// Slack as Block Kit, Teams as an Adaptive Card, the console as text.
// Text may mention users as <@ID>; each renderer turns that into its own
// mention syntax.
type Message struct {
	Title   string   `json:"title,omitempty"`
	Text    string   `json:"text,omitempty"`
	Fields  []Field  `json:"fields,omitempty"`
	Buttons []Button `json:"buttons,omitempty"`
	Menus   []Menu   `json:"menus,omitempty"`
	Footer  string   `json:"footer,omitempty"`
	File    *File    `json:"file,omitempty"`
	// Thread, when set, posts the message as a reply to that message id.
	Thread string `json:"thread,omitempty"`
}

// Field is a labelled value shown in a summary.
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Button asks for one click. Action names what the click does ("role"),
// Value carries its argument ("INC-42 ic"); both come back in an Event.
type Button struct {
	Label  string `json:"label"`
	Action string `json:"action"`
	Value  string `json:"value"`
	Style  string `json:"style,omitempty"` // "primary" or "danger"
}

// Menu is a single-choice select whose choice comes back as an Event.
type Menu struct {
	Label    string   `json:"label"`
	Action   string   `json:"action"`
	Incident string   `json:"incident"`
	Options  []string `json:"options"`
	Selected string   `json:"selected,omitempty"`
}

// File is an attachment, such as the postmortem draft in Markdown.
type File struct {
	Name    string `json:"name"`
	Title   string `json:"title"`
	Content []byte `json:"content"`
}

// Mention returns the neutral mention markup for a user id.
func Mention(user string) string {
	if user == "" {
		return "nobody"
	}
	return fmt.Sprintf("<@%s>", user)
}

var mentionRE = regexp.MustCompile(`<@([^>|]+)(?:\|[^>]*)?>`)

// ReplaceMentions rewrites every <@ID> and <@ID|label> in text with f(ID).
// Renderers use it to produce their platform's mention syntax, and the
// postmortem draft to show names. It is the one mention parser: a second
// one would have to be kept equal to it.
func ReplaceMentions(text string, f func(id string) string) string {
	if !strings.Contains(text, "<@") {
		return text // most text mentions nobody
	}
	return mentionRE.ReplaceAllStringFunc(text, func(m string) string {
		return f(mentionRE.FindStringSubmatch(m)[1])
	})
}

// Headline is the one thing to show where a message must be short (a
// notification, a push preview): the first of its title, text, file title
// or name, fields ("Label: Value · …") and footer that is not empty.
func (m Message) Headline() string {
	candidates := []string{m.Title, m.Text}
	if m.File != nil {
		candidates = append(candidates, m.File.Title, m.File.Name)
	}
	var fields []string
	for _, f := range m.Fields {
		if s := strings.TrimSpace(strings.TrimSpace(f.Label) + ": " + strings.TrimSpace(f.Value)); s != ":" {
			fields = append(fields, s)
		}
	}
	candidates = append(candidates, strings.Join(fields, " · "), m.Footer)
	for _, s := range candidates {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// Link returns the neutral link markup, <url|title>, which is also Slack's;
// other renderers rewrite it with ReplaceLinks.
func Link(url, title string) string { return "<" + url + "|" + title + ">" }

var linkRE = regexp.MustCompile(`<(https?://[^\s<>|]+)\|([^<>]*)>`)

// ReplaceLinks rewrites every <url|title> in text with f(url, title).
func ReplaceLinks(text string, f func(url, title string) string) string {
	return linkRE.ReplaceAllStringFunc(text, func(m string) string {
		p := linkRE.FindStringSubmatch(m)
		return f(p[1], p[2])
	})
}
