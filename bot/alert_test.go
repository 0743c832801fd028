package bot_test

import (
	"testing"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
)

// TestAlertTitleIsNeverCommandWords: an alert's summary is the title as it
// is, with the severity its label maps to, whatever words it starts with.
func TestAlertTitleIsNeverCommandWords(t *testing.T) {
	for i, title := range []string{"Seven pods crashlooping", "Private registry unreachable", "SEV1 replica lag", "p9 DB down", "declare sev1 x"} {
		t.Run(title, func(t *testing.T) {
			h := newHarness(t)
			err := h.bot.Alert(h.ctx, h.db, bot.Alert{
				GroupKey: "group", Firing: true, Severity: "SEV2", Title: title,
				Lines: []string{"• [firing] " + title}, Key: "k", Platform: platformName, Room: lobby,
			})
			if err != nil {
				t.Fatalf("Alert(%d): %v", i, err)
			}
			inc := h.incident(1)
			if inc.Title != title || inc.Severity != "SEV2" || inc.Private || inc.Declarer != "" {
				t.Errorf("declared %s %q private=%v by %q; want SEV2 %q, not private, by nobody", inc.Severity, inc.Title, inc.Private, inc.Declarer, title)
			}
			if inc.Room == "" {
				t.Error("no war room was opened")
			}
		})
	}
}

// TestDeclareEventFromFields: an event that carries a declaration (Slack's
// declare form) declares it as it is.
func TestDeclareEventFromFields(t *testing.T) {
	h := newHarness(t)
	h.handle(muster.Event{Kind: muster.EventCommand, User: "alice", Room: lobby, Text: "declare",
		Declare: &muster.Declaration{Title: "private sev1 thing", Severity: "SEV2", Description: "since 03:00"}})
	inc := h.incident(1)
	if inc.Title != "private sev1 thing" || inc.Severity != "SEV2" || inc.Private || inc.Declarer != "alice" || inc.Description != "since 03:00" {
		t.Errorf("declared %+v", inc)
	}
}
