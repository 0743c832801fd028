package slack

import (
	"strconv"
	"strings"
	"unicode/utf8"

	goslack "github.com/slack-go/slack"

	"github.com/muster-bot/muster"
)

// Block Kit limits (research/platform-facts.md §7). Slack does not say how
// it counts characters, so lengths are counted in UTF-16 code units: never
// fewer than the runes slack-go's Validate counts.
const (
	maxBlocks      = 50
	maxHeader      = 150
	maxSectionText = 3000
	maxFields      = 10 // per section
	maxFieldText   = 2000
	maxElements    = 25 // per actions block
	maxButtonText  = 75
	maxButtonValue = 2000
	maxOptions     = 100
	maxOptionText  = 75
	maxOptionValue = 150
	maxPlaceholder = 150
	maxContextText = 2000
	maxActionID    = 255
	maxFallback    = 3000
	// maxSequence is the longest Slack control sequence (<@U1>, <https://…|label>),
	// in bytes once escaped, that passes through; a longer one is escaped and
	// shows as typed. cuttable looks this far back.
	maxSequence = 500
)

const (
	truncated    = "… (truncated)"
	ellipsis     = "…"
	moreNotShown = "… more not shown"
)

// render turns a message into Block Kit blocks plus the plain-text fallback
// Slack shows in notifications.
//
// Title becomes a header; Text one or more mrkdwn sections (a long text is
// split, 3000 characters a section, after a line break or a space); Fields
// sections of at most ten "*Label*\nValue" fields; Buttons, then Menus,
// actions blocks of at most 25 elements; Footer a context block. File is
// uploaded by the sender and Thread is the sender's business; the file's
// title is only the fallback of a message with no title and no text.
//
// Too long: a field, the footer and the fallback end in "… (truncated)", a
// header, button or option text in "…". A message that needs more than 50
// blocks loses text sections from the end (down to one), then field
// sections (down to one), the footer, controls and finally the rest, and
// ends with a "… more not shown" block. Controls Slack would refuse or
// could not give back intact (an action_id over 255 characters, a button
// value over 2000, an option over 150) are left out, as are empty texts,
// menus without options and repeated options. No block_id is set: Slack
// makes fresh ones, as it asks for when a message such as the war-room
// header is updated in place.
func render(m muster.Message) (fallback string, blocks []goslack.Block) {
	var title, text, footer []goslack.Block
	if t := plain(m.Title, maxHeader); t != "" {
		title = append(title, goslack.NewHeaderBlock(plainText(t)))
	}
	for _, chunk := range split(escape(m.Text), maxSectionText, maxBlocks) {
		text = append(text, goslack.NewSectionBlock(mrkdwn(chunk), nil, nil))
	}
	if f := clip(escape(m.Footer), maxContextText); f != "" {
		footer = append(footer, goslack.NewContextBlock("", mrkdwn(f)))
	}
	return fallbackText(m), fit(title, text, fieldBlocks(m.Fields), controlBlocks(m.Buttons, m.Menus), footer)
}

// fit keeps a message within Slack's block limit; see render.
func fit(title, text, fields, controls, footer []goslack.Block) []goslack.Block {
	over := len(title) + len(text) + len(fields) + len(controls) + len(footer) - maxBlocks
	cutting := over > 0
	if cutting {
		over++ // room for the "more not shown" block
		cut := func(b *[]goslack.Block, keep int) {
			if n := min(over, len(*b)-keep); n > 0 {
				*b, over = (*b)[:len(*b)-n], over-n
			}
		}
		cut(&text, 1)
		cut(&fields, 1)
		cut(&footer, 0)
		cut(&controls, 0)
		cut(&text, 0)
		cut(&fields, 0)
	}
	blocks := append(append(append(append(title, text...), fields...), controls...), footer...)
	if cutting {
		blocks = append(blocks, goslack.NewContextBlock("", mrkdwn(moreNotShown)))
	}
	return blocks
}

func fieldBlocks(fields []muster.Field) []goslack.Block {
	var blocks []goslack.Block
	var row []*goslack.TextBlockObject
	flush := func() {
		if len(row) > 0 {
			blocks = append(blocks, goslack.NewSectionBlock(nil, row, nil))
			row = nil
		}
	}
	for _, f := range fields {
		label := strings.Join(strings.Fields(escape(f.Label)), " ")
		value := escape(f.Value)
		switch {
		case label != "" && strings.TrimSpace(value) != "":
			value = "*" + label + "*\n" + value
		case label != "":
			value = "*" + label + "*"
		}
		if value = clip(value, maxFieldText); value == "" {
			continue
		}
		row = append(row, mrkdwn(value))
		if len(row) == maxFields {
			flush()
		}
	}
	flush()
	return blocks
}

