package inbound_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/muster-bot/muster/internal/inbound"
)

func TestObserved(t *testing.T) {
	for _, tt := range []struct {
		name    string
		handler http.HandlerFunc
		code    int
	}{
		{"nothing written", func(w http.ResponseWriter, r *http.Request) {}, 200},
		{"body only", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("challenge")) }, 200},
		{"error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusUnauthorized) }, 401},
		{"first status counts", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			w.WriteHeader(http.StatusOK) // ignored by net/http too
		}, 500},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var gotKind string
			var gotCode int
			var gotD time.Duration = -1
			h := inbound.Observed("event", func(kind string, code int, d time.Duration) { gotKind, gotCode, gotD = kind, code, d }, tt.handler)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", nil))
			if gotKind != "event" || gotCode != tt.code || gotD < 0 {
				t.Errorf("observed %q %d %s, want event %d and a duration", gotKind, gotCode, gotD, tt.code)
			}
			if w.Code != tt.code {
				t.Errorf("answered %d, want %d", w.Code, tt.code)
			}
		})
	}
}
