package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/muster-bot/muster"
)

// browser is a headless Debian chromium driven through chromedp, with a
// record of every request it made and every error its pages reported.
type browser struct {
	ctx context.Context

	mu       sync.Mutex
	requests []string // URLs the browser asked for
	errors   []string // console errors, uncaught exceptions, CSP reports
}

// newBrowser starts chromium, or skips the test when it is not installed
// (fails instead under MUSTER_REQUIRE_CHROMIUM=1, as CI sets). Every step
// of the test is bounded by the one minute the whole browser gets.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("MUSTER_REQUIRE_CHROMIUM") == "1" {
			t.Fatal("chromium is not on PATH and MUSTER_REQUIRE_CHROMIUM=1")
		}
		t.Skip("chromium is not on PATH; install Debian's chromium to run the browser tests")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root, where chromium's sandbox refuses to start
		chromedp.Flag("no-proxy-server", true),
		chromedp.WindowSize(1100, 900),
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	t.Cleanup(cancelBrowser)
	b := &browser{ctx: ctx}
	// The first Run starts the browser; it must not have a shorter
	// deadline than the browser's own.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	err = chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			b.requests = append(b.requests, ev.Request.URL)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				b.errors = append(b.errors, fmt.Sprintf("console.error %v", ev.Args))
			}
		case *runtime.EventExceptionThrown:
			b.errors = append(b.errors, fmt.Sprintf("exception %s %v", ev.ExceptionDetails.Text, ev.ExceptionDetails.Exception))
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError {
				b.errors = append(b.errors, fmt.Sprintf("%s: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		}
	})
	if err != nil {
		t.Fatalf("listen to chromium: %v", err)
	}
	// Runtime and Log are on by default; Network reports requests once on.
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("enable network events: %v", err)
	}
	return b
}

// run runs actions, bounded by limit.
func (b *browser) run(t *testing.T, limit time.Duration, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, limit)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// text is what a person sees of the elements matching sel.
func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// eval runs a script expression in the page and returns its truth.
func (b *browser) eval(t *testing.T, js string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitText waits until sel shows want.
func (b *browser) waitText(t *testing.T, sel, want string, limit time.Duration) {
	t.Helper()
	js := fmt.Sprintf(`(document.querySelector(%q) || {innerText: ""}).innerText.includes(%q)`, sel, want)
	ctx, cancel := context.WithTimeout(b.ctx, limit)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		t.Fatalf("wait for %q in %s: %v (the page shows %q)", want, sel, err, b.text(t, "main"))
	}
}

// checkLoopbackOnly fails the test for any request that left 127.0.0.1
// and any error the pages reported.
func (b *browser) checkLoopbackOnly(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.requests) == 0 {
		t.Error("the browser recorded no requests at all")
	}
	for _, r := range b.requests {
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "data" && u.Hostname() != "127.0.0.1") {
			t.Errorf("a request left 127.0.0.1: %s", r)
		}
	}
	for _, e := range b.errors {
		t.Errorf("page error: %s", e)
	}
}

// TestBrowserLiveIncidentPage: a war-room message sent as a signed Slack
// event shows on the incident page in a real browser, then a second one
// appears on the same page without a reload, with no request leaving
// 127.0.0.1 and no console error.
func TestBrowserLiveIncidentPage(t *testing.T) {
	b := newBrowser(t)
	fake := newFakeSlack(t)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret}
	s := startSlackApp(t, fake, env, "")
	s.command("UALICE", "CGENERAL", "declare sev2 Checkout is returning 500s", "declare")
	room := s.warRoom("inc-1-checkout-is-returning-500s")
	s.message("Ev1", "UALICE", room.ID, "1700000100.000100", "Error rate is 40% since 02:58", 0)

	b.run(t, 10*time.Second, "open the incident page",
		chromedp.Navigate(s.url+"/incidents/1"),
		chromedp.WaitVisible(chromedp.CSS("ol.timeline")),
	)
	b.eval(t, `window.notReloaded = true`) // a reload would wipe it
	if h1 := b.text(t, "h1"); !strings.Contains(h1, "Checkout is returning 500s") {
		t.Errorf("page heading = %q", h1)
	}
	b.waitText(t, "ol.timeline", "Error rate is 40% since 02:58", 5*time.Second)
	b.waitText(t, "#live", "Live", 5*time.Second)

	s.message("Ev2", "UBOB", room.ID, "1700000200.000100", "Rolled back deploy 4512", 0)
	b.waitText(t, "ol.timeline", "Rolled back deploy 4512", 10*time.Second)
	if !b.eval(t, `window.notReloaded === true`) {
		t.Error("the second message appeared by a reload, not live")
	}
	if tl := b.text(t, "ol.timeline"); strings.Index(tl, "Error rate") > strings.Index(tl, "Rolled back") {
		t.Errorf("the live entry is not after the earlier one:\n%s", tl)
	}

	s.command("UALICE", room.ID, "sev sev1", "sev")
	b.waitText(t, "#severity", "SEV1", 10*time.Second)
	b.checkLoopbackOnly(t)
}

