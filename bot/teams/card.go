package teams

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/muster-bot/muster"
)

// Adaptive Card rendering. Names here start with "card" because other
// files of the package are written separately.

const (
	cardContentType = "application/vnd.microsoft.card.adaptive"
	cardSchema      = "http://adaptivecards.io/schemas/adaptive-card.json"
	cardVersion     = "1.4"

	// cardMaxBytes is the budget for the card content as JSON. Teams
	// refuses a message over about 28 KB; the rest is left for the
	// activity around the card and the mention entities the sender adds.
	cardMaxBytes = 25 * 1024
	// cardMaxActions is how many actions one ActionSet gets: Teams desktop
	// shows no more than six side by side.
	cardMaxActions = 6
	// Caps that keep the fitting loop short; what is over them counts as
	// "more not shown".
	cardMaxFacts   = 100
	cardMaxButtons = 30
	cardMaxMenus   = 10
	cardMaxOptions = 100
	// Lengths in runes.
	cardMaxTitle     = 500
	cardMaxFactTitle = 200
	cardMaxFactValue = 2000
	cardMaxFooter    = 2000
	cardMaxLabel     = 100 // action titles, placeholders and choice titles
	cardMaxSummary   = 300

	cardTruncated    = "… (truncated)"
	cardEllipsis     = "…"
	cardMoreNotShown = "… more not shown"
)

// Keys of an Action.Submit's data. Teams sends data back as the message's
// value, merged with every input of the card keyed by the input's id.
const (
	cardKeyAction   = "muster"   // the muster action: "role ic", "status INC-4"
	cardKeyIncident = "incident" // a button's Value, usually the incident ref
	cardKeyInput    = "input"    // a menu's input id, "choice-1"
	cardInputPrefix = "choice-"
)

// card renders a message as an Adaptive Card 1.4 and gives the plain-text
// summary Teams shows in notifications.
//
// Title becomes a bold medium TextBlock; Text a wrapped TextBlock; Fields a
// FactSet; Buttons ActionSets of at most six Action.Submit (style
// "positive" for primary, "destructive" for danger) whose data is
// {"muster": action, "incident": value}; each menu a ColumnSet of a compact
// Input.ChoiceSet (id "choice-<n>", n counting menus from 1, value the
// selected option) and an Action.Submit "Set <Label>" whose data is
// {"muster": "<action> <incident>", "input": "choice-<n>"}; Footer a small
// subtle TextBlock. File is left to the sender, and so is Thread.
//
// Mention markup (<at>) that came with the text is taken out first (see
// cardDefuse); then <@ID> becomes mention(id) in the title, the text, fact values and the
// footer (with a nil mention, "@ID"), mention being called once per user;
// in fact titles, action titles and
// choices, which Teams shows as plain text, it becomes mention(id) without
// <at> tags. Lines are joined with a blank line, which is how a TextBlock
// shows a line break, except between list items.
//
// Too long: the title, a fact, the footer end in "… (truncated)", action
// titles and choices in "…". A card whose JSON is over the budget loses
// text from the end (down to nothing but "… (truncated)"), then facts, the
// footer, menus and buttons, and ends with "… more not shown". Cuts never
// split an <at>…</at>. Buttons and menus without an action, menus without
// options, repeated options and anything not valid UTF-8 in what comes back
// on a click are left out.
func card(m muster.Message, mention func(id string) string) (summary string, content map[string]any) {
	if mention == nil {
		mention = func(id string) string { return "@" + id }
	}
	// The sender's mention collects an entity per call: ask once per user.
	asked := map[string]string{}
	ask := mention
	mention = func(id string) string {
		s, ok := asked[id]
		if !ok {
			s = ask(id)
			asked[id] = s
		}
		return s
	}
	plainMention := func(id string) string { return cardStripAt(mention(id)) }
	p := cardParts{
		title:  cardClip(cardLines(muster.ReplaceMentions(cardDefuse(m.Title), mention)), cardMaxTitle, cardTruncated),
		text:   cardLines(muster.ReplaceMentions(cardLinks(cardDefuse(m.Text)), mention)),
		footer: cardClip(cardLines(muster.ReplaceMentions(cardLinks(cardDefuse(m.Footer)), mention)), cardMaxFooter, cardTruncated),
	}
	for _, f := range m.Fields {
		title := cardClip(strings.Join(strings.Fields(muster.ReplaceMentions(cardDefuse(f.Label), plainMention)), " "), cardMaxFactTitle, cardTruncated)
		value := cardClip(cardLines(muster.ReplaceMentions(cardLinks(cardDefuse(f.Value)), mention)), cardMaxFactValue, cardTruncated)
		if title == "" && value == "" {
			continue
		}
		if value == "" {
			value = "—"
		}
		p.facts = append(p.facts, map[string]any{"title": title, "value": value})
	}
	for _, b := range m.Buttons {
		if a, ok := cardButton(b, plainMention); ok {
			p.buttons = append(p.buttons, a)
		}
	}
	for i, mn := range m.Menus {
		if c, ok := cardMenu(mn, i+1, plainMention); ok {
			p.menus = append(p.menus, c)
		}
	}
	if len(p.facts) > cardMaxFacts {
		p.facts, p.more = p.facts[:cardMaxFacts], true
	}
	if len(p.buttons) > cardMaxButtons {
		p.buttons, p.more = p.buttons[:cardMaxButtons], true
	}
	if len(p.menus) > cardMaxMenus {
		p.menus, p.more = p.menus[:cardMaxMenus], true
	}
	return cardSummary(m, plainMention), p.fit()
}

