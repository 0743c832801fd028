package main

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/config"
)

// TestWebhookURLsAreRedactedInLogs: the token a webhook URL holds shows in
// no log line of the program, from the configuration it logs at start to
// a failed delivery.
func TestWebhookURLsAreRedactedInLogs(t *testing.T) {
	fake := newFakeSlack(t)
	gone := httptest.NewServer(nil)
	gone.Close() // deliveries fail: connection refused
	hook := strings.Replace(gone.URL, "http://", "http://hookuser:hookpass@", 1) + "/in?token=tok-12345"
	dir := t.TempDir()
	yaml := fmt.Sprintf("log:\n  level: debug\nstore:\n  path: %s\nreminders:\n  tick: 24h\nwebhooks:\n  urls: [%q]\n", filepath.Join(dir, "muster.db"), hook)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret, "WEBHOOK_SECRET": "hook-secret", "SLACK_API_URL": fake.URL()}
	getenv := func(k string) string { return env[k] }
	cfg, err := config.Parse([]byte(yaml), "test.yaml", getenv)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	clock := &fakeClock{now: t0}
	app, err := New(cfg, Options{Listener: ln, Now: clock.Now, Stdout: logs, Stderr: logs, Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	inc, first, _ := muster.NewIncident("Checkout down", muster.DefaultSeverities()[1], false, "UALICE", t0)
	if err := app.db.Create(context.Background(), inc, first); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	eventually(t, "a failed delivery is logged", func() bool { return strings.Contains(logs.String(), "webhook delivery failed") })
	stop()
	<-done
	app.Close()
	out := logs.String()
	for _, secret := range []string{"tok-12345", "hookpass", "hookuser"} {
		if strings.Contains(out, secret) {
			t.Errorf("the logs show %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "configuration loaded") || !strings.Contains(out, "REDACTED@127.0.0.1") {
		t.Errorf("the logs do not show the configuration and the redacted URL:\n%s", out)
	}
}
