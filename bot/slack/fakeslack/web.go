package fakeslack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// params are a call's arguments, flattened to strings.
type params map[string]string

// apiError is a Slack error code, answered as HTTP 200 {"ok":false,"error":code}
// plus any extra fields.
type apiError struct {
	code  string
	extra map[string]any
}

func (e *apiError) Error() string { return e.code }

func slackErr(code string) error { return &apiError{code: code} }

// reply is what the Web API answers.
type reply struct {
	status     int
	retryAfter int
	body       []byte
	text       bool   // body is text/plain rather than JSON
	errCode    string // the Slack error code, for the call record
}

type methodFunc func(p params) (map[string]any, error)

// method returns the handler of a Web API method, or nil if the fake does
// not implement it.
func (s *Server) method(name string) methodFunc {
	switch name {
	case "auth.test":
		return s.authTest
	case "users.info":
		return s.usersInfo
	case "users.lookupByEmail":
		return s.usersLookupByEmail
	case "conversations.create":
		return s.conversationsCreate
	case "conversations.info":
		return s.conversationsInfo
	case "conversations.invite":
		return s.conversationsInvite
	case "conversations.setTopic":
		return func(p params) (map[string]any, error) { return s.setTopicOrPurpose(p, "topic") }
	case "conversations.setPurpose":
		return func(p params) (map[string]any, error) { return s.setTopicOrPurpose(p, "purpose") }
	case "chat.postMessage":
		return s.chatPostMessage
	case "chat.update":
		return s.chatUpdate
	case "chat.postEphemeral":
		return s.chatPostEphemeral
	case "pins.add":
		return s.pinsAdd
	case "views.open":
		return s.viewsOpen
	case "files.getUploadURLExternal":
		return s.filesGetUploadURLExternal
	case "files.completeUploadExternal":
		return s.filesCompleteUploadExternal
	case "apps.connections.open":
		return s.appsConnectionsOpen
	}
	return nil
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/api/")
	p, parseErr := readParams(r)
	token := p["token"]
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		token = strings.TrimPrefix(h, "Bearer ")
	}
	delete(p, "token")

	s.mu.Lock()
	rep := s.handleLocked(name, p, token, parseErr)
	s.calls = append(s.calls, Call{Method: name, Params: p, Status: rep.status, Error: rep.errCode})
	s.mu.Unlock()

	if rep.text {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	if rep.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(rep.retryAfter))
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

// handleLocked answers one call: injected failure first, then unknown
// method, authentication, and the method itself. Call with s.mu held.
func (s *Server) handleLocked(name string, p params, token string, parseErr error) reply {
	if q := s.failures[name]; len(q) > 0 {
		q[0].remaining--
		f := q[0].f
		if q[0].remaining <= 0 {
			s.failures[name] = q[1:]
		}
		return failureReply(f)
	}
	fn := s.method(name)
	if fn == nil {
		return reply{status: http.StatusNotFound, body: okFalse("unknown_method", nil), errCode: "unknown_method"}
	}
	if parseErr != nil {
		return errorReply(slackErr("invalid_form_data"))
	}
	if code := s.checkTokenLocked(name, token); code != "" {
		return errorReply(slackErr(code))
	}
	res, err := fn(p)
	if err != nil {
		return errorReply(err)
	}
	body := map[string]any{"ok": true}
	maps.Copy(body, res)
	b, _ := json.Marshal(body)
	return reply{status: http.StatusOK, body: b}
}

// checkTokenLocked returns the Slack error code for a bad token, or "".
// apps.connections.open takes the app-level token (SetAppToken, or any
// "xapp-" token if none was set); every other method a bot or user token.
func (s *Server) checkTokenLocked(method, token string) string {
	switch {
	case token == "":
		return "not_authed"
	case method == "apps.connections.open":
		if s.appToken != "" && token != s.appToken || s.appToken == "" && !strings.HasPrefix(token, "xapp-") {
			return "invalid_auth"
		}
	case strings.HasPrefix(token, "xapp-"):
		return "not_allowed_token_type"
	case !strings.HasPrefix(token, "xoxb-") && !strings.HasPrefix(token, "xoxp-"):
		return "invalid_auth"
	}
	return ""
}

func failureReply(f Failure) reply {
	switch {
	case f.Status == 0 || f.Status == http.StatusOK:
		code := f.Error
		if code == "" {
			code = "internal_error"
		}
		return reply{status: http.StatusOK, body: okFalse(code, nil), errCode: code}
	case f.Status == http.StatusTooManyRequests:
		code := f.Error
		if code == "" {
			code = "ratelimited"
		}
		return reply{status: f.Status, retryAfter: f.RetryAfter, body: okFalse(code, nil), errCode: code}
	default:
		text := f.Error
		if text == "" {
			text = strings.ToLower(http.StatusText(f.Status))
		}
		return reply{status: f.Status, body: []byte(text + "\n"), text: true, errCode: f.Error}
	}
}

func errorReply(err error) reply {
	e, ok := err.(*apiError)
	if !ok {
		e = &apiError{code: "internal_error", extra: map[string]any{"detail": err.Error()}}
	}
	return reply{status: http.StatusOK, body: okFalse(e.code, e.extra), errCode: e.code}
}

func okFalse(code string, extra map[string]any) []byte {
	body := map[string]any{"ok": false, "error": code}
	maps.Copy(body, extra)
	b, _ := json.Marshal(body)
	return b
}

// readParams reads a call's arguments from a form, multipart form or JSON
// body, plus the query string. Nested JSON values become their JSON text.
func readParams(r *http.Request) (params, error) {
	p := params{}
	for k, v := range r.URL.Query() {
		p[k] = v[0]
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return p, err
		}
		body = bytes.TrimSpace(body)
		if len(body) == 0 || string(body) == "null" {
			return p, nil
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(body, &fields); err != nil {
			return p, fmt.Errorf("decode JSON body: %w", err)
		}
		for k, v := range fields {
			var str string
			if json.Unmarshal(v, &str) == nil {
				p[k] = str
			} else {
				p[k] = string(v)
			}
		}
		return p, nil
	case "multipart/form-data":
		if err := r.ParseMultipartForm(10 << 20); err != nil {
			return p, err
		}
	default:
		if err := r.ParseForm(); err != nil {
			return p, err
		}
	}
	for k, v := range r.Form {
		p[k] = v[0]
	}
	return p, nil
}
