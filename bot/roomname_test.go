package bot

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

var validRoomName = regexp.MustCompile(`^[a-z0-9_-]+$`)

// checkRoomName fails unless name obeys the war-room rules of PRODUCT.md.
func checkRoomName(tb testing.TB, name string) {
	tb.Helper()
	if len(name) > maxRoomName {
		tb.Errorf("room name %q is %d characters long, want at most %d", name, len(name), maxRoomName)
	}
	if !validRoomName.MatchString(name) {
		tb.Errorf("room name %q holds characters other than a-z 0-9 - _", name)
	}
	if strings.Contains(name, "--") || strings.HasSuffix(name, "-") {
		tb.Errorf("room name %q has an empty word", name)
	}
}

func TestRoomName(t *testing.T) {
	t.Parallel()
	declared := time.Date(2026, 11, 22, 23, 30, 0, 0, time.FixedZone("EST", -5*3600)) // 04:30 UTC the next day
	// 145 characters of accents, emoji and words, near the 150 a title may have.
	long := strings.Repeat("Café ☕ crème brûlée 🚨 outage ", 5)
	tests := []struct {
		name   string
		id     int
		title  string
		date   bool
		suffix int
		want   string
	}{
		{name: "plain", id: 1, title: "Checkout down", want: "inc-1-checkout-down"},
		{name: "lowercase and punctuation", id: 42, title: "Checkout DOWN!!! (EU/US) 500s", want: "inc-42-checkout-down-eu-us-500s"},
		{name: "underscores and spaces", id: 7, title: "  db_primary   failover  ", want: "inc-7-db-primary-failover"},
		{name: "accents folded", id: 3, title: "Café Zürich señal", want: "inc-3-cafe-zurich-senal"},
		{name: "ligature", id: 3, title: "ﬁle upload", want: "inc-3-file-upload"},
		{name: "emoji dropped", id: 5, title: "🔥 API 🔥 on fire", want: "inc-5-api-on-fire"},
		{name: "no slug left", id: 9, title: "🔥🔥🔥", want: "inc-9"},
		{name: "non-latin script", id: 9, title: "Оплата не работает", want: "inc-9"},
		{name: "suffix", id: 1, title: "Checkout down", suffix: 2, want: "inc-1-checkout-down-2"},
		{name: "suffix 1 is no suffix", id: 1, title: "Checkout down", suffix: 1, want: "inc-1-checkout-down"},
		{name: "date", id: 12, title: "Checkout down", date: true, want: "inc-2026-11-23-checkout-down"},
		{name: "date and suffix", id: 12, title: "Checkout down", date: true, suffix: 3, want: "inc-2026-11-23-checkout-down-3"},
		{name: "long title cut at 80", id: 1, title: long},
		{name: "long title with suffix", id: 123456, title: long, suffix: 10},
		{name: "long title, date and suffix", id: 1, title: long, date: true, suffix: 2},
		{name: "longest title of single letters", id: 1, title: strings.Repeat("a ", muster.MaxTitle/2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inc := &muster.Incident{ID: tt.id, Title: tt.title, DeclaredAt: declared}
			got := roomName("inc", inc, tt.date, tt.suffix)
			checkRoomName(t, got)
			if tt.want != "" && got != tt.want {
				t.Errorf("roomName(%q) = %q, want %q", tt.title, got, tt.want)
			}
			if tt.suffix > 1 && !strings.HasSuffix(got, "-"+strconv.Itoa(tt.suffix)) {
				t.Errorf("roomName(%q, suffix %d) = %q lost its suffix", tt.title, tt.suffix, got)
			}
			if !strings.HasPrefix(got, "inc-") {
				t.Errorf("roomName(%q) = %q lost its prefix", tt.title, got)
			}
		})
	}
}

// FuzzRoomName checks the rules on any title: go test -fuzz FuzzRoomName ./bot/
func FuzzRoomName(f *testing.F) {
	for _, s := range []string{"Checkout down", "café", "🔥🔥", strings.Repeat("ü", 150), "a-b_c--d", "ǅ ﬀ Ⅻ ①"} {
		f.Add(s, 1, 2)
	}
	f.Fuzz(func(t *testing.T, title string, id, suffix int) {
		if id < 1 || id > 1_000_000 || suffix < 0 || suffix > 10 {
			t.Skip()
		}
		inc := &muster.Incident{ID: id, Title: title, DeclaredAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		for _, date := range []bool{false, true} {
			checkRoomName(t, roomName("inc", inc, date, suffix))
		}
	})
}
