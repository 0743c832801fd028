package web

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// feedEntries is how many posts the feed carries, newest first.
const feedEntries = 50

// The Atom 1.0 document (RFC 4287), as much of it as the feed uses.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomPerson  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	ID        string   `xml:"id"`
	Title     string   `xml:"title"`
	Updated   string   `xml:"updated"`
	Published string   `xml:"published"`
	Link      atomLink `xml:"link"`
	Content   atomText `xml:"content"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

// feedID is the feed's own id; entries' ids extend it with the
// incident's public id and the post's number, so they never change.
const feedID = "urn:muster:status"

// atom serves GET /status/feed.atom: one entry per public post of the
// history window, newest first. Links are relative to the feed (RFC 4287
// allows it), since muster may not know the address it is reached at.
func (p *StatusPages) atom(w http.ResponseWriter, r *http.Request) {
	v, err := p.state(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	f := atomFeed{
		ID: feedID, Title: v.Title, Updated: v.UpdatedAt.UTC().Format(time.RFC3339),
		Author: atomPerson{Name: v.Title},
		Links:  []atomLink{{Rel: "self", Type: "application/atom+xml", Href: "/status/feed.atom"}, {Rel: "alternate", Type: "text/html", Href: "/status"}},
	}
	for i, e := range v.feed {
		if i == feedEntries {
			break
		}
		at := e.Post.At.UTC().Format(time.RFC3339)
		f.Entries = append(f.Entries, atomEntry{
			ID:      feedID + ":" + strings.ReplaceAll(e.ID, "/", ":"),
			Title:   fmt.Sprintf("%s — %s", statusWord(string(e.Post.Status)), e.Incident),
			Updated: at, Published: at,
			Link:    atomLink{Rel: "alternate", Type: "text/html", Href: "/status"},
			Content: atomText{Type: "text", Body: e.Post.Text},
		})
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(f); err != nil {
		p.fail(w, r, fmt.Errorf("encode status feed: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = buf.WriteTo(w)
}

// statusWord is an incident status as a heading: "Investigating".
func statusWord(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
