package faketeams

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
)

type failure struct {
	times, status, retryAfter int
}

// Fail makes the next times requests to route (a Route constant, e.g.
// "token", "graph.channels", "conversations.create", "activities.post",
// "activities.put") answer status instead of being served. A retryAfter
// above zero is sent as the Retry-After header (seconds), as Microsoft's
// services do with 429 and 503. Calls queue up: Fail(r, 1, 429, 2) then
// Fail(r, 1, 500, 0) fails the next request with 429 and the one after it
// with 500. Injected failures are answered before authentication. An unknown
// route name panics, since it is a mistake in the test.
func (s *Server) Fail(route string, times int, status int, retryAfter int) {
	mustRoute(route)
	if times < 1 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[route] = append(s.failures[route], failure{times: times, status: status, retryAfter: retryAfter})
}

// Unreachable makes every request to route have its connection closed
// without a response, so an HTTP client gets an error (typically EOF), not a
// status: the "token endpoint unreachable" case. Go's client may resend an
// idempotent request once on a fresh connection, so Requests can show two
// attempts for one call. Restore undoes it.
func (s *Server) Unreachable(route string) {
	mustRoute(route)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unreachable[route] = true
}

// Restore clears pending Fail injections and Unreachable for route.
func (s *Server) Restore(route string) {
	mustRoute(route)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.unreachable, route)
	delete(s.failures, route)
}

func mustRoute(route string) {
	if !slices.Contains(routeNames, route) {
		panic(fmt.Sprintf("faketeams: unknown route %q (known: %v)", route, routeNames))
	}
}

// write answers with the error body the real service of that route uses.
func (f failure) write(w http.ResponseWriter, route string) {
	if f.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
	}
	msg := fmt.Sprintf("faketeams: injected failure %d", f.status)
	switch route {
	case RouteToken:
		code := "temporarily_unavailable"
		if f.status < 500 && f.status != http.StatusTooManyRequests {
			code = "invalid_request"
		}
		writeJSON(w, f.status, map[string]any{"error": code, "error_description": msg})
	default:
		code := "ServiceError"
		switch {
		case f.status == http.StatusTooManyRequests:
			code = "TooManyRequests"
		case f.status == http.StatusServiceUnavailable:
			code = "ServiceUnavailable"
		case f.status == http.StatusUnauthorized:
			code = "Unauthorized"
		case f.status == http.StatusForbidden:
			code = "Forbidden"
		case f.status == http.StatusNotFound:
			code = "NotFound"
		case f.status < 500:
			code = "BadRequest"
		}
		writeJSON(w, f.status, map[string]any{"error": map[string]any{"code": code, "message": msg}})
	}
}
