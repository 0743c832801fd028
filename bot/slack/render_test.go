package slack

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	goslack "github.com/slack-go/slack"

	"github.com/muster-bot/muster"
)

// The golden files in testdata/render are rewritten with:
//
//	go test ./bot/slack -run TestRender -update
//
// The flag is registered only if no other test file of the package has
// registered it already, so the package's tests can share it.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// warRoomHeader is what commands.Header builds for a fresh SEV1 with the
// default roles, none of them taken yet.
func warRoomHeader() muster.Message {
	msg := muster.Message{
		Title: "INC-42 · SEV1 · investigating — Checkout returns 502 for EU users",
		Text:  "Checkout API answers 502 to about 30% of EU requests since 14:02 UTC. Payments on-call paged.",
		Fields: []muster.Field{
			{Label: "Severity", Value: "SEV1 — Critical: complete outage or data loss, all hands"},
			{Label: "Incident Commander", Value: "unassigned — take it with the button or `ic`"},
			{Label: "Communications lead", Value: "unassigned (the IC will hold it)"},
			{Label: "Scribe", Value: "unassigned (the IC will hold it)"},
			{Label: "Ops lead", Value: "unassigned (the IC will hold it)"},
			{Label: "Declared", Value: "2025-03-14 14:07 UTC by " + muster.Mention("U024BE7LH")},
			{Label: "Next update due", Value: "2025-03-14 14:37 UTC (every 30m)"},
		},
		Footer: "Commands: `update <text>` · `note <text>` · `action <text> [@owner]` · `severity <sevN>` · " +
			"`handoff @user` · `snooze 30m` · `resolve [summary]` · `help`. Everything said here goes into the timeline.",
	}
	for _, role := range muster.DefaultRoles() {
		style := ""
		if role.Key == muster.RoleIC {
			style = "primary"
		}
		msg.Buttons = append(msg.Buttons, muster.Button{Label: "I'll be " + role.Short, Action: "role " + role.Key, Value: "INC-42", Style: style})
	}
	var statuses []string
	for _, s := range muster.Statuses() {
		statuses = append(statuses, string(s))
	}
	msg.Menus = []muster.Menu{
		{Label: "Status", Action: "status", Incident: "INC-42", Options: statuses, Selected: "investigating"},
		{Label: "Severity", Action: "severity", Incident: "INC-42", Options: []string{"SEV1", "SEV2", "SEV3", "SEV4"}, Selected: "SEV1"},
	}
	return msg
}

func oversized() muster.Message {
	var text strings.Builder
	for i := 1; text.Len() < 10000; i++ {
		fmt.Fprintf(&text, "Line %03d: p99 > 2s & errors < 1%% for <@U024BE7LH>, see <https://status.example.com/incidents/42?tab=log&line=%d|the log>.\n", i, i)
	}
	msg := muster.Message{
		Title:  strings.Repeat("Checkout latency in eu-west-1 ", 10),
		Text:   text.String()[:10000],
		Footer: "Posted by " + muster.Mention("U024BE7LH"),
	}
	for i := 1; i <= 30; i++ {
		msg.Fields = append(msg.Fields, muster.Field{Label: fmt.Sprintf("Check %d", i), Value: fmt.Sprintf("ok after %dm", i)})
	}
	for i := 1; i <= 40; i++ {
		msg.Buttons = append(msg.Buttons, muster.Button{Label: fmt.Sprintf("Runbook step %d", i), Action: "note", Value: fmt.Sprintf("step %d done", i)})
	}
	return msg
}

