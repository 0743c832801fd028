package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot/slack"
	"github.com/muster-bot/muster/bot/teams"
	"github.com/muster-bot/muster/bot/teams/faketeams"
	"github.com/muster-bot/muster/commands"
)

// slackChannelName is Slack's rule for channel names.
var slackChannelName = regexp.MustCompile(`^[a-z0-9_-]{1,80}$`)

// storeState is what the store holds: every incident's title and its
// timeline, by incident number.
type storeState struct {
	titles   map[int]string
	timeline map[int][]muster.Entry
}

func snapshotStore(t testing.TB, app *App) storeState {
	t.Helper()
	ctx := context.Background()
	incidents, err := app.db.Incidents(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	st := storeState{titles: map[int]string{}, timeline: map[int][]muster.Entry{}}
	for _, inc := range incidents {
		tl, err := app.db.Timeline(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		st.titles[inc.ID], st.timeline[inc.ID] = inc.Title, tl
	}
	return st
}

// checkIntact fails unless every incident and timeline entry in before is
// still in after, unchanged; unchanged lists incidents whose timeline
// must not have grown either.
func checkIntact(t testing.TB, before, after storeState, unchanged ...int) {
	t.Helper()
	for id, title := range before.titles {
		if got, ok := after.titles[id]; !ok || got != title {
			t.Errorf("INC-%d was %q before the bad input, now %q (present: %v)", id, title, got, ok)
		}
		was, now := before.timeline[id], after.timeline[id]
		if len(now) < len(was) {
			t.Errorf("INC-%d had %d timeline entries before the bad input, now %d", id, len(was), len(now))
			continue
		}
		for i, e := range was {
			if n := now[i]; n.Seq != e.Seq || n.Kind != e.Kind || n.Text != e.Text || n.MessageID != e.MessageID || n.Deleted() != e.Deleted() {
				t.Errorf("INC-%d entry %d changed: %+v → %+v", id, i+1, e, n)
			}
		}
	}
	for _, id := range unchanged {
		if len(after.timeline[id]) != len(before.timeline[id]) {
			t.Errorf("bad input added to INC-%d's timeline: %d → %d entries", id, len(before.timeline[id]), len(after.timeline[id]))
			for _, e := range after.timeline[id][len(before.timeline[id]):] {
				t.Logf("  new entry %+v", e)
			}
		}
	}
}

// unsignedPost sends body with the given Slack headers only (no signature
// is added).
func (s *slackApp) unsignedPost(path, contentType string, body []byte, header http.Header) reply {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s: %v (did the handler panic?)", path, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return reply{resp.StatusCode, b.String()}
}

func interactionForm(payload string) []byte {
	return []byte(url.Values{"payload": {payload}}.Encode())
}

// expectPrivate checks that the answer to a command is private to its
// sender and holds want: in the acknowledgement, or, when it missed it,
// through the response_url; and that it was not posted in any channel.
func expectPrivate(t *testing.T, s *slackApp, r reply, channel, want string) {
	t.Helper()
	if r.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d (%s), want 200 with a private answer", r.StatusCode, r.Body)
	}
	// The acknowledgement is JSON: quotes in the answer are escaped.
	jsonWant, _ := json.Marshal(want)
	fragment := string(jsonWant[1 : len(jsonWant)-1])
	switch {
	case strings.Contains(r.Body, fragment):
		if !strings.Contains(r.Body, `"response_type":"ephemeral"`) {
			t.Errorf("answer %s is not ephemeral", r.Body)
		}
	default:
		deadline := time.Now().Add(5 * time.Second)
		for responsesWith(s.fake, fragment) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("no private answer holding %q; acknowledgement was %s", want, r.Body)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if n := len(messagesWith(s.fake, channel, want)); n != 0 {
		t.Errorf("the answer %q was posted in %s for everyone (%d messages)", want, channel, n)
	}
}

// TestSlackBadInput sends malformed, mistyped and oversized requests to
// every Slack endpoint of the running app: each gets the right status (a
// 400 or a 200 that ignores it, never a 500 or a dropped connection), bad
// commands get a private answer naming the problem, odd titles still make
// valid channel names, and what was recorded before is all still there.
func TestSlackBadInput(t *testing.T) {
	fake := newFakeSlack(t)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret}
	s := startSlackApp(t, fake, env, "")

	// Something worth keeping: INC-1 with its war room and two messages.
	if r := s.command("UALICE", "CGENERAL", "declare sev2 Payments are failing", "setup"); r.StatusCode != http.StatusOK {
		t.Fatalf("declare: HTTP %d", r.StatusCode)
	}
	var room string
	eventually(t, "INC-1 has its war room", func() bool {
		inc, err := s.app.db.Incident(context.Background(), 1)
		if err != nil || inc.Room == "" {
			return false
		}
		room = inc.Room
		return len(messagesWith(fake, room, "I'll be IC")) == 1
	})
	for i, text := range []string{"card processor returns 502", "rolled back config 77"} {
		ts := fmt.Sprintf("1700000200.%06d", i)
		if r := s.message(fmt.Sprintf("EvSetup%d", i), "UBOB", room, ts, text, 0); r.StatusCode != http.StatusOK {
			t.Fatalf("message: HTTP %d", r.StatusCode)
		}
	}
	before := snapshotStore(t, s.app)
	if len(before.timeline[1]) < 3 {
		t.Fatalf("setup: INC-1 has %d timeline entries, want at least 3", len(before.timeline[1]))
	}

	form := "application/x-www-form-urlencoded"
	jsonType := "application/json"
	callback := func(event string) []byte {
		return []byte(`{"token":"x","team_id":"T0001","type":"event_callback","event_id":"EvBad","event_time":1700000300,"event":` + event + `}`)
	}
	for _, tc := range []struct {
		name        string
		path        string
		contentType string
		body        []byte
		unsigned    http.Header // when set, sent as the only Slack headers
		status      int
		bodyHas     string
	}{
		// Size and signature come before anything is parsed.
		{name: "oversized command", path: "/slack/commands", contentType: form, body: append([]byte("command=%2Fincident&text="), bytes.Repeat([]byte("x"), slack.MaxBody)...), status: http.StatusRequestEntityTooLarge},
		{name: "oversized interaction", path: "/slack/interactions", contentType: form, body: bytes.Repeat([]byte("p"), slack.MaxBody+1), status: http.StatusRequestEntityTooLarge},
		{name: "oversized event", path: "/slack/events", contentType: jsonType, body: bytes.Repeat([]byte(" "), slack.MaxBody+1), status: http.StatusRequestEntityTooLarge},
		{name: "malformed form with a bad signature", path: "/slack/commands", contentType: form, body: []byte("command=%zz"), unsigned: http.Header{
			"X-Slack-Request-Timestamp": {strconv.FormatInt(t0.Unix(), 10)}, "X-Slack-Signature": {"v0=" + strings.Repeat("0", 64)},
		}, status: http.StatusUnauthorized},

		// /slack/commands
		{name: "command form not decodable", path: "/slack/commands", contentType: form, body: []byte("command=%zz&text=declare+x"), status: http.StatusBadRequest, bodyHas: "not a slash command"},
		{name: "command form without command", path: "/slack/commands", contentType: form, body: []byte("text=declare+sev1+No+command&user_id=UALICE&channel_id=CGENERAL"), status: http.StatusBadRequest, bodyHas: "not a slash command"},
		{name: "command empty body", path: "/slack/commands", contentType: form, body: nil, status: http.StatusBadRequest},

		// /slack/interactions
		{name: "interaction without payload", path: "/slack/interactions", contentType: form, body: []byte("user=UALICE"), status: http.StatusBadRequest, bodyHas: "no payload"},
		{name: "interaction malformed form", path: "/slack/interactions", contentType: form, body: []byte("payload=%zz"), status: http.StatusBadRequest},
		{name: "interaction payload not JSON", path: "/slack/interactions", contentType: form, body: interactionForm("{not json"), status: http.StatusBadRequest, bodyHas: "not an interaction"},
		{name: "interaction actions is a string", path: "/slack/interactions", contentType: form, body: interactionForm(`{"type":"block_actions","user":{"id":"UALICE"},"actions":"x"}`), status: http.StatusBadRequest},
		{name: "interaction user is a number", path: "/slack/interactions", contentType: form, body: interactionForm(`{"type":"block_actions","user":5,"actions":[]}`), status: http.StatusBadRequest},
		{name: "interaction payload is an array", path: "/slack/interactions", contentType: form, body: interactionForm(`[1,2,3]`), status: http.StatusBadRequest},
		{name: "interaction payload is null", path: "/slack/interactions", contentType: form, body: interactionForm(`null`), status: http.StatusOK},
		{name: "interaction with empty action", path: "/slack/interactions", contentType: form, body: interactionForm(`{"type":"block_actions","user":{"id":"UALICE"},"channel":{"id":"` + room + `"},"actions":[{}]}`), status: http.StatusOK},
		{name: "interaction of unknown type", path: "/slack/interactions", contentType: form, body: interactionForm(`{"type":"something_new","user":{"id":"UALICE"}}`), status: http.StatusOK},
		{name: "interaction unknown action id", path: "/slack/interactions", contentType: form, body: interactionForm(`{"type":"block_actions","user":{"id":"UALICE"},"channel":{"id":"` + room + `"},"actions":[{"action_id":"muster_nonsense","value":"INC-1","type":"button"}]}`), status: http.StatusOK},

		// /slack/events
		{name: "event body not JSON", path: "/slack/events", contentType: jsonType, body: []byte("type=event_callback"), status: http.StatusBadRequest, bodyHas: "not JSON"},
		{name: "event body truncated JSON", path: "/slack/events", contentType: jsonType, body: callback(`{"type":"message","text":"cut`), status: http.StatusBadRequest},
		{name: "event text is a number", path: "/slack/events", contentType: jsonType, body: callback(`{"type":"message","user":"UBOB","channel":"` + room + `","ts":"1700000300.000001","text":12}`), status: http.StatusBadRequest},
		{name: "event is an array", path: "/slack/events", contentType: jsonType, body: callback(`[]`), status: http.StatusBadRequest},
		{name: "event is null", path: "/slack/events", contentType: jsonType, body: callback(`null`), status: http.StatusOK},
		{name: "event message without channel or ts", path: "/slack/events", contentType: jsonType, body: callback(`{"type":"message","user":"UBOB","text":"orphan"}`), status: http.StatusOK},
		{name: "event of unknown type", path: "/slack/events", contentType: jsonType, body: callback(`{"type":"emoji_changed","subtype":"add","name":"muster"}`), status: http.StatusOK},
		{name: "event message of unknown subtype", path: "/slack/events", contentType: jsonType, body: callback(`{"type":"message","subtype":"huddle_thread","user":"UBOB","channel":"` + room + `","ts":"1700000300.000002","text":"x"}`), status: http.StatusOK},
		{name: "envelope of unknown type", path: "/slack/events", contentType: jsonType, body: []byte(`{"type":"something_new","event_id":"EvNew"}`), status: http.StatusOK},
		{name: "envelope without type", path: "/slack/events", contentType: jsonType, body: []byte(`{}`), status: http.StatusOK},
		{name: "pin_added without item", path: "/slack/events", contentType: jsonType, body: callback(`{"type":"pin_added","user":"UBOB","channel_id":"` + room + `"}`), status: http.StatusOK},
		{name: "message_changed without message", path: "/slack/events", contentType: jsonType, body: callback(`{"type":"message","subtype":"message_changed","channel":"` + room + `","message":null,"previous_message":null}`), status: http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r reply
			if tc.unsigned != nil {
				r = s.unsignedPost(tc.path, tc.contentType, tc.body, tc.unsigned)
			} else {
				r = s.post(tc.path, tc.contentType, tc.body, nil)
			}
			if r.StatusCode != tc.status {
				t.Errorf("HTTP %d (%q), want %d", r.StatusCode, truncate(r.Body, 200), tc.status)
			}
			if tc.bodyHas != "" && !strings.Contains(r.Body, tc.bodyHas) {
				t.Errorf("answer %q, want it to say %q", truncate(r.Body, 200), tc.bodyHas)
			}
		})
	}
	if _, err := s.app.db.Incident(context.Background(), 2); muster.ErrorCode(err) != muster.ENOTFOUND {
		t.Fatalf("malformed requests declared an incident (INC-2: %v)", err)
	}
	checkIntact(t, before, snapshotStore(t, s.app), 1)

	// Commands that parse but are wrong: a private, specific answer, and
	// nothing recorded.
	for _, tc := range []struct {
		name, channel, text, want string
	}{
		{"command text over the limit", "CGENERAL", "declare sev1 " + strings.Repeat("a", commands.MaxText), fmt.Sprintf("the limit is %d", commands.MaxText)},
		{"note over the limit in the war room", room, "note " + strings.Repeat("b ", commands.MaxText/2), fmt.Sprintf("the limit is %d", commands.MaxText)},
		{"title over the limit", "CGENERAL", "declare sev2 " + strings.Repeat("t", muster.MaxTitle+1), fmt.Sprintf("keep it under %d", muster.MaxTitle)},
		{"unknown severity", room, "severity sev0", `"sev0" is not a severity`},
		{"control characters only", "CGENERAL", "\u0007\u0008\u001b", "muster commands"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectPrivate(t, s, s.command("UCAROL", tc.channel, tc.text, "bad-"+strings.ReplaceAll(tc.name, " ", "-")), tc.channel, tc.want)
		})
	}
	if _, err := s.app.db.Incident(context.Background(), 2); muster.ErrorCode(err) != muster.ENOTFOUND {
		t.Fatalf("a rejected command declared an incident (INC-2: %v)", err)
	}
	checkIntact(t, before, snapshotStore(t, s.app), 1)

	// Odd titles: declared, with a war-room name Slack accepts.
	next := 2
	for _, tc := range []struct {
		name, text, title, room string
	}{
		{"unicode and control characters", "declare sev1 Checkout 💥 \u0007 für Ümlaut / ?? #1", "für Ümlaut / ?? #1", "inc-2-checkout-fur-umlaut-1"},
		{"only emoji", "declare sev3 🔥🔥🔥", "🔥🔥🔥", "inc-3"},
		{"right-to-left and zero-width", "declare \u202eevil\u200b title\u00a0ﬁx", "title", "inc-4-evil-title-fix"},
		{"long title", "declare " + strings.TrimSpace(strings.Repeat("database ", 16)), "database", "inc-5-database-database-database-database-database-database-database-database-da"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := next
			next++
			r := s.command("UALICE", "CGENERAL", tc.text, fmt.Sprintf("odd-%d", id))
			if r.StatusCode != http.StatusOK {
				t.Fatalf("declare: HTTP %d", r.StatusCode)
			}
			var inc *muster.Incident
			eventually(t, fmt.Sprintf("INC-%d has its war room", id), func() bool {
				var err error
				inc, err = s.app.db.Incident(context.Background(), id)
				return err == nil && inc.Room != ""
			})
			if !strings.Contains(inc.Title, tc.title) || strings.ContainsFunc(inc.Title, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Errorf("title = %q, want it to hold %q and no control characters", inc.Title, tc.title)
			}
			ch, ok := fake.Channel(inc.Room)
			if !ok {
				t.Fatalf("war room %s is not a channel of the fake", inc.Room)
			}
			if !slackChannelName.MatchString(ch.Name) {
				t.Errorf("channel name %q breaks Slack's rules (a-z 0-9 - _, at most 80)", ch.Name)
			}
			if ch.Name != tc.room {
				t.Errorf("channel name = %q, want %q", ch.Name, tc.room)
			}
		})
	}

	checkIntact(t, before, snapshotStore(t, s.app), 1)
	// And the app still works: a good command after all that.
	if r := s.command("UBOB", room, "note still here", "after"); r.StatusCode != http.StatusOK {
		t.Fatalf("note after the bad input: HTTP %d", r.StatusCode)
	}
	eventually(t, "the note is recorded", func() bool { return countEntries(t, s.app, "still here") == 1 })
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// withField decodes an activity, sets (or, with a nil value, deletes)
// top-level fields, and encodes it again.
func withField(t *testing.T, activity []byte, fields map[string]any) []byte {
	t.Helper()
	var m map[string]any
	must(t, json.Unmarshal(activity, &m))
	for k, v := range fields {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	must(t, err)
	return b
}

// TestTeamsBadInput sends malformed and unexpected activities to
// /api/messages: each gets the right status, nothing is recorded from
// them, and what was recorded before is all still there.
func TestTeamsBadInput(t *testing.T) {
	a := startTeamsApp(t)
	svc := a.tf.ServiceURL()
	if code := a.send(faketeams.Mention(teamsBot, "Muster", "29:alice", "Alice", generalCh+";messageid=100", svc, "declare sev2 Payments are failing"), a.token()); code != http.StatusOK {
		t.Fatalf("declare: HTTP %d", code)
	}
	var room string
	eventually(t, "INC-1 has its war room", func() bool {
		inc, err := a.app.db.Incident(context.Background(), 1)
		if err != nil || inc.Room == "" {
			return false
		}
		room = inc.Room
		return len(activitiesWith(a.tf, room, "I'll be IC")) == 1
	})
	if code := a.send(faketeams.Message("29:bob", "Bob", room+";messageid=200", svc, "card processor returns 502", "200"), a.token()); code != http.StatusOK {
		t.Fatalf("message: HTTP %d", code)
	}
	before := snapshotStore(t, a.app)
	if countEntries(t, a.app, "card processor returns 502") != 1 {
		t.Fatalf("setup: the message was not recorded")
	}

	inRoom := func(id string) []byte {
		return faketeams.Message("29:bob", "Bob", room+";messageid="+id, svc, "", id)
	}
	// A body is decoded before the token is checked, so a body that is no
	// activity is a 400, and a card submit of any shape is never recorded
	// as a message.
	for _, tc := range []struct {
		name   string
		body   []byte
		token  string // "" for a valid token for the fake's serviceUrl
		status int
	}{
		{name: "oversized body", body: bytes.Repeat([]byte("{"), teams.MaxBody+1), status: http.StatusRequestEntityTooLarge},
		{name: "oversized body without token", body: bytes.Repeat([]byte("{"), teams.MaxBody+1), token: "-", status: http.StatusRequestEntityTooLarge},
		{name: "body not JSON", body: []byte("type=message&text=hello"), status: http.StatusBadRequest},
		{name: "body truncated JSON", body: inRoom("300")[:40], status: http.StatusBadRequest},
		{name: "text is a number", body: withField(t, inRoom("312"), map[string]any{"text": 12}), status: http.StatusBadRequest},
		{name: "value is a string", body: withField(t, inRoom("301"), map[string]any{"value": "role ic"}), status: http.StatusOK},
		{name: "value is a number", body: withField(t, inRoom("302"), map[string]any{"value": 42}), status: http.StatusOK},
		{name: "value is an empty object", body: withField(t, inRoom("303"), map[string]any{"value": map[string]any{}}), status: http.StatusOK},
		{name: "value with an unknown action", body: withField(t, inRoom("304"), map[string]any{"value": map[string]any{"muster": "detonate", "incident": "INC-1"}, "replyToId": "1"}), status: http.StatusOK},
		{name: "activity type typing", body: withField(t, inRoom("305"), map[string]any{"type": "typing"}), status: http.StatusOK},
		{name: "activity type conversationUpdate", body: withField(t, inRoom("306"), map[string]any{"type": "conversationUpdate", "text": "declare sev1 Nope"}), status: http.StatusOK},
		{name: "activity type unknown", body: withField(t, inRoom("307"), map[string]any{"type": "somethingNew", "text": "declare sev1 Nope"}), status: http.StatusOK},
		{name: "activity without type", body: withField(t, inRoom("308"), map[string]any{"type": nil}), status: http.StatusOK},
		{name: "message without sender", body: withField(t, faketeams.Message("29:bob", "Bob", room+";messageid=309", svc, "ghost", "309"), map[string]any{"from": map[string]any{}}), status: http.StatusOK},
		{name: "other serviceUrl claim", body: faketeams.Mention(teamsBot, "Muster", "29:eve", "Eve", generalCh+";messageid=310", svc, "declare sev1 Forged"), token: a.tf.Token(teamsAppID, "https://evil.example/"), status: http.StatusUnauthorized},
		{name: "serviceUrl claim for an activity pointing elsewhere", body: faketeams.Mention(teamsBot, "Muster", "29:eve", "Eve", generalCh+";messageid=311", "https://evil.example/", "declare sev1 Forged"), status: http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := tc.token
			switch token {
			case "":
				token = a.token()
			case "-":
				token = ""
			}
			if code := a.send(tc.body, token); code != tc.status {
				t.Errorf("HTTP %d, want %d", code, tc.status)
			}
		})
	}
	a.app.teams.Drain()
	if _, err := a.app.db.Incident(context.Background(), 2); muster.ErrorCode(err) != muster.ENOTFOUND {
		t.Errorf("bad activities declared an incident (INC-2: %v)", err)
	}
	checkIntact(t, before, snapshotStore(t, a.app), 1)

	// An @mention with nothing after it: the help, in the thread it came from.
	thread := generalCh + ";messageid=400"
	if code := a.send(faketeams.Mention(teamsBot, "Muster", "29:carol", "Carol", thread, svc, ""), a.token()); code != http.StatusOK {
		t.Fatalf("bare mention: HTTP %d", code)
	}
	a.app.teams.Drain()
	var help []faketeams.Posted
	for _, p := range activitiesWith(a.tf, generalCh, "muster commands") {
		if p.Conversation == thread {
			help = append(help, p)
		}
	}
	if len(help) != 1 {
		t.Errorf("%d help answers in thread %s, want 1; posted in General: %d", len(help), thread, len(a.tf.Activities(generalCh)))
	} else if !strings.Contains(blocksText(help[0].Activity), "declare") {
		t.Errorf("help answer %s does not list the commands", help[0].Activity)
	}
	checkIntact(t, before, snapshotStore(t, a.app), 1)
}
