// Package faketeams is a stateful, in-process fake of the Microsoft services a
// Teams bot talks to, for tests. One httptest server on the loopback
// interface plays four roles:
//
//   - login.botframework.com: OpenID metadata and the JWKS that sign the
//     tokens the Bot Connector sends to the bot (Token mints them);
//   - login.microsoftonline.com: the client-credentials token endpoint the
//     bot gets its outbound tokens from;
//   - the Bot Connector (smba.trafficmanager.net): create a conversation in a
//     channel, post, reply, update, list members;
//   - Microsoft Graph: create and list channels in a team.
//
// State lives in the Server value, never in package variables, so tests that
// each make their own Server can run with t.Parallel(). Every request is
// recorded, and any route can be told to fail (Fail) or to drop the
// connection without answering (Unreachable).
package faketeams

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Route names, for Fail, Unreachable, Restore and Request.Route.
const (
	RouteOpenID              = "openid"
	RouteKeys                = "keys"
	RouteToken               = "token"
	RouteConversationsCreate = "conversations.create"
	RouteActivitiesPost      = "activities.post"
	RouteActivitiesPut       = "activities.put"
	RouteMembers             = "members"
	RoutePagedMembers        = "members.paged"
	RouteGraphChannels       = "graph.channels"
	RouteGraphChannelsList   = "graph.channels.list"
)

var routeNames = []string{
	RouteOpenID, RouteKeys, RouteToken, RouteConversationsCreate,
	RouteActivitiesPost, RouteActivitiesPut, RouteMembers, RoutePagedMembers,
	RouteGraphChannels, RouteGraphChannelsList,
}

// Request is one request the server received.
type Request struct {
	Method string
	Path   string
	Route  string // one of the Route constants, "" if nothing matched
	Status int    // 0 when the connection was dropped (Unreachable)
}

// Server is the fake. Make one with New and Close it when done.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	keys     []signingKey // the last one signs; all are published
	stranger *signingKey  // made on first use by SignedByStranger

	appID, password, tenant string
	accessTokens            map[string]string // access token → scope
	tokenRequests           []TokenRequest

	teams    map[string]*team  // by team id
	channels map[string]string // channel id → team id
	posted   []*Posted
	nextID   int64

	failures    map[string][]failure
	unreachable map[string]bool
	requests    []Request
}

// New starts a fake with one signing key, no teams and no credentials: call
// SetCredentials before the bot asks for a token.
func New() *Server {
	s := &Server{
		accessTokens: map[string]string{},
		teams:        map[string]*team{},
		channels:     map[string]string{},
		nextID:       1700000000000, // Teams message ids are epoch milliseconds
		failures:     map[string][]failure{},
		unreachable:  map[string]bool{},
	}
	s.keys = []signingKey{newSigningKey()}
	s.srv = httptest.NewServer(s)
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// URL is the server's base address, without a trailing slash.
func (s *Server) URL() string { return s.srv.URL }

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, args []string)

// ServeHTTP routes by hand rather than with http.ServeMux, because the mux
// answers a path with "//" (serviceUrl ends in "/", and clients often add
// another) with a redirect that turns a POST into a GET.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, h, args := s.match(r.Method, r.URL.Path)

	s.mu.Lock()
	drop := name != "" && s.unreachable[name]
	var f *failure
	if q := s.failures[name]; !drop && len(q) > 0 {
		injected := q[0]
		f = &injected
		if q[0].times--; q[0].times <= 0 {
			s.failures[name] = q[1:]
		}
	}
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Route: name})
	idx := len(s.requests) - 1
	s.mu.Unlock()

	if drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // closes the connection without a response
	}

	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		s.mu.Lock()
		s.requests[idx].Status = rec.status
		s.mu.Unlock()
	}()
	switch {
	case f != nil:
		f.write(rec, name)
	case h == nil:
		writeJSON(rec, http.StatusNotFound, map[string]any{"error": map[string]any{
			"code": "NotFound", "message": "faketeams: no route for " + r.Method + " " + r.URL.Path}})
	default:
		h(rec, r, args)
	}
}

// match finds the route for a method and path; args are the path parameters.
func (s *Server) match(method, path string) (string, handlerFunc, []string) {
	var seg []string
	for _, p := range strings.Split(path, "/") {
		if p != "" {
			seg = append(seg, p)
		}
	}
	is := func(m string, want ...string) bool {
		if method != m || len(seg) != len(want) {
			return false
		}
		for i, w := range want {
			if w != "*" && w != seg[i] {
				return false
			}
		}
		return true
	}
	switch {
	case is("GET", "v1", ".well-known", "openidconfiguration"):
		return RouteOpenID, s.handleOpenID, nil
	case is("GET", "keys"):
		return RouteKeys, s.handleKeys, nil
	case is("POST", "login", "*", "oauth2", "v2.0", "token"):
		return RouteToken, s.handleToken, []string{seg[1]}
	case is("POST", "connector", "v3", "conversations"):
		return RouteConversationsCreate, s.handleCreateConversation, nil
	case is("POST", "connector", "v3", "conversations", "*", "activities"):
		return RouteActivitiesPost, s.handlePostActivity, []string{seg[3], ""}
	case is("POST", "connector", "v3", "conversations", "*", "activities", "*"):
		return RouteActivitiesPost, s.handlePostActivity, []string{seg[3], seg[5]}
	case is("PUT", "connector", "v3", "conversations", "*", "activities", "*"):
		return RouteActivitiesPut, s.handlePutActivity, []string{seg[3], seg[5]}
	case is("GET", "connector", "v3", "conversations", "*", "members"):
		return RouteMembers, s.handleMembers, []string{seg[3]}
	case is("GET", "connector", "v3", "conversations", "*", "pagedmembers"):
		return RoutePagedMembers, s.handlePagedMembers, []string{seg[3]}
	case is("POST", "graph", "v1.0", "teams", "*", "channels"):
		return RouteGraphChannels, s.handleCreateChannel, []string{seg[3]}
	case is("GET", "graph", "v1.0", "teams", "*", "channels"):
		return RouteGraphChannelsList, s.handleListChannels, []string{seg[3]}
	}
	return "", nil, nil
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
