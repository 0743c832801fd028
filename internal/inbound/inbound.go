// Package inbound is what every endpoint a chat platform or alerting
// calls does before its own work: read the body, bounded, with the right
// status for a body too big or too slow, a gate on how many are read at
// once before anyone proved who sent them, and the measure of how each
// request was acknowledged.
package inbound

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/rs/zerolog"
)

// Read returns the request body, at most limit bytes. On failure it has
// already answered: 413 for a body over the limit, 408 for one not
// received before the connection's read deadline, 400 for one that could
// not be read.
func Read(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	b, err := read(w, r, limit)
	return b, err == nil
}

func read(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err == nil {
		return b, nil
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
	case errors.Is(err, os.ErrDeadlineExceeded):
		http.Error(w, "request body not received in time", http.StatusRequestTimeout)
	default:
		http.Error(w, "cannot read request body", http.StatusBadRequest)
	}
	return nil, err
}

// Gate bounds how many bodies are read at once, before anything has
// proved who sent them: each may be a megabyte held in memory, and
// without a bound a flood of unsigned bodies fills it. The HTTP server's
// read deadline cuts off a client that sends slowly; the gate logs it.
type Gate struct {
	slots chan struct{}
	log   zerolog.Logger
}

// NewGate returns a gate letting n bodies be read at once.
func NewGate(n int, log zerolog.Logger) *Gate {
	return &Gate{slots: make(chan struct{}, max(n, 1)), log: log}
}

// RetryAfter is what a request refused at a full gate is told to wait, in
// seconds: bodies are read in milliseconds, unless a client is cut off.
const RetryAfter = "1"

// Read is Read within a free slot of the gate; with none free it answers
// 503 with Retry-After at once rather than queue. A nil gate has no bound.
func (g *Gate) Read(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	if g == nil {
		return Read(w, r, limit)
	}
	select {
	case g.slots <- struct{}{}:
	default:
		g.log.Info().Str("path", r.URL.Path).Str("remote", r.RemoteAddr).Int("max_pending_bodies", cap(g.slots)).
			Msg("refused a request: too many request bodies are being read at once")
		w.Header().Set("Retry-After", RetryAfter)
		http.Error(w, "too many requests at once; retry shortly", http.StatusServiceUnavailable)
		return nil, false
	}
	defer func() { <-g.slots }()
	b, err := read(w, r, limit)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		g.log.Info().Str("path", r.URL.Path).Str("remote", r.RemoteAddr).Int64("content_length", r.ContentLength).
			Msg("cut off a client that did not send its request body within http.read_timeout")
	}
	return b, err == nil
}

// Observed calls next, then observe with kind, the status next answered
// with and how long it took. The time is the real clock's, not the
// platform's Now, which tests move.
func Observed(kind string, observe func(kind string, code int, d time.Duration), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK // nothing written: net/http answers 200
		}
		observe(kind, sw.code, time.Since(start))
	})
}

// statusWriter remembers the status of the answer.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
