// Package ack measures how a chat platform's requests are acknowledged:
// the status written and the time from receipt to the acknowledgement.
package ack

import (
	"net/http"
	"time"
)

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
