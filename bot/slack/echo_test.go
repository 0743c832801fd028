package slack

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestWithoutMember(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"ok":true,"channel":"C1","ts":"1.2","message":{"text":"hi","blocks":[{"type":"section"}]}}`, `{"ok":true,"channel":"C1","ts":"1.2"}`},
		{`{"message":{"text":"}"},"ok":true,"ts":"1.2"}`, `{"ok":true,"ts":"1.2"}`},
		{`{"ok":true, "message" : [1,2] , "ts":"1.2"}`, `{"ok":true,  "ts":"1.2"}`},
		{"{ \"message\":\n{} }", `{  }`},
		{`{"ok":true,"ts":"1.2"}`, `{"ok":true,"ts":"1.2"}`},
		{`{"ok":true,"message":{"message":1}}`, `{"ok":true}`},
		{`{"ok":true,"thread":{"message":1}}`, `{"ok":true,"thread":{"message":1}}`},   // nested: not this one
		{`{"ok":true,"Message":{"text":"hi"}}`, `{"ok":true,"Message":{"text":"hi"}}`}, // another key
		{`{"ok":true,"mess\u0061ge":{}}`, `{"ok":true,"mess\u0061ge":{}}`},             // escaped: left to slack-go
		{`{"ok":true,"message":{}`, `{"ok":true,"message":{}`},                         // not JSON
		{`[{"message":1}]`, `[{"message":1}]`},
		{``, ``},
	}
	for _, tt := range tests {
		got := string(withoutMember([]byte(tt.in), "message"))
		if got != tt.want {
			t.Errorf("withoutMember(%s) = %s, want %s", tt.in, got, tt.want)
		}
		if json.Valid([]byte(tt.in)) && !json.Valid([]byte(got)) {
			t.Errorf("withoutMember(%s) = %s: no longer JSON", tt.in, got)
		}
	}
}

// FuzzWithoutMember checks that what comes out is still JSON and holds
// every member of what went in but "message".
func FuzzWithoutMember(f *testing.F) {
	f.Add(`{"ok":true,"channel":"C1","ts":"1.2","message":{"text":"hi","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"a \"quoted\" }"}}]}}`)
	f.Add(`{ "message" : null , "ok" : false, "error": "channel_not_found" }`)
	f.Add(`{"message":1,"message":2}`)
	f.Fuzz(func(t *testing.T, in string) {
		out := withoutMember([]byte(in), "message")
		if out := string(out); out == in {
			return
		}
		var before, after map[string]any
		if err := json.Unmarshal([]byte(in), &before); err != nil {
			t.Fatalf("changed %q, which is no JSON object: %v", in, err)
		}
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("withoutMember(%q) = %q: %v", in, out, err)
		}
		delete(before, "message") // a second "message" may stay: slack-go reads it
		delete(after, "message")
		if !reflect.DeepEqual(before, after) {
			t.Errorf("withoutMember(%q) = %q: other members changed", in, out)
		}
	})
}
