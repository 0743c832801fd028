package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot/slack/fakeslack"
)

// steppedWait is an Options.Wait that records each wait and returns only
// when the test lets it: the retries of auth.test advance one by one.
type steppedWait struct {
	step chan struct{}
	mu   sync.Mutex
	got  []time.Duration
}

func (w *steppedWait) wait(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.got = append(w.got, d)
	w.mu.Unlock()
	select {
	case <-w.step:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *steppedWait) waits() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.got...)
}

func readyz(t *testing.T, base string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestReadinessFollowsSlack: muster serve starts although Slack refuses
// auth.test, says why it is not ready on /readyz, retries with growing
// waits and turns ready when Slack answers; Slack calls that keep failing
// make it not ready again, and a success ready.
func TestReadinessFollowsSlack(t *testing.T) {
	fake := newFakeSlack(t)
	fake.Fail("auth.test", 2, fakeslack.Failure{Error: "invalid_auth"})
	w := &steppedWait{step: make(chan struct{})}
	s, logs := startSlackHTTPApp(t, fake, "", Options{Wait: w.wait}, false)

	eventually(t, "the first retry is waiting", func() bool { return len(w.waits()) == 1 })
	if code, body := readyz(t, s.url); code != http.StatusServiceUnavailable || !strings.Contains(body, "auth.test") || !strings.Contains(body, "invalid_auth") {
		t.Errorf("/readyz while auth.test fails = %d %q, want 503 naming auth.test and invalid_auth", code, body)
	}
	select {
	case err := <-s.done:
		t.Fatalf("muster serve ended while Slack refused auth.test: %v", err)
	default:
	}
	if !strings.Contains(logs.String(), `"level":"error"`) || !strings.Contains(logs.String(), "Slack rejected SLACK_BOT_TOKEN") {
		t.Errorf("a rejected token is not logged as an error:\n%s", logs)
	}
	w.step <- struct{}{}
	eventually(t, "the second retry is waiting", func() bool { return len(w.waits()) == 2 })
	w.step <- struct{}{}
	eventually(t, "ready once Slack answers", func() bool { code, _ := readyz(t, s.url); return code == http.StatusOK })
	if got := w.waits(); got[0] != time.Second || got[1] != 2*time.Second {
		t.Errorf("waits between tries = %v, want 1s then 2s", got)
	}

	// Every call failing: not ready, with the reason; one success: ready.
	fake.Fail("chat.postMessage", 5, fakeslack.Failure{Error: "fatal_error"})
	for range 5 {
		s.app.slack.Post(context.Background(), "CGENERAL", muster.Message{Text: "hello"})
	}
	if code, body := readyz(t, s.url); code != http.StatusServiceUnavailable || !strings.Contains(body, "chat.postMessage") || !strings.Contains(body, "fatal_error") {
		t.Errorf("/readyz while Slack calls fail = %d %q, want 503 naming the call", code, body)
	}
	if _, err := s.app.slack.Post(context.Background(), "CGENERAL", muster.Message{Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	if code, body := readyz(t, s.url); code != http.StatusOK {
		t.Errorf("/readyz after a successful call = %d %q, want 200", code, body)
	}
}
