package slack

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot/slack/fakeslack"
)

// TestUsersByEmail: a signed-in person's e-mail finds their Slack user
// (any case), an unknown or deactivated one finds nobody, answers are
// kept PeopleFor, and a failure is an error, not "nobody", and not kept.
func TestUsersByEmail(t *testing.T) {
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	fake.AddUser("UALICE", "alice")
	fake.SetEmail("UALICE", "alice@example.com")
	fake.SetEmail("UGONE", "gone@example.com")
	fake.DeactivateUser("UGONE")
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	p := New(Config{APIURL: fake.URL(), BotToken: "xoxb-test", SigningSecret: "s",
		Now:  func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		Wait: func(context.Context, time.Duration) error { return nil }}, zerolog.Nop())
	ctx := context.Background()
	lookups := func() int { return len(fake.CallsTo("users.lookupByEmail")) }

	for email, want := range map[string][]muster.Event{
		"Alice@Example.COM":  {{Platform: Name, User: "UALICE"}},
		"nobody@example.com": nil,
		"gone@example.com":   nil,
		"alice@example.com":  {{Platform: Name, User: "UALICE"}}, // kept
		"NOBODY@example.com": nil,                                // kept
	} {
		got, err := p.UsersByEmail(ctx, email)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("UsersByEmail(%q) = %v, %v; want %v", email, got, err, want)
		}
	}
	if n := lookups(); n != 3 {
		t.Errorf("%d lookups, want 3 (answers are kept)", n)
	}
	mu.Lock()
	now = now.Add(PeopleFor)
	mu.Unlock()
	fake.Fail("users.lookupByEmail", 1, fakeslack.Failure{Error: "missing_scope"})
	if _, err := p.UsersByEmail(ctx, "alice@example.com"); err == nil || !strings.Contains(err.Error(), "users:read.email") {
		t.Errorf("a failed lookup: %v, want an error naming the scope", err)
	}
	if got, err := p.UsersByEmail(ctx, "alice@example.com"); err != nil || len(got) != 1 {
		t.Errorf("after the failure: %v, %v (the failure must not be kept)", got, err)
	}
	if n := lookups(); n != 5 {
		t.Errorf("%d lookups, want 5 (an answer older than PeopleFor is asked again)", n)
	}
}
