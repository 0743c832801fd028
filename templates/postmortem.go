// Package templates renders the documents muster writes from an incident
// record. Today that is the postmortem draft, a Markdown file built from
// the embedded postmortem.md.tmpl or from an override of it.
package templates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/template"
	"time"

	"github.com/muster-bot/muster"
)

// PostmortemFile is the name of the postmortem template, both embedded and
// in an override directory.
const PostmortemFile = "postmortem.md.tmpl"

//go:embed postmortem.md.tmpl
var embedded embed.FS

// Postmortem is a parsed postmortem template, safe for concurrent use.
type Postmortem struct {
	tmpl *template.Template
	path string // where the template came from, for error messages
}

// Data is what a postmortem is rendered from.
type Data struct {
	Incident *muster.Incident
	Timeline []muster.Entry
	Roles    muster.Roles // display names of roles; nil means muster.DefaultRoles()
	// Now is the time of rendering, shown as "Draft generated at". The
	// package never reads the clock itself.
	Now time.Time
	// Names maps a user id to a display name; nil, or an empty result,
	// shows the id.
	Names func(id string) string
	// Severities is the configured ladder. Optional: with it the draft
	// measures whether status updates kept to each severity's cadence.
	Severities muster.Severities
}

// funcs are the functions a postmortem template may call besides the
// built-in ones: duration spells a time.Duration the way muster's messages
// do ("1h58m"), for the view's muster.Cadence.
var funcs = template.FuncMap{"duration": muster.FormatDuration}

// New loads the embedded postmortem template or, when dir is not empty,
// the file postmortem.md.tmpl in dir, which overrides it. A missing or
// broken override is an error naming its path. The template is also run
// once on a sample incident, so that a reference to a field that does not
// exist is reported here, at start-up, rather than at the first resolve.
func New(dir string) (*Postmortem, error) {
	var (
		src  []byte
		path = "embedded " + PostmortemFile
		err  error
	)
	if dir == "" {
		src, err = embedded.ReadFile(PostmortemFile)
	} else {
		path = filepath.Join(dir, PostmortemFile)
		src, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("load postmortem template %s: %w", path, err)
	}
	tmpl, err := template.New(PostmortemFile).Option("missingkey=error").Funcs(funcs).Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("parse postmortem template %s: %w", path, err)
	}
	p := &Postmortem{tmpl: tmpl, path: path}
	for _, d := range samples() {
		if err := p.Render(io.Discard, d); err != nil {
			return nil, fmt.Errorf("check postmortem template %s: %w", path, err)
		}
	}
	return p, nil
}

// Render writes the postmortem draft of d.Incident to w. Nothing is
// written when the template fails, so w never holds half a document.
func (p *Postmortem) Render(w io.Writer, d Data) error {
	if d.Incident == nil {
		return errors.New("render postmortem: no incident")
	}
	v := newView(d)
	var buf bytes.Buffer
	buf.Grow(v.size())
	if err := p.tmpl.Execute(&buf, v); err != nil {
		return fmt.Errorf("render postmortem of %s with %s: %w", d.Incident.Ref(), p.path, err)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("write postmortem of %s: %w", d.Incident.Ref(), err)
	}
	return nil
}

// samples are two small incidents, one with every kind of data and one
// just declared, that between them reach every branch of the template.
// New renders them to check an override before it is needed.
func samples() []Data {
	at := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	inc := &muster.Incident{
		ID: 1, Title: "Sample", Severity: "SEV1", Status: muster.StatusResolved,
		Declarer: "u1", RoomName: "inc-1-sample", Description: "d", Summary: "s", Private: true,
		Roles:        map[string]string{muster.RoleIC: "u2"},
		RoleLog:      []muster.RoleChange{{Role: muster.RoleIC, User: "u1", By: "u1", At: at}, {Role: muster.RoleIC, User: "u2", From: "u1", By: "u1", At: at.Add(time.Minute)}},
		SeverityLog:  []muster.SeverityChange{{From: "SEV2", To: "SEV1", By: "u1", At: at}},
		Participants: []string{"u1"},
		Services:     []string{"s1"},
		Actions: []muster.ActionItem{{Number: 1, Text: "a", Owner: "u1", Due: at, Priority: muster.P0, Done: true, DoneAt: at,
			Tracker: muster.TrackerIssue{Key: "OPS-1", URL: "https://acme.atlassian.net/browse/OPS-1"}}},
		StartedAt:      at.Add(-2 * time.Minute),
		DetectedAt:     at.Add(-time.Minute),
		DeclaredAt:     at,
		AcknowledgedAt: at, MitigatedAt: at, ResolvedAt: at.Add(time.Hour),
	}
	tl := []muster.Entry{
		{Seq: 1, Kind: muster.EntryDeclared, At: at, Actor: "u1", Text: "Declared", Key: true},
		{Seq: 2, Kind: muster.EntryMessage, At: at, Actor: "u1", Text: "m", Edits: []muster.Edit{{At: at, Previous: "n"}}, DeletedAt: at},
		{Seq: 3, Kind: muster.EntryUpdate, At: at, Actor: "u1", Text: "u", Key: true},
		{Seq: 4, Kind: muster.EntryReminder, At: at, Text: "r"},
		{Seq: 5, Kind: muster.EntryResolved, At: at.Add(time.Hour), Actor: "u1", Text: "Resolved", Key: true},
	}
	bare := &muster.Incident{ID: 2, Title: "Bare", Severity: "SEV3", Status: muster.StatusInvestigating, DeclaredAt: at}
	return []Data{
		{Incident: inc, Timeline: tl, Now: at, Severities: muster.DefaultSeverities()},
		{Incident: bare},
	}
}
