package paging_test

import (
	"testing"

	"github.com/muster-bot/muster/paging"
)

func TestKeyRoundTrip(t *testing.T) {
	key := paging.Key(42, "checkout-api")
	if key != "muster-INC-42-checkout-api" {
		t.Fatalf("Key = %q", key)
	}
	n, svc, ok := paging.ParseKey(key)
	if !ok || n != 42 || svc != "checkout-api" {
		t.Fatalf("ParseKey(%q) = %d, %q, %v", key, n, svc, ok)
	}
}

func TestParseKeyRefusesOthers(t *testing.T) {
	for _, key := range []string{
		"", "d3640fbd41094207a1c11e58e46b1662", "muster-INC-", "muster-INC-42", "muster-INC-42-",
		"muster-INC-x-checkout", "muster-INC-0-checkout", "muster-INC-042-checkout", "muster-INC--1-checkout",
		"other-INC-42-checkout",
	} {
		if n, svc, ok := paging.ParseKey(key); ok {
			t.Errorf("ParseKey(%q) = %d, %q, true; want not muster's", key, n, svc)
		}
	}
}

func TestTruncate(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"too long", 5, "too …"},
		{"ünïcödé", 4, "ünï…"},
		{"x", 0, ""},
	}
	for _, c := range cases {
		if got := paging.Truncate(c.in, c.n); got != c.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
