package templates

import (
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

// row is one timeline entry, formatted for a table cell by cell. The
// cells are slices of the prebuilt table (view.TimelineTable).
type row struct {
	Time string // "2026-11-22 03:04:05", UTC
	Who  string
	Kind string // "message", "severity", "handoff", …
	What string // text, with "(edited)"/"(deleted)" marks and earlier versions
	Key  bool

	at   time.Time
	kind muster.EntryKind
}

var kindLabels = map[muster.EntryKind]string{
	muster.EntryMessage:    "message",
	muster.EntryDeclared:   "declared",
	muster.EntrySeverity:   "severity",
	muster.EntryStatus:     "status",
	muster.EntryRole:       "role",
	muster.EntryHandoff:    "handoff",
	muster.EntryUpdate:     "update",
	muster.EntryNote:       "note",
	muster.EntryAction:     "action item",
	muster.EntryActionDone: "action done",
	muster.EntryReminder:   "reminder",
	muster.EntryEscalation: "escalation",
	muster.EntrySnooze:     "snooze",
	muster.EntryResolved:   "resolved",
	muster.EntryReopened:   "reopened",
	muster.EntryTimes:      "milestone",
}

func kindLabel(k muster.EntryKind) string {
	if s, ok := kindLabels[k]; ok {
		return s
	}
	return string(k)
}

// timeline writes the timeline table and the key-events table of entries
// (in time order), each in one buffer, so that the template does not run
// an action per cell of a long timeline; the rows' cells stay available
// to a template, as slices of the table. It also picks the status updates.
func (v *view) timeline(entries []muster.Entry, n *namer) {
	size := 0
	for _, e := range entries {
		size += 96 + len(e.Text) + len(e.Text)/4
		for _, ed := range e.Edits {
			size += 16 + len(ed.Previous) + len(ed.Previous)/4
		}
	}

	var tb, kb strings.Builder // timeline, key events
	tb.Grow(size)
	v.Timeline = make([]row, len(entries))
	for k, e := range entries {
		r := writeRow(&tb, e, n)
		v.Timeline[k] = r
		if e.Key {
			kb.WriteString("| " + r.Time + " | " + r.Who + " | " + r.Kind + " | " + r.What + " |\n")
			v.KeyEvents = append(v.KeyEvents, r)
		}
		if e.Kind == muster.EntryUpdate && !e.Deleted() {
			v.Updates = append(v.Updates, update{stamp(e.At), n.actor(e.Actor), listItem(n.text(e.Text))})
		}
	}
	v.TimelineTable, v.KeyEventsTable = tb.String(), kb.String()
}

// writeRow writes the table row of e, with 📌 before the kind of a key
// event, and returns its cells.
func writeRow(b *strings.Builder, e muster.Entry, n *namer) row {
	r := row{Key: e.Key, at: e.At, kind: e.Kind}
	cell := func(write func()) string {
		start := b.Len()
		write()
		return b.String()[start:b.Len()]
	}
	b.WriteString("| ")
	r.Time = cell(func() { writeStamp(b, e.At) })
	b.WriteString(" | ")
	r.Who = cell(func() { writeCell(b, n.actor(e.Actor)) })
	b.WriteString(" | ")
	if e.Key {
		b.WriteString("📌 ")
	}
	r.Kind = cell(func() { b.WriteString(kindLabel(e.Kind)) })
	b.WriteString(" | ")
	r.What = cell(func() { writeWhat(b, e, n) })
	b.WriteString(" |\n")
	return r
}

// writeStamp writes t in UTC as 2006-01-02 15:04:05. It is written by
// hand because every row of a timeline has one and the layout never
// changes, so time.Format's reading of a layout would be repeated for
// nothing; a year outside 0–9999 goes to time.Format.
func writeStamp(b *strings.Builder, t time.Time) {
	t = t.UTC()
	year, month, day := t.Date()
	hour, min, sec := t.Clock()
	if year < 0 || year > 9999 {
		b.WriteString(t.Format(rowLayout))
		return
	}
	var buf [19]byte
	put := func(i, v, width int) {
		for w := width - 1; w >= 0; w-- {
			buf[i+w] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, year, 4)
	buf[4] = '-'
	put(5, int(month), 2)
	buf[7] = '-'
	put(8, day, 2)
	buf[10] = ' '
	put(11, hour, 2)
	buf[13] = ':'
	put(14, min, 2)
	buf[16] = ':'
	put(17, sec, 2)
	b.Write(buf[:])
}

// writeWhat writes an entry's text as the review should read it: the
// current text and every earlier version of an edited message. A deleted
// message shows only that it was deleted: people delete what should never
// have been posted (a token, a customer's data), and the draft is shared
// widely. The store keeps the text for whoever audits the record.
func writeWhat(b *strings.Builder, e muster.Entry, n *namer) {
	if e.Deleted() {
		b.WriteString("_(message deleted)_")
		return
	}
	n.writeCell(b, strings.TrimSpace(e.Text))
	if len(e.Edits) > 0 {
		b.WriteString(" _(edited)_")
	}
	for i, ed := range e.Edits {
		if i == 0 {
			b.WriteString(" — earlier: “")
		} else {
			b.WriteString(" → “")
		}
		n.writeCell(b, strings.TrimSpace(ed.Previous))
		b.WriteString("”")
	}
}

// size estimates the length of the draft, to allocate it once.
func (v *view) size() int {
	n := 8<<10 + len(v.TimelineTable) + len(v.KeyEventsTable)
	for _, u := range v.Updates {
		n += len(u.Time) + len(u.Who) + len(u.Text) + 12
	}
	return n
}
