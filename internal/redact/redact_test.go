package redact_test

import (
	"testing"

	"github.com/muster-bot/muster/internal/redact"
)

func TestURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://hooks.example.com/in", "https://hooks.example.com/in"},
		{"https://hooks.example.com/in?token=abc&x=1", "https://hooks.example.com/in?REDACTED"},
		{"https://user:pass@hooks.example.com/in", "https://REDACTED@hooks.example.com/in"},
		{"https://user@hooks.example.com/in?", "https://REDACTED@hooks.example.com/in?REDACTED"},
		{"https://hooks.example.com/in#secret", "https://hooks.example.com/in"},
		{"http://127.0.0.1:1/%zz?token=abc", "(a URL that does not parse)"},
	} {
		if got := redact.URL(tc.in); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
