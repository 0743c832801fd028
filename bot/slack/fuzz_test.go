package slack

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"
	goslack "github.com/slack-go/slack"
)

// FuzzSlackPayloads feeds arbitrary bodies to the event, command and
// interaction parsers: none may panic, whatever Slack (or anyone who got
// past the signature) sends. Seeds are the sample payloads.
//
//	go test ./bot/slack -run '^$' -fuzz FuzzSlackPayloads -fuzztime 30s
func FuzzSlackPayloads(f *testing.F) {
	files, _ := filepath.Glob("testdata/payloads/*")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"type":"event_callback","event":{"type":"message","subtype":"message_changed","message":null}}`))
	f.Add([]byte(`{"type":"event_callback","event":{"type":"pin_added","item":{}}}`))
	p := New(Config{APIURL: "http://127.0.0.1:1/"}, zerolog.Nop())
	p.botUser = "UBOT"
	f.Fuzz(func(t *testing.T, body []byte) {
		p.translateEvent(body)
		if form, err := url.ParseQuery(string(body)); err == nil {
			_ = slashFromForm(form)
		}
		var ic goslack.InteractionCallback
		if json.Unmarshal(body, &ic) == nil && ic.Type == goslack.InteractionTypeViewSubmission {
			declareFromForm(ic.View.State)
		}
		tsTime(string(body))
	})
}
