// Package calendar holds what muster puts in people's calendars: the
// review meeting's invite as an RFC 5545 .ics file, and the choice of its
// time inside the review window (review.go).
//
// The .ics is written here rather than with github.com/arran4/golang-ical
// v0.3.4, whose writer ends lines with a bare LF on Unix unless told
// otherwise and escapes a parameter value with backslashes ("CN=Doe\,
// Jane") where RFC 5545 §3.2 wants it in double quotes, which calendar
// clients then show verbatim. One event is a few dozen lines of writing;
// golang-ical's parser reads them back in the tests.
package calendar

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Person is the organizer or a participant of the review.
type Person struct {
	Name  string
	Email string // empty when the chat platform did not tell it
}

// Invite is the review meeting of one incident.
type Invite struct {
	// UID identifies the event in calendars: the same UID sent again
	// updates the meeting instead of adding a second, so it is derived
	// from the incident ("muster-INC-12-review@muster.example.com").
	UID         string
	Start, End  time.Time
	Summary     string // "Review of INC-12: Checkout is returning 500s"
	Description string // plain text: the agenda, the postmortem's link
	URL         string // the postmortem's page
	Organizer   Person // the postmortem's owner
	// Participants are invited as attendees when their e-mail is known;
	// the others are named in the description, since an ATTENDEE must be
	// an address.
	Participants []Person
	// Stamp is when the invite was made (DTSTAMP).
	Stamp time.Time
	// Sequence is 0 for the first invite and grows with each change of
	// the same meeting, so calendars take the newer one.
	Sequence int
}

// ProductID names muster as the maker of its .ics files.
const ProductID = "-//muster//muster review invite//EN"

// ICS returns the invite as an iCalendar object: one VEVENT in UTC,
// METHOD:REQUEST so mail clients offer to accept it. RFC 5546 requires an
// ORGANIZER for a request; without the organizer's e-mail the file is
// METHOD:PUBLISH, which calendars import as a plain event.
func (inv Invite) ICS() ([]byte, error) {
	switch {
	case inv.UID == "":
		return nil, errors.New("write the review invite: no UID")
	case inv.Start.IsZero() || !inv.End.After(inv.Start):
		return nil, fmt.Errorf("write the review invite %s: the end %s is not after the start %s", inv.UID, inv.End, inv.Start)
	}
	var w writer
	w.line("BEGIN", nil, "VCALENDAR")
	w.line("VERSION", nil, "2.0")
	w.line("PRODID", nil, ProductID)
	w.line("CALSCALE", nil, "GREGORIAN")
	request := inv.Organizer.Email != ""
	if request {
		w.line("METHOD", nil, "REQUEST")
	} else {
		w.line("METHOD", nil, "PUBLISH")
	}
	w.line("BEGIN", nil, "VEVENT")
	w.line("UID", nil, text(inv.UID))
	w.line("DTSTAMP", nil, utc(inv.Stamp))
	w.line("DTSTART", nil, utc(inv.Start))
	w.line("DTEND", nil, utc(inv.End))
	w.line("SEQUENCE", nil, fmt.Sprint(inv.Sequence))
	w.line("SUMMARY", nil, text(inv.Summary))
	desc := inv.Description
	var unnamed []string
	for _, p := range inv.Participants {
		if p.Email == "" && p.Name != "" {
			unnamed = append(unnamed, p.Name)
		}
	}
	if len(unnamed) > 0 {
		desc = strings.TrimSpace(desc + "\n\nAlso invited (no e-mail known): " + strings.Join(unnamed, ", "))
	}
	if desc != "" {
		w.line("DESCRIPTION", nil, text(desc))
	}
	if inv.URL != "" {
		w.line("URL", nil, inv.URL)
	}
	if request {
		w.line("ORGANIZER", cn(inv.Organizer.Name), "mailto:"+inv.Organizer.Email)
	}
	seen := map[string]bool{}
	for _, p := range inv.Participants {
		key := strings.ToLower(p.Email)
		if p.Email == "" || seen[key] {
			continue
		}
		seen[key] = true
		params := append(cn(p.Name), [2]string{"ROLE", "REQ-PARTICIPANT"}, [2]string{"PARTSTAT", "NEEDS-ACTION"}, [2]string{"RSVP", "TRUE"})
		w.line("ATTENDEE", params, "mailto:"+p.Email)
	}
	w.line("STATUS", nil, "CONFIRMED")
	w.line("END", nil, "VEVENT")
	w.line("END", nil, "VCALENDAR")
	return w.buf.Bytes(), nil
}

func cn(name string) [][2]string {
	if name == "" {
		return nil
	}
	return [][2]string{{"CN", name}}
}

func utc(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// text escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon,
// comma and newline; other control characters are dropped.
func text(s string) string {
	var b strings.Builder
	for _, r := range strings.ReplaceAll(s, "\r\n", "\n") {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// param writes a parameter value (RFC 5545 §3.2): quoted when it holds
// ':', ';' or ','; a double quote cannot appear even quoted, so it
// becomes a single one, and control characters are dropped.
func param(v string) string {
	v = strings.Map(func(r rune) rune {
		switch {
		case r == '"':
			return '\''
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, v)
	if strings.ContainsAny(v, ":;,") {
		return `"` + v + `"`
	}
	return v
}

// writer writes content lines folded at 75 octets (RFC 5545 §3.1), never
// inside a UTF-8 sequence, each ended with CRLF.
type writer struct{ buf bytes.Buffer }

const maxLine = 75

func (w *writer) line(name string, params [][2]string, value string) {
	var b strings.Builder
	b.WriteString(name)
	for _, p := range params {
		b.WriteString(";" + p[0] + "=" + param(p[1]))
	}
	b.WriteString(":" + value)
	s := b.String()
	limit := maxLine
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		w.buf.WriteString(s[:cut] + "\r\n ")
		s = s[cut:]
		limit = maxLine - 1 // the leading space of a continuation counts
	}
	w.buf.WriteString(s + "\r\n")
}