// controlBlocks puts the buttons, then the menus, into actions blocks. A
// control's index for actionID counts buttons and menus together.
func controlBlocks(buttons []muster.Button, menus []muster.Menu) []goslack.Block {
	var btns, sels []goslack.BlockElement
	for i, b := range buttons {
		if e, ok := button(b, i); ok {
			btns = append(btns, e)
		}
	}
	for i, m := range menus {
		if e, ok := menu(m, len(buttons)+i); ok {
			sels = append(sels, e)
		}
	}
	var blocks []goslack.Block
	for _, elems := range [][]goslack.BlockElement{btns, sels} {
		for len(elems) > 0 {
			n := min(len(elems), maxElements)
			blocks = append(blocks, goslack.NewActionBlock("", elems[:n]...))
			elems = elems[n:]
		}
	}
	return blocks
}

func button(b muster.Button, i int) (*goslack.ButtonBlockElement, bool) {
	id := actionID(b.Action, i)
	label := plain(b.Label, maxButtonText)
	if label == "" {
		label = plain(b.Action, maxButtonText)
	}
	if label == "" || len(id) > maxActionID || size(b.Value) > maxButtonValue || !utf8.ValidString(id+b.Value) {
		return nil, false
	}
	e := goslack.NewButtonBlockElement(id, b.Value, plainText(label))
	if b.Style == "primary" || b.Style == "danger" {
		e.Style = goslack.Style(b.Style)
	}
	return e, true
}

// menu is a static select. Option values are the options themselves, which
// come back as the event's Value.
func menu(m muster.Menu, i int) (*goslack.SelectBlockElement, bool) {
	action := m.Action
	if m.Incident != "" {
		action += " " + m.Incident
	}
	id := actionID(action, i)
	if len(id) > maxActionID || !utf8.ValidString(id) {
		return nil, false
	}
	var options []*goslack.OptionBlockObject
	var initial *goslack.OptionBlockObject
	seen := map[string]bool{}
	for _, o := range m.Options {
		if seen[o] || size(o) > maxOptionValue || !utf8.ValidString(o) {
			continue
		}
		text := plain(o, maxOptionText)
		if text == "" {
			continue
		}
		seen[o] = true
		opt := goslack.NewOptionBlockObject(o, plainText(text), nil)
		options = append(options, opt)
		if o == m.Selected {
			initial = opt
		}
		if len(options) == maxOptions {
			break
		}
	}
	if len(options) == 0 {
		return nil, false
	}
	placeholder := plain(m.Label, maxPlaceholder)
	if placeholder == "" {
		placeholder = "Choose"
	}
	e := goslack.NewOptionsSelectBlockElement(goslack.OptTypeStatic, plainText(placeholder), id, options...)
	e.InitialOption = initial
	return e, true
}

// actionID names a control for Slack: its index in the message, a colon and
// its muster action ("0:role ic", "4:status INC-4"). The index keeps
// action_ids unique when two controls share an action. render leaves out a
// control whose action_id would be over 255 characters.
func actionID(action string, i int) string { return strconv.Itoa(i) + ":" + action }

// actionOf gives back the muster action of an action_id made by actionID.
// An action_id without an index prefix is returned as it is.
func actionOf(actionID string) string {
	n, action, ok := strings.Cut(actionID, ":")
	if _, err := strconv.Atoi(n); !ok || err != nil {
		return actionID
	}
	return action
}

// fallbackText is the notification text: the first of the title, the
// text, the file's title or name, the fields and the footer that is not
// empty; mrkdwn with mentions kept.
func fallbackText(m muster.Message) string {
	return clip(escape(m.Headline()), maxFallback)
}

func plainText(s string) *goslack.TextBlockObject {
	return goslack.NewTextBlockObject(goslack.PlainTextType, s, true, false)
}

func mrkdwn(s string) *goslack.TextBlockObject {
	return goslack.NewTextBlockObject(goslack.MarkdownType, s, false, false)
}