// cardParts is a card before it is fitted into the size budget.
type cardParts struct {
	title, text, footer string
	textCut, more       bool
	facts               []any
	buttons             []any // Action.Submit
	menus               []any // ColumnSet
}

func (p *cardParts) fit() map[string]any {
	for {
		c := p.build()
		b, err := json.Marshal(c)
		over := len(b) - cardMaxBytes
		if err != nil || over <= 0 {
			return c
		}
		switch {
		case p.text != "":
			// JSON is never shorter than the text it encodes, so cutting
			// over bytes of text saves at least over bytes of JSON.
			n := len(p.text) - over
			if !p.textCut {
				n -= len(cardTruncated) + 8
			}
			p.text, p.textCut = cardCut(p.text, n), true
		case len(p.facts) > 0:
			p.facts, p.more = p.facts[:len(p.facts)-1], true
		case p.footer != "":
			p.footer, p.more = "", true
		case len(p.menus) > 0:
			p.menus, p.more = p.menus[:len(p.menus)-1], true
		case len(p.buttons) > 0:
			p.buttons, p.more = p.buttons[:len(p.buttons)-1], true
		default:
			return c // the title alone always fits
		}
	}
}

func (p *cardParts) build() map[string]any {
	body := []any{}
	if p.title != "" {
		body = append(body, map[string]any{"type": "TextBlock", "text": p.title, "size": "Medium", "weight": "Bolder", "wrap": true})
	}
	if text := p.text; text != "" || p.textCut {
		if p.textCut {
			text = strings.TrimSpace(text + " " + cardTruncated)
		}
		body = append(body, map[string]any{"type": "TextBlock", "text": text, "wrap": true})
	}
	if len(p.facts) > 0 {
		body = append(body, map[string]any{"type": "FactSet", "facts": p.facts})
	}
	for rest := p.buttons; len(rest) > 0; {
		n := min(len(rest), cardMaxActions)
		body = append(body, map[string]any{"type": "ActionSet", "actions": rest[:n:n]})
		rest = rest[n:]
	}
	body = append(body, p.menus...)
	if p.footer != "" {
		body = append(body, map[string]any{"type": "TextBlock", "text": p.footer, "size": "Small", "isSubtle": true, "wrap": true})
	}
	if p.more {
		body = append(body, map[string]any{"type": "TextBlock", "text": cardMoreNotShown, "size": "Small", "isSubtle": true, "wrap": true})
	}
	return map[string]any{
		"type":    "AdaptiveCard",
		"$schema": cardSchema,
		"version": cardVersion,
		"body":    body,
	}
}

