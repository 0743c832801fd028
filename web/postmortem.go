package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"reflect"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/templates"
)

// postmortemMarkdown serves GET /incidents/<n>/postmortem.md: the draft as
// of now, rendered by the same template as the one posted at resolve, as
// a download.
func (s *Server) postmortemMarkdown(w http.ResponseWriter, r *http.Request) {
	inc, md, err := s.postmortem(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", inc.Ref()+"-postmortem.md"))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = md.WriteTo(w)
}

// markdown turns the postmortem's Markdown into HTML. The draft's layout
// is a template an operator may replace, so the page converts whatever
// Markdown it produces rather than laying out the template's data a second
// time in HTML. goldmark, not a converter of our own: Markdown has too many
// corners to get right twice. Whatever looks like HTML in the draft was
// written by people (a title, a message), so it is shown as text (see
// htmlAsText), and goldmark's safe defaults link no javascript: URL.
// Tables come from the GFM extension, their alignment left to the
// stylesheet: the pages' policy allows no inline style.
var markdown = goldmark.New(
	goldmark.WithParser(parser.NewParser(
		parser.WithBlockParsers(blockParsers()...),
		parser.WithInlineParsers(parser.DefaultInlineParsers()...),
		parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
		parser.WithASTTransformers(util.Prioritized(htmlAsText{}, 1000)),
	)),
	goldmark.WithExtensions(
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignNone)),
		extension.Strikethrough,
	),
)

// blockParsers are goldmark's without the HTML block: a line of HTML is a
// paragraph, whose tags htmlAsText shows as text.
func blockParsers() []util.PrioritizedValue {
	html := reflect.TypeOf(parser.NewHTMLBlockParser())
	var out []util.PrioritizedValue
	for _, p := range parser.DefaultBlockParsers() {
		if reflect.TypeOf(p.Value) != html {
			out = append(out, p)
		}
	}
	return out
}

// htmlAsText replaces inline HTML with its text, escaped when rendered,
// so that "<script>" in a title reads as written. The one tag the
// template itself writes, <br> for a newline inside a table cell, stays a
// line break.
type htmlAsText struct{}

func (htmlAsText) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	var raws []*ast.RawHTML
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if r, ok := n.(*ast.RawHTML); ok && entering {
			raws = append(raws, r)
		}
		return ast.WalkContinue, nil
	})
	src := reader.Source()
	for _, r := range raws {
		var tag []byte
		for i := range r.Segments.Len() {
			seg := r.Segments.At(i)
			tag = append(tag, seg.Value(src)...)
		}
		var text ast.Node = ast.NewString(tag)
		if strings.EqualFold(string(tag), "<br>") {
			br := ast.NewText()
			br.SetHardLineBreak(true)
			text = br
		}
		r.Parent().ReplaceChild(r.Parent(), r, text)
	}
}

type postmortemView struct {
	Inc  *muster.Incident
	Body template.HTML // the draft, converted from its Markdown
}

// postmortemPage serves GET /incidents/<n>/postmortem: the draft the .md
// download holds, as a page.
func (s *Server) postmortemPage(w http.ResponseWriter, r *http.Request) {
	inc, md, err := s.postmortem(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body bytes.Buffer
	if err := markdown.Convert(md.Bytes(), &body); err != nil {
		s.fail(w, r, fmt.Errorf("convert postmortem of %s to HTML: %w", inc.Ref(), err))
		return
	}
	// Safe to mark as HTML: goldmark escaped the text, htmlAsText the tags.
	s.render(w, r, http.StatusOK, "postmortem", postmortemView{Inc: inc, Body: template.HTML(body.String())})
}

// postmortem renders the draft of the request's incident as of now.
func (s *Server) postmortem(r *http.Request) (*muster.Incident, *bytes.Buffer, error) {
	inc, _, err := s.lookup(r)
	if err != nil {
		return nil, nil, err
	}
	if s.cfg.Postmortem == nil {
		return nil, nil, fmt.Errorf("render postmortem of %s: no postmortem template configured", inc.Ref())
	}
	timeline, err := s.store.Timeline(r.Context(), inc.ID)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	err = s.cfg.Postmortem.Render(&buf, templates.Data{Incident: inc, Timeline: timeline, Roles: s.cfg.Roles, Severities: s.cfg.Severities, Now: s.now()})
	if err != nil {
		return nil, nil, fmt.Errorf("render postmortem of %s: %w", inc.Ref(), err)
	}
	return inc, &buf, nil
}
