package body_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/muster-bot/muster/internal/body"
)

func TestRead(t *testing.T) {
	for _, tt := range []struct {
		in     string
		ok     bool
		status int
	}{{"small", true, 200}, {strings.Repeat("x", 11), false, http.StatusRequestEntityTooLarge}} {
		w := httptest.NewRecorder()
		b, ok := body.Read(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.in)), 10)
		if ok != tt.ok || w.Code != tt.status || (ok && string(b) != tt.in) {
			t.Errorf("Read(%d bytes) = %q, %v, status %d", len(tt.in), b, ok, w.Code)
		}
	}
}
