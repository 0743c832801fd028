package teams

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/muster-bot/muster"
)

// The golden files in testdata/cards are rewritten with:
//
//	go test ./bot/teams -run TestCard -update
//
// The flag is registered only if another test file of the package has not
// registered it already.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata")
	}
}

func cardUpdating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// cardWarRoomHeader is what commands.Header builds for a fresh SEV1 with the
// default roles, none of them taken yet.
func cardWarRoomHeader() muster.Message {
	msg := muster.Message{
		Title: "INC-42 · SEV1 · investigating — Checkout returns 502 for EU users",
		Text:  "Checkout API answers 502 to about 30% of EU requests since 14:02 UTC. Payments on-call paged.",
		Fields: []muster.Field{
			{Label: "Severity", Value: "SEV1 — Critical: complete outage or data loss, all hands"},
			{Label: "Incident Commander", Value: "unassigned — take it with the button or `ic`"},
			{Label: "Communications lead", Value: "unassigned (the IC will hold it)"},
			{Label: "Scribe", Value: "unassigned (the IC will hold it)"},
			{Label: "Ops lead", Value: "unassigned (the IC will hold it)"},
			{Label: "Declared", Value: "2025-03-14 14:07 UTC by " + muster.Mention("29:1a2b3c")},
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

func cardCases() map[string]muster.Message {
	return map[string]muster.Message{
		"war-room-header": cardWarRoomHeader(),
		"reply-mention": {
			Text:   muster.Mention("29:1a2b3c") + " is now Incident Commander of INC-42.\nNext: roll back if p99 > 2s && errors < 1%.",
			Thread: "1710425220000",
		},
		"resolve": {
			Title: "INC-42 resolved after 1h10m",
			Text:  "Summary: EU load balancer config rolled back.\n- checkout healthy\n- payments replayed",
			Fields: []muster.Field{
				{Label: "Time to acknowledge", Value: "4m"},
				{Label: "Time to mitigate", Value: "32m"},
				{Label: "Time to resolve", Value: "1h10m"},
			},
			Footer: "The postmortem draft is attached. `reopen` brings the incident back.",
			File:   &muster.File{Name: "INC-42-postmortem.md", Title: "Postmortem draft: INC-42", Content: []byte("# INC-42\n")},
		},
	}
}

// cardNames stands in for the sender: <at>Name</at> for known users.
func cardNames(id string) string {
	names := map[string]string{"29:1a2b3c": "Ada Lovelace"}
	if n, ok := names[id]; ok {
		return "<at>" + n + "</at>"
	}
	return "<at>" + id + "</at>"
}

// cardAttachment is the attachment as indented JSON, <, > and & as
// themselves to keep the golden files readable.
func cardAttachment(t testing.TB, content map[string]any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"contentType": cardContentType, "content": content}); err != nil {
		t.Fatalf("marshal attachment: %v", err)
	}
	return b.Bytes()
}

func TestCard(t *testing.T) {
	for name, msg := range cardCases() {
		t.Run(name, func(t *testing.T) {
			summary, content := card(msg, cardNames)
			if summary == "" {
				t.Error("empty summary")
			}
			got := cardAttachment(t, content)
			cardValidate(t, got)
			golden := filepath.Join("testdata", "cards", name+".golden")
			if cardUpdating() {
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
				t.Errorf("card differs from %s (rewrite with -update if the change is meant):\n%s", golden, got)
			}
		})
	}
}

func TestCardSummaryAndMentions(t *testing.T) {
	var calls []string
	mention := func(id string) string { calls = append(calls, id); return cardNames(id) }
	summary, content := card(cardCases()["reply-mention"], mention)
	if want := "Ada Lovelace is now Incident Commander of INC-42. Next: roll back if p99 > 2s && errors < 1%."; summary != want {
		t.Errorf("summary = %q, want %q", summary, want)
	}
	if len(calls) != 1 {
		t.Errorf("mention called %d times (%v), want once per user", len(calls), calls)
	}
	body := string(cardAttachment(t, content))
	if !strings.Contains(body, "<at>Ada Lovelace</at> is now Incident Commander of INC-42.\\n\\nNext:") {
		t.Errorf("mention or line break not rendered:\n%s", body)
	}

	_, content = card(muster.Message{Text: "paging " + muster.Mention("U1") + " and `ic`"}, nil)
	if got := content["body"].([]any)[0].(map[string]any)["text"]; got != "paging @U1 and `ic`" {
		t.Errorf("default mention: text = %q", got)
	}

	summary, _ = card(muster.Message{File: &muster.File{Name: "a.md", Title: "Postmortem draft"}}, nil)
	if summary != "Postmortem draft" {
		t.Errorf("file summary = %q", summary)
	}
}

func TestCardButtonsAndMenus(t *testing.T) {
	msg := muster.Message{Title: "many"}
	for i := 1; i <= 14; i++ {
		msg.Buttons = append(msg.Buttons, muster.Button{Label: fmt.Sprintf("Step %d", i), Action: "note", Value: fmt.Sprintf("step %d", i), Style: map[bool]string{true: "danger"}[i == 3]})
	}
	msg.Buttons = append(msg.Buttons, muster.Button{Label: "no action"})
	msg.Menus = []muster.Menu{
		{Label: "Empty", Action: "status", Incident: "INC-1"},
		{Label: "Status", Action: "status", Incident: "INC-1", Options: []string{"a", "a", "", "b"}, Selected: "zzz"},
	}
	_, content := card(msg, nil)
	raw := cardAttachment(t, content)
	cardValidate(t, raw)
	body := content["body"].([]any)
	var sets []int
	var menu map[string]any
	for _, e := range body {
		e := e.(map[string]any)
		switch e["type"] {
		case "ActionSet":
			sets = append(sets, len(e["actions"].([]any)))
		case "ColumnSet":
			menu = e
		}
	}
	if fmt.Sprint(sets) != "[6 6 2]" {
		t.Errorf("action sets of %v, want [6 6 2]", sets)
	}
	third := body[1].(map[string]any)["actions"].([]any)[2].(map[string]any)
	if third["style"] != "destructive" {
		t.Errorf("danger button style = %v", third["style"])
	}
	if menu == nil {
		t.Fatal("no menu")
	}
	input := menu["columns"].([]any)[0].(map[string]any)["items"].([]any)[0].(map[string]any)
	if input["id"] != "choice-2" || len(input["choices"].([]any)) != 2 || input["value"] != nil {
		t.Errorf("menu input = %v", input)
	}
}

func TestCardOversized(t *testing.T) {
	var text strings.Builder
	for i := 1; text.Len() < 60000; i++ {
		fmt.Fprintf(&text, "Line %03d: p99 > 2s & errors < 1%% for <@U%d>, \"quoted\" ✓\n", i, i%7)
	}
	msg := cardWarRoomHeader()
	msg.Text = text.String()
	for i := 0; i < 300; i++ {
		msg.Fields = append(msg.Fields, muster.Field{Label: fmt.Sprintf("Check %d", i), Value: strings.Repeat("é", 3000)})
	}
	for i, m := range []muster.Message{msg, {Title: strings.Repeat("<", 5000), Text: text.String()}} {
		_, content := card(m, cardNames)
		b, err := json.Marshal(map[string]any{"contentType": cardContentType, "content": content})
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 28*1024-1024 {
			t.Errorf("attachment is %d bytes", len(b))
		}
		cardValidate(t, cardAttachment(t, content))
		s := string(b)
		if !strings.Contains(s, cardTruncated) || strings.Contains(s, cardMoreNotShown) != (i == 0) {
			t.Errorf("no truncation marks in %.300s…", s)
		}
		if strings.Count(s, "<at>") != strings.Count(s, "</at>") {
			t.Error("a mention was cut in two")
		}
	}
}

func TestActionFromValue(t *testing.T) {
	decode := func(s string) map[string]any {
		var v map[string]any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	ok := []struct {
		name, value, action, argument string
	}{
		{"button", `{"muster":"role ic","incident":"INC-42","choice-1":"investigating","choice-2":"SEV1"}`, "role ic", "INC-42"},
		{"menu", `{"muster":"status INC-42","input":"choice-1","choice-1":"mitigated","choice-2":"SEV1"}`, "status INC-42", "mitigated"},
		{"menu without input id", `{"muster":"status INC-4","choice-1":"mitigated"}`, "status INC-4", "mitigated"},
	}
	for _, c := range ok {
		action, argument, valid := actionFromValue(decode(c.value))
		if !valid || action != c.action || argument != c.argument {
			t.Errorf("%s: got (%q, %q, %v), want (%q, %q, true)", c.name, action, argument, valid, c.action, c.argument)
		}
	}
	junk := []map[string]any{
		nil,
		{},
		{"muster": 4},
		{"muster": nil, "incident": "INC-1"},
		{"muster": "", "incident": "INC-1"},
		{"muster": "role ic", "incident": 42.0},
		{"muster": "role ic"},
		{"muster": "status INC-1", "input": "choice-1"},
		{"muster": "status INC-1", "input": "choice-1", "choice-1": 3.0},
		{"muster": "status INC-1", "input": 1.0, "choice-1": "a"},
		{"muster": "status INC-1", "input": "muster"},
		{"muster": "status INC-1", "choice-1": "a", "choice-2": "b"},
		{"muster": []any{"x"}, "incident": map[string]any{}},
		decode(`{"muster":{"a":1},"incident":[1,2]}`),
	}
	for _, v := range junk {
		if a, arg, valid := actionFromValue(v); valid {
			t.Errorf("actionFromValue(%v) = (%q, %q, true), want ok=false", v, a, arg)
		}
	}
}

// The card's own clicks come back as the same action.
func TestCardRoundTrip(t *testing.T) {
	_, content := card(cardWarRoomHeader(), nil)
	var submits []map[string]any
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "Action.Submit" {
				submits = append(submits, v["data"].(map[string]any))
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(content)
	var got []string
	for _, data := range submits {
		value := map[string]any{"choice-1": "mitigated", "choice-2": "SEV2"}
		for k, v := range data {
			value[k] = v
		}
		a, arg, ok := actionFromValue(value)
		if !ok {
			t.Fatalf("click %v not understood", data)
		}
		got = append(got, a+" → "+arg)
	}
	want := "role ic → INC-42|role comms → INC-42|role scribe → INC-42|role ops → INC-42|status INC-42 → mitigated|severity INC-42 → SEV2"
	if strings.Join(got, "|") != want {
		t.Errorf("clicks give %q, want %q", strings.Join(got, "|"), want)
	}
}

func FuzzActionFromValue(f *testing.F) {
	for _, s := range []string{
		`{"muster":"role ic","incident":"INC-42"}`,
		`{"muster":"status INC-42","input":"choice-1","choice-1":"mitigated"}`,
		`{"muster":"status INC-4","choice-1":"mitigated"}`,
		`{"muster":1,"incident":null}`,
		`{"input":["choice-1"],"choice-1":{}}`,
		`[]`, `null`, `3`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var value map[string]any
		if json.Unmarshal(b, &value) != nil {
			return
		}
		action, argument, ok := actionFromValue(value)
		if !ok && (action != "" || argument != "") {
			t.Errorf("not ok but (%q, %q)", action, argument)
		}
		if ok && strings.TrimSpace(action) == "" {
			t.Error("ok with an empty action")
		}
	})
}

func FuzzCard(f *testing.F) {
	f.Add("INC-1 · SEV1", "hello <@29:x>\n- a\n- b", "Declared", "by <@U1>", "I'll be IC", "role ic", "status", "mitigated", "`help`")
	f.Fuzz(func(t *testing.T, title, text, label, value, button, action, menu, option, footer string) {
		m := muster.Message{
			Title: title, Text: text, Footer: footer,
			Fields:  []muster.Field{{Label: label, Value: value}},
			Buttons: []muster.Button{{Label: button, Action: action, Value: value, Style: "primary"}},
			Menus:   []muster.Menu{{Label: label, Action: menu, Incident: "INC-1", Options: []string{option, value}, Selected: option}},
		}
		_, content := card(m, cardNames)
		cardValidate(t, cardAttachment(t, content))
	})
}

// cardValidate checks an attachment as an Adaptive Card 1.4 host would,
// for the elements and actions the renderer uses.
func cardValidate(t testing.TB, attachment []byte) {
	t.Helper()
	var a struct {
		ContentType string         `json:"contentType"`
		Content     map[string]any `json:"content"`
	}
	if err := json.Unmarshal(attachment, &a); err != nil {
		t.Fatalf("attachment is not JSON: %v", err)
	}
	if a.ContentType != cardContentType {
		t.Errorf("contentType %q", a.ContentType)
	}
	v := &cardValidator{t: t, ids: map[string]bool{}}
	c := a.Content
	if c["type"] != "AdaptiveCard" || c["version"] != "1.4" || c["$schema"] != cardSchema {
		t.Errorf("card header: type %v, version %v, $schema %v", c["type"], c["version"], c["$schema"])
	}
	for k := range c {
		switch k {
		case "type", "version", "$schema", "body", "actions", "msteams":
		default:
			t.Errorf("unexpected card property %q", k)
		}
	}
	v.elements("body", c["body"], true)
	if acts, ok := c["actions"]; ok {
		v.actions("actions", acts)
	}
}

type cardValidator struct {
	t   testing.TB
	ids map[string]bool
}

func (v *cardValidator) errorf(format string, args ...any) {
	v.t.Helper()
	v.t.Errorf(format, args...)
}

func (v *cardValidator) list(path string, x any, required bool) []any {
	l, ok := x.([]any)
	if !ok && (x != nil || required) {
		v.errorf("%s: want an array, got %T", path, x)
	}
	if required && len(l) == 0 {
		v.errorf("%s: empty", path)
	}
	return l
}

func (v *cardValidator) str(path string, e map[string]any, key string, nonEmpty bool) string {
	s, ok := e[key].(string)
	if !ok {
		v.errorf("%s: %s missing or not a string", path, key)
	}
	if nonEmpty && strings.TrimSpace(s) == "" {
		v.errorf("%s: %s is empty", path, key)
	}
	return s
}

func (v *cardValidator) enum(path string, e map[string]any, key string, allowed ...string) {
	x, ok := e[key]
	if !ok {
		return
	}
	s, _ := x.(string)
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	v.errorf("%s: %s %v not one of %v", path, key, x, allowed)
}

func (v *cardValidator) elements(path string, x any, required bool) {
	for i, el := range v.list(path, x, required) {
		v.element(fmt.Sprintf("%s[%d]", path, i), el)
	}
}

func (v *cardValidator) element(path string, x any) {
	e, ok := x.(map[string]any)
	if !ok {
		v.errorf("%s: not an object", path)
		return
	}
	typ, _ := e["type"].(string)
	path += "(" + typ + ")"
	switch typ {
	case "TextBlock":
		v.str(path, e, "text", true)
		v.enum(path, e, "size", "Default", "Small", "Medium", "Large", "ExtraLarge")
		v.enum(path, e, "weight", "Default", "Lighter", "Bolder")
		for _, k := range []string{"wrap", "isSubtle"} {
			if b, ok := e[k]; ok {
				if _, isBool := b.(bool); !isBool {
					v.errorf("%s: %s is not a boolean", path, k)
				}
			}
		}
	case "FactSet":
		for i, f := range v.list(path+".facts", e["facts"], true) {
			fp := fmt.Sprintf("%s.facts[%d]", path, i)
			if f, ok := f.(map[string]any); ok {
				v.str(fp, f, "title", false)
				v.str(fp, f, "value", true)
			} else {
				v.errorf("%s: not an object", fp)
			}
		}
	case "ActionSet":
		v.actions(path+".actions", e["actions"])
	case "Container":
		v.elements(path+".items", e["items"], true)
	case "ColumnSet":
		for i, c := range v.list(path+".columns", e["columns"], true) {
			cp := fmt.Sprintf("%s.columns[%d]", path, i)
			col, ok := c.(map[string]any)
			if !ok || col["type"] != "Column" {
				v.errorf("%s: not a Column", cp)
				continue
			}
			v.enum(cp, col, "verticalContentAlignment", "Top", "Center", "Bottom")
			v.elements(cp+".items", col["items"], true)
		}
	case "Input.ChoiceSet":
		id := v.str(path, e, "id", true)
		if v.ids[id] {
			v.errorf("%s: input id %q used twice", path, id)
		}
		v.ids[id] = true
		v.enum(path, e, "style", "compact", "expanded")
		values := map[string]bool{}
		for i, c := range v.list(path+".choices", e["choices"], true) {
			cp := fmt.Sprintf("%s.choices[%d]", path, i)
			if c, ok := c.(map[string]any); ok {
				v.str(cp, c, "title", true)
				values[v.str(cp, c, "value", true)] = true
			} else {
				v.errorf("%s: not an object", cp)
			}
		}
		if sel, ok := e["value"]; ok {
			if s, _ := sel.(string); !values[s] {
				v.errorf("%s: value %v is not a choice", path, sel)
			}
		}
	default:
		v.errorf("%s: element type %q is not one the renderer should use", path, typ)
	}
}

func (v *cardValidator) actions(path string, x any) {
	l := v.list(path, x, true)
	if len(l) > cardMaxActions {
		v.errorf("%s: %d actions, Teams shows %d", path, len(l), cardMaxActions)
	}
	for i, a := range l {
		ap := fmt.Sprintf("%s[%d]", path, i)
		act, ok := a.(map[string]any)
		if !ok || act["type"] != "Action.Submit" {
			v.errorf("%s: not an Action.Submit", ap)
			continue
		}
		v.str(ap, act, "title", true)
		v.enum(ap, act, "style", "default", "positive", "destructive")
		if d, ok := act["data"]; ok {
			if _, isObject := d.(map[string]any); !isObject {
				v.errorf("%s: data is not an object", ap)
			}
		}
	}
}
