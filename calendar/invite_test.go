package calendar_test

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ics "github.com/arran4/golang-ical"

	"github.com/muster-bot/muster/calendar"
)

func review() calendar.Invite {
	start := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	return calendar.Invite{
		UID:         "muster-INC-12-review@muster.example.com",
		Start:       start,
		End:         start.Add(time.Hour),
		Stamp:       time.Date(2026, 12, 4, 16, 0, 5, 0, time.UTC),
		Summary:     "Review of INC-12: Checkout is returning 500s; payments, too",
		Description: "Postmortem draft: https://muster.example.com/incidents/12/postmortem\nBring the timeline. Ünïcödé " + strings.Repeat("ß", 60),
		URL:         "https://muster.example.com/incidents/12/postmortem",
		Organizer:   calendar.Person{Name: "Doe, Jane", Email: "jane@example.com"},
		Participants: []calendar.Person{
			{Name: "Doe, Jane", Email: "jane@example.com"},
			{Name: `Bob "the builder" Smith`, Email: "bob@example.com"},
			{Name: "Carol", Email: ""},
			{Name: "", Email: "dave@example.com"},
		},
	}
}

func TestInviteParsesAndNamesTheParticipants(t *testing.T) {
	data, err := review().ICS()
	if err != nil {
		t.Fatal(err)
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, data)
	}
	if m := calProp(cal, ics.PropertyMethod); m != "REQUEST" {
		t.Errorf("METHOD = %q, want REQUEST", m)
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	ev := evs[0]
	if ev.Id() != "muster-INC-12-review@muster.example.com" {
		t.Errorf("UID = %q", ev.Id())
	}
	start, err := ev.GetStartAt()
	if err != nil || !start.Equal(review().Start) {
		t.Errorf("DTSTART = %s, %v", start, err)
	}
	end, err := ev.GetEndAt()
	if err != nil || !end.Equal(review().End) {
		t.Errorf("DTEND = %s, %v", end, err)
	}
	if s := ics.FromText(ev.GetProperty(ics.ComponentPropertySummary).Value); s != review().Summary {
		t.Errorf("SUMMARY = %q", s)
	}
	desc := ics.FromText(ev.GetProperty(ics.ComponentPropertyDescription).Value)
	if !strings.HasPrefix(desc, review().Description) || !strings.HasSuffix(desc, "Also invited (no e-mail known): Carol") {
		t.Errorf("DESCRIPTION = %q", desc)
	}
	org := ev.GetProperty(ics.ComponentPropertyOrganizer)
	if org.Value != "mailto:jane@example.com" || org.ICalParameters["CN"][0] != "Doe, Jane" {
		t.Errorf("ORGANIZER = %+v", org)
	}
	type who struct{ email, cn string }
	var got []who
	for _, a := range ev.Attendees() {
		cn := ""
		if v := a.ICalParameters["CN"]; len(v) > 0 {
			cn = v[0]
		}
		got = append(got, who{a.Email(), cn})
		if a.ParticipationStatus() != ics.ParticipationStatusNeedsAction {
			t.Errorf("PARTSTAT of %s = %s", a.Email(), a.ParticipationStatus())
		}
	}
	want := []who{{"jane@example.com", "Doe, Jane"}, {"bob@example.com", "Bob 'the builder' Smith"}, {"dave@example.com", ""}}
	if len(got) != len(want) {
		t.Fatalf("attendees %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("attendee %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func calProp(cal *ics.Calendar, p ics.Property) string {
	for _, cp := range cal.CalendarProperties {
		if cp.IANAToken == string(p) {
			return cp.Value
		}
	}
	return ""
}

func TestInviteLinesAreFoldedCRLFAndAtMost75Octets(t *testing.T) {
	data, err := review().ICS()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(data, []byte("END:VCALENDAR\r\n")) {
		t.Error("does not end with END:VCALENDAR CRLF")
	}
	folded := 0
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n") {
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare CR or LF: %q", i, line)
		}
		if len(line) > 75 {
			t.Errorf("line %d is %d octets: %q", i, len(line), line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("line %d splits a UTF-8 sequence: %q", i, line)
		}
		if strings.HasPrefix(line, " ") {
			folded++
		}
	}
	if folded == 0 {
		t.Error("no line was folded; the description should have been")
	}
	for _, want := range []string{
		"ORGANIZER;CN=\"Doe, Jane\":mailto:jane@example.com\r\n",
		"SUMMARY:Review of INC-12: Checkout is returning 500s\\; payments\\, too\r\n",
		"DTSTART:20261207T080000Z\r\n",
		"DTSTAMP:20261204T160005Z\r\n",
	} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("missing %q in\n%s", want, data)
		}
	}
}

func TestInviteWithoutTheOrganizersEmailIsPublished(t *testing.T) {
	inv := review()
	inv.Organizer.Email = ""
	data, err := inv.ICS()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("METHOD:PUBLISH\r\n")) || bytes.Contains(data, []byte("ORGANIZER")) {
		t.Errorf("want METHOD:PUBLISH and no ORGANIZER:\n%s", data)
	}
}

func TestInviteRefusesABadTime(t *testing.T) {
	inv := review()
	inv.End = inv.Start
	if _, err := inv.ICS(); err == nil {
		t.Error("an event ending at its start was written")
	}
	inv = review()
	inv.UID = ""
	if _, err := inv.ICS(); err == nil {
		t.Error("an event without a UID was written")
	}
}
