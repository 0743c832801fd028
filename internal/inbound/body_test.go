package inbound_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster/internal/inbound"
)

func TestRead(t *testing.T) {
	for _, tt := range []struct {
		in     string
		ok     bool
		status int
	}{{"small", true, 200}, {strings.Repeat("x", 11), false, http.StatusRequestEntityTooLarge}} {
		w := httptest.NewRecorder()
		b, ok := inbound.Read(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.in)), 10)
		if ok != tt.ok || w.Code != tt.status || (ok && string(b) != tt.in) {
			t.Errorf("Read(%d bytes) = %q, %v, status %d", len(tt.in), b, ok, w.Code)
		}
	}
}

// TestGateRefusesOverCap: with every slot taken by a body still arriving,
// the next request is refused at once with 503 and Retry-After; once the
// slot is free, it is read.
func TestGateRefusesOverCap(t *testing.T) {
	g := inbound.NewGate(1, zerolog.Nop())
	pr, pw := io.Pipe()
	done := make(chan bool)
	go func() {
		_, ok := g.Read(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", pr), 100)
		done <- ok
	}()
	// A write to the pipe returns once the first body's reader took it:
	// from then on that body holds the only slot, until its writer closes.
	pw.Write([]byte("partial"))
	w := httptest.NewRecorder()
	if _, ok := g.Read(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("x")), 100); ok {
		t.Fatal("a second body was read while the only slot was taken")
	}
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("over the cap: status %d, Retry-After %q; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	pw.Close()
	if !<-done {
		t.Error("the first body was not read")
	}
	if b, ok := g.Read(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", strings.NewReader("x")), 100); !ok || string(b) != "x" {
		t.Errorf("after the slot is free: %q, %v", b, ok)
	}
}