func cardButton(b muster.Button, plainMention func(string) string) (map[string]any, bool) {
	if strings.TrimSpace(b.Action) == "" || !utf8.ValidString(b.Action+b.Value) {
		return nil, false
	}
	title := cardLabel(muster.ReplaceMentions(b.Label, plainMention))
	if title == "" {
		title = cardLabel(b.Action)
	}
	a := map[string]any{
		"type":  "Action.Submit",
		"title": title,
		"data":  map[string]any{cardKeyAction: b.Action, cardKeyIncident: b.Value},
	}
	switch b.Style {
	case "primary":
		a["style"] = "positive"
	case "danger":
		a["style"] = "destructive"
	}
	return a, true
}

func cardMenu(m muster.Menu, n int, plainMention func(string) string) (map[string]any, bool) {
	action := strings.TrimSpace(strings.TrimSpace(m.Action) + " " + strings.TrimSpace(m.Incident))
	if strings.TrimSpace(m.Action) == "" || !utf8.ValidString(action) {
		return nil, false
	}
	id := cardInputPrefix + strconv.Itoa(n)
	var choices []any
	seen := map[string]bool{}
	selected := ""
	for _, o := range m.Options {
		if seen[o] || strings.TrimSpace(o) == "" || !utf8.ValidString(o) {
			continue
		}
		seen[o] = true
		choices = append(choices, map[string]any{"title": cardLabel(o), "value": o})
		if o == m.Selected {
			selected = o
		}
		if len(choices) == cardMaxOptions {
			break
		}
	}
	if len(choices) == 0 {
		return nil, false
	}
	label := cardLabel(muster.ReplaceMentions(m.Label, plainMention))
	input := map[string]any{"type": "Input.ChoiceSet", "id": id, "style": "compact", "choices": choices}
	if label != "" {
		input["placeholder"] = label
	}
	if selected != "" {
		input["value"] = selected
	}
	submit := map[string]any{
		"type":  "Action.Submit",
		"title": strings.TrimSpace("Set " + label),
		"data":  map[string]any{cardKeyAction: action, cardKeyInput: id},
	}
	return map[string]any{
		"type": "ColumnSet",
		"columns": []any{
			map[string]any{"type": "Column", "width": "stretch", "items": []any{input}},
			map[string]any{"type": "Column", "width": "auto", "verticalContentAlignment": "Center", "items": []any{
				map[string]any{"type": "ActionSet", "actions": []any{submit}},
			}},
		},
	}, true
}

// actionFromValue reads the value of an inbound Action.Submit. For a
// button it gives the muster action and the button's value (the incident
// ref); for a menu the action with its incident ("status INC-4") and the
// option chosen in the menu's input. Anything else, of any shape, gives
// ok false.
func actionFromValue(value map[string]any) (action, argument string, ok bool) {
	action, ok = value[cardKeyAction].(string)
	if !ok || strings.TrimSpace(action) == "" {
		return "", "", false
	}
	if raw, isMenu := value[cardKeyInput]; isMenu {
		id, ok := raw.(string)
		if !ok || !strings.HasPrefix(id, cardInputPrefix) {
			return "", "", false
		}
		return cardChoice(action, value[id])
	}
	if raw, isButton := value[cardKeyIncident]; isButton {
		incident, ok := raw.(string)
		if !ok {
			return "", "", false
		}
		return action, incident, true
	}
	// Data without an input id: accept a single choice input.
	var found any
	n := 0
	for k, v := range value {
		if strings.HasPrefix(k, cardInputPrefix) {
			found, n = v, n+1
		}
	}
	if n != 1 {
		return "", "", false
	}
	return cardChoice(action, found)
}