func renderCases() map[string]muster.Message {
	return map[string]muster.Message{
		"war-room-header": warRoomHeader(),
		"reply-escaping": {
			Text: muster.Mention("U024BE7LH") + " is now Incident Commander of INC-42. Noted: “roll back if p99 > 2s && errors < 1%” " +
				"<script>alert(1)</script> in <#C0123ABCD|inc-42-checkout>, cc <!here> and <!subteam^S0123SRE|@sre>; " +
				"not a mention: <!everyone>, <@ U1>, <javascript:alert(1)|click>.",
			Thread: "1710425220.000100",
		},
		"status-update": {
			Title:  "Status update · INC-42 · SEV1 · identified",
			Text:   "Root cause found: a bad config push to the EU load balancers. Rolling back now; expect recovery within 15 minutes.",
			Footer: "Posted by " + muster.Mention("U024BE7LH") + " · next update due in 30m",
		},
		"resolve-draft": {
			Fields: []muster.Field{
				{Label: "Time to acknowledge", Value: "4m"},
				{Label: "Time to mitigate", Value: "32m"},
				{Label: "Time to resolve", Value: "1h10m"},
			},
			File: &muster.File{Name: "INC-42-postmortem.md", Title: "Postmortem draft: INC-42 Checkout returns 502 for EU users", Content: []byte("# INC-42\n")},
		},
		"oversized": oversized(),
	}
}

// payload is what chat.postMessage receives: the fallback and the blocks.
type payload struct {
	Text   string         `json:"text"`
	Blocks goslack.Blocks `json:"blocks"`
}

// marshalPayload is the payload as indented JSON. slack-go's encoder writes
// <, > and & as \u003c, \u003e and \u0026; Slack reads both forms alike, so
// they are written as themselves to keep the golden files readable.
var htmlEscapes = map[string]byte{`\u003c`: '<', `\u003e`: '>', `\u0026`: '&'}

func marshalPayload(t testing.TB, p payload) []byte {
	t.Helper()
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatalf("marshal payload: %v", err)
	}
	var out []byte
	for i := 0; i < len(b); i++ {
		if c, ok := htmlEscapes[string(b[i:min(i+6, len(b))])]; ok {
			out = append(out, c)
			i += 5
			continue
		}
		out = append(out, b[i])
		if b[i] == '\\' { // another escape, \\ included: keep it whole
			out = append(out, b[i+1])
			i++
		}
	}
	return append(out, '\n')
}

func TestRender(t *testing.T) {
	for name, msg := range renderCases() {
		t.Run(name, func(t *testing.T) {
			fallback, blocks := render(msg)
			checkRendered(t, msg, fallback, blocks)
			got := marshalPayload(t, payload{Text: fallback, Blocks: goslack.Blocks{BlockSet: blocks}})
			golden := filepath.Join("testdata", "render", name+".golden")
			if updating() {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read %s (create it with -update): %v", golden, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("render differs from %s (rewrite with -update if the change is meant):\n%s", golden, got)
			}
		})
	}
}

func TestRenderOversized(t *testing.T) {
	_, blocks := render(oversized())
	var sections, actions int
	for _, b := range blocks {
		switch b := b.(type) {
		case *goslack.SectionBlock:
			if b.Text != nil {
				sections++
			}
		case *goslack.ActionBlock:
			actions++
		}
	}
	if sections != 4 || actions != 2 {
		t.Errorf("10,000 characters and 40 buttons gave %d text sections and %d actions blocks, want 4 and 2", sections, actions)
	}
	if h := blocks[0].(*goslack.HeaderBlock).Text.Text; size(h) != maxHeader || !strings.HasSuffix(h, ellipsis) {
		t.Errorf("300-character title gave header %q", h)
	}
}

func TestRenderOverBlockLimit(t *testing.T) {
	msg := warRoomHeader()
	msg.Text = strings.Repeat("All hands. ", 30000) // 330,000 characters, over 100 sections
	for i := 0; i < 300; i++ {
		msg.Fields = append(msg.Fields, muster.Field{Label: "Check", Value: "ok"})
	}
	_, blocks := render(msg)
	checkRendered(t, msg, "", blocks)
	if len(blocks) != maxBlocks {
		t.Fatalf("got %d blocks, want %d", len(blocks), maxBlocks)
	}
	last, ok := blocks[len(blocks)-1].(*goslack.ContextBlock)
	if !ok || last.ContextElements.Elements[0].(*goslack.TextBlockObject).Text != moreNotShown {
		t.Errorf("last block is %#v, want the %q context", blocks[len(blocks)-1], moreNotShown)
	}
	// The footer and the controls survive; text and fields give way.
	var types []string
	for _, b := range blocks[len(blocks)-4:] {
		types = append(types, string(b.BlockType()))
	}
	if want := "actions actions context context"; strings.Join(types, " ") != want {
		t.Errorf("last blocks are %v, want %s", types, want)
	}
}

func TestRenderEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a < b && c > d", "a &lt; b &amp;&amp; c &gt; d"},
		{"<@U024BE7LH> and <@U024BE7LH|alex>", "<@U024BE7LH> and <@U024BE7LH|alex>"},
		{"<#C0123|inc-42> <!here> <!channel> <!subteam^S01|@sre> <!subteam^S02>", "<#C0123|inc-42> @\u2060here @\u2060channel @\u2060sre @\u2060S02"},
		{"@here @Channel @everyone, @group! but @hereford and a@b.c", "@\u2060here @\u2060Channel @\u2060everyone, @\u2060group! but @hereford and a@b.c"},
		{"<https://x.example/?a=1&b=2|a & b>", "<https://x.example/?a=1&amp;b=2|a &amp; b>"},
		{"<!everyone> <!here|@here & all> <@ U1> <javascript:x> <https://a b>", "@\u2060everyone @\u2060here &amp; all &lt;@ U1&gt; &lt;javascript:x&gt; &lt;https://a b&gt;"},
		{"&amp; stays visible", "&amp;amp; stays visible"},
		{"<https://x.example/" + strings.Repeat("a", maxSequence) + ">", "&lt;https://x.example/" + strings.Repeat("a", maxSequence) + "&gt;"},
		{"<https://x.example/?" + strings.Repeat("&", 100) + ">", "&lt;https://x.example/?" + strings.Repeat("&amp;", 100) + "&gt;"}, // too long once escaped
	} {
		if got := escape(tc.in); got != tc.want {
			t.Errorf("escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRenderPlain(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Paging <@U1|alex> and <@U2>", "Paging @alex and @U2"},
		{"in <#C1|inc-42>, <!here>, <!subteam^S1|@sre>, <!subteam^S2>, @channel", "in #inc-42, @\u2060here, @\u2060sre, @\u2060S2, @\u2060channel"},
		{"see <https://x.example|the docs> or <https://y.example>", "see the docs or https://y.example"},
		{"a & b < c\n  line two", "a & b < c line two"},
	} {
		if got := plain(tc.in, maxHeader); got != tc.want {
			t.Errorf("plain(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRenderSplitKeepsText(t *testing.T) {
	text := oversized().Text
	var joined strings.Builder
	for _, chunk := range split(escape(text), maxSectionText, maxBlocks) {
		joined.WriteString(chunk)
	}
	squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
	if squash(joined.String()) != squash(escape(text)) {
		t.Error("the sections of a split text do not add up to the text")
	}
}

// TestRenderSplitWhole shifts a text of links, mentions and entities past
// the section boundary one byte at a time: no cut may break one of them.
func TestRenderSplitWhole(t *testing.T) {
	for _, unit := range []string{
		"<@U024BE7LH> <https://x.example/?a=1&b=2&c=3|a & b> <#C1|room>&<>",
		"<@U024BE7LH><https://x.example/?a=1&b=2&c=3|a&b><#C1|room>&<>é", // no space to break at
	} {
		for pad := 0; pad < len(unit); pad++ {
			text := strings.Repeat("x", pad) + strings.Repeat(unit, 2*maxSectionText/len(unit))
			for i, chunk := range split(escape(text), maxSectionText, maxBlocks) {
				if size(chunk) > maxSectionText {
					t.Errorf("pad %d: chunk %d has %d characters", pad, i, size(chunk))
				}
				checkEscaped(t, fmt.Sprintf("pad %d, chunk %d", pad, i), chunk)
			}
		}
	}
}

func TestRenderControls(t *testing.T) {
	msg := muster.Message{
		Buttons: []muster.Button{
			{Label: "Same", Action: "note", Value: "a"},
			{Label: "Same", Action: "note", Value: "a"},
			{Label: "Bad style", Action: "x", Style: "warning"},
			{Label: "Too long an action", Action: strings.Repeat("x", 300)},
			{Label: "Too long a value", Action: "x", Value: strings.Repeat("v", maxButtonValue+1)},
			{Label: "", Action: "", Value: "no label, no action"},
		},
		Menus: []muster.Menu{
			{Label: "Status", Action: "status", Incident: "INC-4", Options: []string{"a", "b", "a", " ", strings.Repeat("o", 151)}, Selected: "b"},
			{Label: "Nothing to choose", Action: "severity", Options: []string{""}},
			{Action: "severity", Options: []string{"SEV1"}, Selected: "SEV9"},
		},
	}
	_, blocks := render(msg)
	checkRendered(t, msg, "", blocks)
	var got []string
	for _, b := range blocks {
		for _, e := range b.(*goslack.ActionBlock).Elements.ElementSet {
			switch e := e.(type) {
			case *goslack.ButtonBlockElement:
				got = append(got, fmt.Sprintf("%s=%s style=%q", e.ActionID, e.Value, e.Style))
			case *goslack.SelectBlockElement:
				var opts []string
				for _, o := range e.Options {
					opts = append(opts, o.Value)
				}
				initial := ""
				if e.InitialOption != nil {
					initial = e.InitialOption.Value
				}
				got = append(got, fmt.Sprintf("%s %q options=%v initial=%q", e.ActionID, e.Placeholder.Text, opts, initial))
			}
		}
	}
	want := []string{
		`0:note=a style=""`,
		`1:note=a style=""`,
		`2:x= style=""`,
		`6:status INC-4 "Status" options=[a b] initial="b"`,
		`8:severity "Choose" options=[SEV1] initial=""`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("controls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestRenderFallback(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  muster.Message
		want string
	}{
		{"title", muster.Message{Title: "INC-4 & co", Text: "text"}, "INC-4 &amp; co"},
		{"text", muster.Message{Text: "<@U1> took IC"}, "<@U1> took IC"},
		{"file", muster.Message{Fields: []muster.Field{{Label: "a", Value: "1"}}, File: &muster.File{Name: "x.md"}}, "x.md"},
		{"fields", muster.Message{Fields: []muster.Field{{Label: "a", Value: "1"}, {Label: "b", Value: "2"}}}, "a: 1 · b: 2"},
		{"footer", muster.Message{Footer: "foot"}, "foot"},
		{"long", muster.Message{Text: strings.Repeat("é", 5000)}, strings.Repeat("é", maxFallback-size(truncated)) + truncated},
	} {
		if got, _ := render(tc.msg); got != tc.want {
			t.Errorf("%s: fallback %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestActionID(t *testing.T) {
	for i, a := range []string{"", "role ic", "status INC-4", "a:b:c", "7:x", "-1:y", "ünï côdé"} {
		if got := actionOf(actionID(a, i)); got != a {
			t.Errorf("actionOf(actionID(%q, %d)) = %q", a, i, got)
		}
	}
	if got := actionOf("someone_elses_action"); got != "someone_elses_action" {
		t.Errorf("a foreign action_id came back as %q", got)
	}
}

func FuzzActionID(f *testing.F) {
	f.Add("role ic", 0)
	f.Add("status INC-4", 5)
	f.Add("3:x", -1)
	f.Fuzz(func(t *testing.T, action string, i int) {
		if got := actionOf(actionID(action, i)); got != action {
			t.Errorf("actionOf(actionID(%q, %d)) = %q", action, i, got)
		}
	})
}

func FuzzRender(f *testing.F) {
	// Seeds stay small so that each run is quick; TestRender covers the
	// oversized message. Long texts still come from the mutator, and the
	// counts reach 63 fields and 63 buttons.
	for _, m := range renderCases() {
		f.Add(m.Title[:min(len(m.Title), 200)], m.Text[:min(len(m.Text), 400)], m.Footer, "Status", "investigating|identified", uint8(len(m.Fields)), uint8(len(m.Buttons)))
	}
	f.Add("<@U1|a&b>", "&<>&amp;<https://x?a&b|c>", "", "", "||", uint8(63), uint8(63))
	f.Fuzz(func(t *testing.T, title, text, footer, label, options string, nFields, nButtons uint8) {
		nFields, nButtons = nFields%64, nButtons%64
		msg := muster.Message{Title: title, Text: text, Footer: footer}
		for i := 0; i < int(nFields); i++ {
			msg.Fields = append(msg.Fields, muster.Field{Label: label, Value: text[:min(len(text), i*17)]})
		}
		for i := 0; i < int(nButtons); i++ {
			msg.Buttons = append(msg.Buttons, muster.Button{Label: label, Action: title, Value: options, Style: footer})
		}
		opts := strings.Split(options, "|")
		msg.Menus = []muster.Menu{
			{Label: label, Action: "status", Incident: title, Options: opts, Selected: opts[len(opts)-1]},
			{Label: title, Action: label, Options: append(opts, strings.Split(text, " ")...)},
		}
		fallback, blocks := render(msg)
		checkRendered(t, msg, fallback, blocks)
	})
}

// checkRendered holds the properties every rendered message has: what
// Slack accepts and what the interaction handler needs.
func checkRendered(t testing.TB, m muster.Message, fallback string, blocks []goslack.Block) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf(format, args...)
	}
	validate := func(what string, v any) {
		t.Helper()
		if v, ok := v.(interface{ Validate() error }); ok {
			if err := v.Validate(); err != nil {
				fail("%s: %v", what, err)
			}
		}
	}
	text := func(what string, o *goslack.TextBlockObject, limit int, kind string) {
		t.Helper()
		if o == nil {
			fail("%s: no text", what)
			return
		}
		validate(what, o)
		if o.Type != kind {
			fail("%s: %s text, want %s", what, o.Type, kind)
		}
		if strings.TrimSpace(o.Text) == "" || size(o.Text) > limit {
			fail("%s: %d characters, want 1 to %d: %q", what, size(o.Text), limit, o.Text)
		}
		if kind == goslack.MarkdownType {
			checkEscaped(t, what, o.Text)
		}
	}
	if size(fallback) > maxFallback {
		fail("fallback has %d characters", size(fallback))
	}
	checkEscaped(t, "fallback", fallback)
	if len(blocks) > maxBlocks {
		fail("%d blocks", len(blocks))
	}
	blockIDs, actionIDs := map[string]bool{}, map[string]bool{}
	id := func(seen map[string]bool, kind, id string) {
		t.Helper()
		if len(id) > 255 || seen[id] {
			fail("%s %q is too long or not unique", kind, id)
		}
		seen[id] = true
	}
	for i, b := range blocks {
		what := fmt.Sprintf("block %d (%s)", i, b.BlockType())
		validate(what, b)
		if b.ID() != "" {
			id(blockIDs, "block_id", b.ID())
		}
		switch b := b.(type) {
		case *goslack.HeaderBlock:
			text(what, b.Text, maxHeader, goslack.PlainTextType)
		case *goslack.SectionBlock:
			if b.Text == nil && len(b.Fields) == 0 {
				fail("%s: neither text nor fields", what)
			}
			if b.Text != nil {
				text(what, b.Text, maxSectionText, goslack.MarkdownType)
			}
			if len(b.Fields) > maxFields {
				fail("%s: %d fields", what, len(b.Fields))
			}
			for j, f := range b.Fields {
				text(fmt.Sprintf("%s field %d", what, j), f, maxFieldText, goslack.MarkdownType)
			}
		case *goslack.ActionBlock:
			if n := len(b.Elements.ElementSet); n == 0 || n > maxElements {
				fail("%s: %d elements", what, n)
			}
			for j, e := range b.Elements.ElementSet {
				what := fmt.Sprintf("%s element %d", what, j)
				validate(what, e)
				switch e := e.(type) {
				case *goslack.ButtonBlockElement:
					id(actionIDs, "action_id", e.ActionID)
					text(what, e.Text, maxButtonText, goslack.PlainTextType)
					if size(e.Value) > maxButtonValue || (e.Style != "" && e.Style != goslack.StylePrimary && e.Style != goslack.StyleDanger) {
						fail("%s: value of %d characters, style %q", what, size(e.Value), e.Style)
					}
				case *goslack.SelectBlockElement:
					id(actionIDs, "action_id", e.ActionID)
					text(what+" placeholder", e.Placeholder, maxPlaceholder, goslack.PlainTextType)
					if e.Type != goslack.OptTypeStatic || len(e.Options) == 0 || len(e.Options) > maxOptions {
						fail("%s: %s with %d options", what, e.Type, len(e.Options))
					}
					values := map[string]bool{}
					for k, o := range e.Options {
						text(fmt.Sprintf("%s option %d", what, k), o.Text, maxOptionText, goslack.PlainTextType)
						if o.Value == "" || size(o.Value) > maxOptionValue || values[o.Value] {
							fail("%s option %d: value %q empty, too long or repeated", what, k, o.Value)
						}
						values[o.Value] = true
					}
					if e.InitialOption != nil && !values[e.InitialOption.Value] {
						fail("%s: initial option %q is not an option", what, e.InitialOption.Value)
					}
				default:
					fail("%s: unexpected %T", what, e)
				}
			}
		case *goslack.ContextBlock:
			if n := len(b.ContextElements.Elements); n == 0 || n > 10 {
				fail("%s: %d elements", what, n)
			}
			for j, e := range b.ContextElements.Elements {
				o, ok := e.(*goslack.TextBlockObject)
				if !ok {
					fail("%s element %d: unexpected %T", what, j, e)
					continue
				}
				text(fmt.Sprintf("%s element %d", what, j), o, maxContextText, goslack.MarkdownType)
			}
		default:
			fail("%s: unexpected %T", what, b)
		}
	}
	// Every control gives back the action and value of the control it
	// was rendered from.
	for _, b := range blocks {
		a, ok := b.(*goslack.ActionBlock)
		if !ok {
			continue
		}
		for _, e := range a.Elements.ElementSet {
			switch e := e.(type) {
			case *goslack.ButtonBlockElement:
				i, err := strconv.Atoi(indexOf(e.ActionID))
				if err != nil || i >= len(m.Buttons) || actionOf(e.ActionID) != m.Buttons[i].Action || e.Value != m.Buttons[i].Value {
					fail("button %q (value %q) is not button %d", e.ActionID, e.Value, i)
				}
			case *goslack.SelectBlockElement:
				i, err := strconv.Atoi(indexOf(e.ActionID))
				i -= len(m.Buttons)
				if err != nil || i < 0 || i >= len(m.Menus) {
					fail("menu %q has no menu index", e.ActionID)
					continue
				}
				want := m.Menus[i].Action
				if m.Menus[i].Incident != "" {
					want += " " + m.Menus[i].Incident
				}
				if actionOf(e.ActionID) != want {
					fail("menu %q is not menu %d (%q)", e.ActionID, i, want)
				}
				for _, o := range e.Options {
					if !slices.Contains(m.Menus[i].Options, o.Value) {
						fail("menu %q offers %q, which is not an option", e.ActionID, o.Value)
					}
				}
			}
		}
	}
	in := payload{Text: fallback, Blocks: goslack.Blocks{BlockSet: blocks}}
	first := marshalPayload(t, in)
	var out payload
	if err := json.Unmarshal(first, &out); err != nil {
		fail("unmarshal rendered blocks: %v", err)
		return
	}
	if second := marshalPayload(t, out); !bytes.Equal(first, second) {
		fail("blocks do not survive a JSON round trip:\n%s\n%s", first, second)
	}
}

func indexOf(actionID string) string {
	n, _, _ := strings.Cut(actionID, ":")
	return n
}

// checkEscaped fails when mrkdwn text has a <, > or & that is neither part
// of a control sequence nor an entity: Slack would misread it.
func checkEscaped(t testing.TB, what, s string) {
	t.Helper()
	rest := sequenceRE.ReplaceAllString(s, "")
	if strings.ContainsAny(rest, "<>") {
		t.Errorf("%s: unescaped < or > in %q", what, s)
	}
	for i := strings.IndexByte(s, '&'); i >= 0; i = strings.IndexByte(s, '&') {
		s = s[i:]
		if !strings.HasPrefix(s, "&amp;") && !strings.HasPrefix(s, "&lt;") && !strings.HasPrefix(s, "&gt;") {
			t.Errorf("%s: unescaped & in %q", what, s)
			return
		}
		s = s[1:]
	}
}
