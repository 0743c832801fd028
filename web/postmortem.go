package web

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/muster-bot/muster/templates"
)

// postmortemMarkdown serves GET /incidents/<n>/postmortem.md: the draft as
// of now, rendered by the same template as the one posted at resolve, as
// a download.
func (s *Server) postmortemMarkdown(w http.ResponseWriter, r *http.Request) {
	inc, _, err := s.lookup(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.cfg.Postmortem == nil {
		s.fail(w, r, fmt.Errorf("render postmortem of %s: no postmortem template configured", inc.Ref()))
		return
	}
	timeline, err := s.store.Timeline(r.Context(), inc.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	err = s.cfg.Postmortem.Render(&buf, templates.Data{Incident: inc, Timeline: timeline, Roles: s.cfg.Roles, Severities: s.cfg.Severities, Now: s.now()})
	if err != nil {
		s.fail(w, r, fmt.Errorf("render postmortem of %s: %w", inc.Ref(), err))
		return
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", inc.Ref()+"-postmortem.md"))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(w)
}