// TestScreenshots saves the incident list and a live incident page, light
// and dark, as PNGs in the directory MUSTER_SCREENSHOTS names (the
// README's are in docs/screenshots). Without it, the test is skipped.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("MUSTER_SCREENSHOTS")
	if dir == "" {
		t.Skip("set MUSTER_SCREENSHOTS=<dir> to save the pages' screenshots")
	}
	b := newBrowser(t)
	fake := newFakeSlack(t)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret}
	s := startSlackApp(t, fake, env, "statuspage:\n  title: Example status\n  components:\n    - name: Checkout\n      description: Cart, payment and order confirmation\n    - name: Search\n    - name: API\n")
	// Messages carry the Slack timestamp of the app's clock.
	ts := func() string { return fmt.Sprintf("%d.000100", s.clock.Now().Unix()) }
	s.command("UCAROL", "CGENERAL", "declare sev3 Search results are stale", "d1")
	s.clock.Advance(47 * time.Minute)
	s.command("UBOB", "CGENERAL", "declare sev1 Payments API timing out", "d2")
	s.clock.Advance(2 * time.Hour)
	s.command("UALICE", "CGENERAL", "declare sev2 Checkout is returning 500s", "d3")
	room := s.warRoom("inc-3-checkout-is-returning-500s")
	s.clock.Advance(3 * time.Minute)
	s.command("UBOB", room.ID, "ic @UBOB", "ic")
	s.message("Ev1", "UALICE", room.ID, ts(), "Error rate is 40% since 05:44, all regions", 0)
	s.clock.Advance(4 * time.Minute)
	s.command("UBOB", room.ID, "update Deploy 4512 is the suspect; rolling back", "u1")
	s.message("Ev2", "UCAROL", room.ID, ts(), "Rollback started, ETA 5 minutes", 0)
	s.clock.Advance(9 * time.Minute)
	s.command("UBOB", room.ID, "status mitigated", "m")
	s.command("UBOB", room.ID, "action Alert on checkout 5xx rate above 2% @UBOB p1", "a1")
	s.message("Ev3", "UALICE", room.ID, ts(), "Error rate back to 0.1%", 0)
	s.command("UBOB", room.ID, "public Some customers could not check out. A fix is in place and we are monitoring.", "p1")
	s.command("UBOB", room.ID, "component checkout degraded", "c1")
	s.command("UCAROL", "CGENERAL", "resolve INC-1 Rebuilt the stale search index", "r1")
	eventually(t, "the last message is stored", func() bool {
		tl, err := s.app.db.Timeline(context.Background(), 3)
		return err == nil && slices.ContainsFunc(tl, func(e muster.Entry) bool { return strings.Contains(e.Text, "back to 0.1%") })
	})

	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, scheme := range []string{"light", "dark"} {
		for _, page := range []struct{ name, path, wait string }{
			{"incidents", "/", "table"},
			{"incident", "/incidents/3", "#live"},
			{"postmortem", "/incidents/3/postmortem", "main"},
			{"insights", "/insights", "main"},
			{"status-internal", "/status/internal", "main"},
			{"status", "/status", "main"},
		} {
			ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
			if err == nil {
				err = chromedp.Do(ctx, chromedp.Navigate(s.url+page.path), chromedp.WaitVisible(chromedp.CSS(page.wait)))
			}
			var png []byte
			if err == nil {
				png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
			}
			cancel()
			if err != nil {
				t.Fatalf("screenshot %s %s: %v", page.name, scheme, err)
			}
			if err := os.WriteFile(filepath.Join(dir, page.name+"-"+scheme+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	b.checkLoopbackOnly(t)
}

// TestLiveEventsOutliveDeadlines: an incident's event stream lives past
// the server's per-request read and write deadlines (the read deadline,
// left in place, would cancel the request), and the program still shuts
// down at once with a stream open.
func TestLiveEventsOutliveDeadlines(t *testing.T) {
	fake := newFakeSlack(t)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret}
	s := startSlackApp(t, fake, env, "http:\n  read_timeout: 300ms\n  write_timeout: 3s\n")
	s.command("UALICE", "CGENERAL", "declare sev2 Checkout is returning 500s", "declare")
	room := s.warRoom("inc-1-checkout-is-returning-500s")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/incidents/1/events", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("events: HTTP %d", res.StatusCode)
	}
	lines := bufio.NewScanner(res.Body)
	// The network's deadlines are on the real clock: outlive both.
	time.Sleep(3200 * time.Millisecond)
	s.message("Ev1", "UALICE", room.ID, "1700000100.000100", "Still streaming after the deadlines", 0)
	found := false
	for !found && lines.Scan() {
		found = strings.Contains(lines.Text(), "Still streaming after the deadlines")
	}
	if !found {
		t.Fatalf("the stream ended before the message came: %v", lines.Err())
	}
	start := time.Now()
	s.shutdown()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown with a stream open took %v", d)
	}
}
