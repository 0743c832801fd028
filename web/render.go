package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/muster-bot/muster"
)

// timeLayout shows every time in UTC with its zone spelled out, so that a
// reader in another zone never guesses.
const timeLayout = "2006-01-02 15:04 MST"

func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format(timeLayout)
		},
		"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"duration": func(d time.Duration) string {
			if d <= 0 {
				return "—"
			}
			return muster.FormatDuration(d)
		},
		"sevclass": s.sevClass,
		"signin":   func() bool { return s.cfg.SignIn != nil },
		"who":      s.who,
		// text shows a message with its mentions as names.
		"text": func(t string) string { return muster.ReplaceMentions(t, s.who) },
	}
}

// who is how a person is shown: their name when Config.Names knows it,
// else @ and their chat id.
func (s *Server) who(id string) string {
	if id == "" {
		return "nobody"
	}
	if s.cfg.Names != nil {
		if name := s.cfg.Names(id); name != "" {
			return "@" + name
		}
	}
	return "@" + id
}

// sevClass is the CSS class of a severity: sev1 for the most severe of the
// ladder, sev2 for the next, and so on (the stylesheet colours five).
func (s *Server) sevClass(name string) string {
	_, rank, ok := s.cfg.Severities.Find(name)
	if !ok {
		return "sev-unknown"
	}
	return fmt.Sprintf("sev%d", min(rank+1, 5))
}

// render writes page with data, or a plain 500 when the template fails
// (nothing half-written reaches the reader).
func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, page string, data any) {
	var buf bytes.Buffer
	if err := s.pages[page].Execute(&buf, data); err != nil {
		s.log.Error().Err(err).Str("page", page).Str("path", r.URL.Path).Msg("render web page")
		http.Error(w, "The page could not be rendered; the error is logged.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = buf.WriteTo(w)
}

// errorPage is the page for a refused or failed request: not found, bad
// input (naming what was wrong), or an internal error.
type errorPage struct {
	Title   string
	Message string
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := status(err)
	s.render(w, r, code, "error", errorPage{Title: http.StatusText(code), Message: s.message(r, err)})
}
