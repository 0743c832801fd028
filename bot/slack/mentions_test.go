package slack

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/muster-bot/muster"
)

// liveBroadcast matches what would notify a whole channel, the workspace
// or a user group in what the bot sends: a special mention, or a word
// Slack may parse into one.
var liveBroadcast = regexp.MustCompile(`<!(here|channel|group|everyone|subteam)|(?i)@(here|channel|group|everyone)\b`)

// massMentions is each way a person, a form or an alert may write a mass
// mention.
var massMentions = []string{"<!channel>", "<!here>", "<!everyone>", "<!group>", "<!subteam^S0123SRE|@sre>", "<!subteam^S0456>", "<!here|here>", "@channel", "@here", "@Everyone"}

// TestRenderDefusesMassMentions: a title, update, note or alert text that
// holds a mass mention renders without a live one anywhere in the blocks
// or the notification text, while the mention of a role holder that muster
// makes, and one person named in a note, stay live.
func TestRenderDefusesMassMentions(t *testing.T) {
	holder := muster.Mention("U024BE7LH")
	for _, mm := range massMentions {
		t.Run(mm, func(t *testing.T) {
			for name, msg := range map[string]muster.Message{
				"title":  {Title: "INC-42 · " + mm + " checkout down", Text: "IC " + holder},
				"update": {Title: "Status update", Text: "Rolling back " + mm + " please stand by", Footer: "Posted by " + holder},
				"note":   {Text: "📝 Note by " + holder + ": " + mm + " ask <@U0NOTED> about the DB"},
				"alert":  {Text: "🔔 Alertmanager: 1 alert(s) firing", Footer: "• [firing] DBDown: " + mm + " primary unreachable"},
				"fields": {Fields: []muster.Field{{Label: mm, Value: mm + " and " + holder}}},
				"file":   {File: &muster.File{Name: "INC-42.md", Title: "Postmortem " + mm}},
			} {
				fallback, blocks := render(msg)
				var b strings.Builder
				enc := json.NewEncoder(&b)
				enc.SetEscapeHTML(false)
				if err := enc.Encode(blocks); err != nil {
					t.Fatal(err)
				}
				// slack-go's blocks escape <, > and & in their own encoder.
				out := fallback + "\n" + strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(b.String())
				if live := liveBroadcast.FindString(out); live != "" {
					t.Errorf("%s: %q stays live in %s", name, live, out)
				}
				if strings.Contains(msg.Text+msg.Footer, holder) && !strings.Contains(out, holder) {
					t.Errorf("%s: the role holder's mention %s is gone from %s", name, holder, out)
				}
				if strings.Contains(msg.Text, "<@U0NOTED>") && !strings.Contains(out, "<@U0NOTED>") {
					t.Errorf("%s: the person named in the note is no longer mentioned: %s", name, out)
				}
			}
		})
	}
}

// TestTopicAndFileTitleDefused: the channel topic and an uploaded file's
// title, which hold the incident's title, carry no live mass mention.
func TestTopicAndFileTitleDefused(t *testing.T) {
	p, fake, _ := newTestPlatform(t)
	fake.AddChannel("C1", "inc-42", false)
	ctx := context.Background()
	if err := p.SetTopic(ctx, "C1", "SEV1 · <!channel> checkout down · @here"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Post(ctx, "C1", muster.Message{Text: "Draft", File: &muster.File{Name: "INC-42.md", Title: "Postmortem: <!everyone> checkout down", Content: []byte("# INC-42\n")}}); err != nil {
		t.Fatal(err)
	}
	var sent []string
	for _, c := range fake.Calls() {
		for _, v := range c.Params {
			sent = append(sent, c.Method+": "+v)
		}
	}
	all := strings.Join(sent, "\n")
	if !strings.Contains(all, "checkout down") {
		t.Fatalf("neither the topic nor the file title was sent: %s", all)
	}
	if live := liveBroadcast.FindString(all); live != "" {
		t.Errorf("%q stays live in what was sent:\n%s", live, all)
	}
}