func cardChoice(action string, v any) (string, string, bool) {
	choice, ok := v.(string)
	if !ok || strings.TrimSpace(choice) == "" {
		return "", "", false
	}
	return action, choice, true
}

// cardSummary is the notification text: the first of the title, the text,
// the file's title or name, the fields and the footer that is not empty,
// on one line, without backticks, mentions as names.
func cardSummary(m muster.Message, plainMention func(string) string) string {
	s := strings.ReplaceAll(muster.ReplaceMentions(cardDefuse(m.Headline()), plainMention), "`", "")
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "")), " ")
	return cardClip(s, cardMaxSummary, cardEllipsis)
}

// cardLines makes line breaks show in a TextBlock: Teams needs a blank
// line between lines, except between list items.
func cardLines(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	var out strings.Builder
	prevItem := false
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, " \t")
		if strings.TrimSpace(line) == "" {
			continue
		}
		item := cardListItem(line)
		if out.Len() > 0 {
			if item && prevItem {
				out.WriteString("\n")
			} else {
				out.WriteString("\n\n")
			}
		}
		out.WriteString(line)
		prevItem = item
	}
	return out.String()
}

func cardListItem(line string) bool {
	line = strings.TrimLeft(line, " \t")
	if strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "* ") || strings.HasPrefix(line, "+ ") {
		return true
	}
	digits := len(line) - len(strings.TrimLeft(line, "0123456789"))
	return digits > 0 && strings.HasPrefix(line[digits:], ". ")
}

// cardLabel is a one-line plain label of at most cardMaxLabel runes.
func cardLabel(s string) string {
	return cardClip(strings.Join(strings.Fields(cardDefuse(s)), " "), cardMaxLabel, cardEllipsis)
}

var (
	cardAtOpen  = regexp.MustCompile(`(?i)<at(?:\s[^<>]*)?>`)
	cardAtClose = regexp.MustCompile(`(?i)</at\s*>`)
)

// cardDefuse takes Teams' mention markup out of text that came from people,
// forms or alerts: <at>Name</at> becomes "@Name". A mention in a card is
// live when the activity carries an entity with the same text, and mentions
// of a channel or a team notify everyone in it, so <at> is left only to
// the mentions muster makes (muster.Mention, turned into <at> by the
// sender's mention function after this has run).
func cardDefuse(s string) string {
	if strings.IndexByte(s, '<') < 0 {
		return s
	}
	return cardAtClose.ReplaceAllString(cardAtOpen.ReplaceAllString(s, "@"), "")
}

// cardClip shortens s to at most max runes, marker included.
func cardClip(s string, max int, marker string) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	keep := max - utf8.RuneCountInString(marker)
	if marker == cardTruncated {
		keep-- // the space before it
	}
	i := 0
	for n := 0; n < keep; n++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	s = strings.TrimRight(cardCut(s, i), " \t\n")
	if marker == cardTruncated && s != "" {
		return s + " " + marker
	}
	return s + marker
}

// cardCut cuts s to at most n bytes, on a rune boundary and not inside an
// <at>…</at> mention.
func cardCut(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if n >= len(s) {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	s = s[:n]
	if open := strings.LastIndex(s, "<at>"); open >= 0 && strings.LastIndex(s, "</at>") < open {
		s = s[:open]
	}
	return strings.TrimRight(s, " \t\n")
}

// cardStripAt turns "<at>Name</at>" into "Name".
func cardStripAt(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "<at>", ""), "</at>", "")
}

// cardLinks writes links as Markdown, which Teams' TextBlocks and facts
// render.
func cardLinks(s string) string {
	return muster.ReplaceLinks(s, func(url, title string) string { return "[" + title + "](" + url + ")" })
}
