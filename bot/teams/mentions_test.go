package teams

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
)

// TestCardDefusesMentionMarkup: <at> markup in a title, update, note or
// alert text is not sent as mention markup, and gets no mention entity,
// while the role holder muster mentions keeps both; a channel recorded as
// a mention (<@19:…>) is named, not mentioned.
func TestCardDefusesMentionMarkup(t *testing.T) {
	p := New(Config{AppID: "28:bot", TenantID: "tenant"}, nil, zerolog.Nop())
	p.names["29:ada"] = "Ada Lovelace"
	p.names["19:general@thread.tacv2"] = "General"
	holder := muster.Mention("29:ada")
	for _, mm := range []string{"<at>General</at>", "<at>Everyone</at>", "<AT>Ada Lovelace</AT>", "<at id=\"0\">SRE team</at>", "<at>", "</at>", muster.Mention("19:general@thread.tacv2")} {
		for name, msg := range map[string]muster.Message{
			"title":  {Title: "INC-42 · " + mm + " checkout down", Text: "IC " + holder},
			"update": {Title: "Status update", Text: "Rolling back " + mm, Footer: "Posted by " + holder},
			"note":   {Text: "📝 Note by " + holder + ": " + mm + " look"},
			"alert":  {Text: "🔔 Alertmanager: 1 alert(s) firing", Footer: "• [firing] DBDown: " + mm + " primary unreachable " + holder},
			"fields": {Fields: []muster.Field{{Label: mm, Value: mm + " and " + holder}}},
			"labels": {Text: holder, Buttons: []muster.Button{{Label: mm, Action: "note", Value: "x"}}, Menus: []muster.Menu{{Label: mm, Action: "status", Options: []string{"investigating"}}}},
		} {
			act := p.activity(msg)
			b, err := json.Marshal(act)
			if err != nil {
				t.Fatal(err)
			}
			out := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
			if n := strings.Count(strings.ToLower(out), "<at"); n != strings.Count(out, "<at>Ada Lovelace</at>") {
				t.Errorf("%s with %q: %d <at> tags, only the role holder's may be there:\n%s", name, mm, n, out)
			}
			if !strings.Contains(out, "<at>Ada Lovelace</at>") {
				t.Errorf("%s with %q: the role holder is not mentioned:\n%s", name, mm, out)
			}
			var ents []string
			if ms, ok := act["attachments"].([]map[string]any)[0]["content"].(map[string]any)["msteams"].(map[string]any); ok {
				for _, e := range ms["entities"].([]map[string]any) {
					ents = append(ents, e["mentioned"].(map[string]string)["id"])
				}
			}
			if len(ents) != 1 || ents[0] != "29:ada" {
				t.Errorf("%s with %q: mention entities for %v, want the role holder's alone", name, mm, ents)
			}
		}
	}
}
