package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const statusYAML = "statuspage:\n  title: Example status\n  components:\n    - name: Checkout\n      description: Cart and payment\n    - name: API\n"

// getBody returns the status and body of a GET of url.
func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(body)
}

// TestStatusPagesWithoutIncidentPages: with web.enabled false the public
// status pages are still served; the incident pages and the internal
// status page are not.
func TestStatusPagesWithoutIncidentPages(t *testing.T) {
	fake := newFakeSlack(t)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret}
	s := startSlackApp(t, fake, env, "web:\n  enabled: false\n"+statusYAML)
	for path, want := range map[string]int{
		"/status": 200, "/status.json": 200, "/status/feed.atom": 200, "/status/status.css": 200,
		"/": 404, "/incidents/1": 404, "/status/internal": 404,
	} {
		if code, _ := getBody(t, s.url+path); code != want {
			t.Errorf("GET %s = %d, want %d", path, code, want)
		}
	}
}

// TestBrowserStatusPage drives the real program through the fake Slack:
// declare, take IC, talk and post an internal update, publish a post and
// set a component; a private incident tries to publish too. In a real
// browser the public page shows the post and the component's state, and
// nothing internal.
func TestBrowserStatusPage(t *testing.T) {
	b := newBrowser(t)
	fake := newFakeSlack(t)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret}
	s := startSlackApp(t, fake, env, statusYAML)
	s.command("UALICE", "CGENERAL", "declare sev1 Checkout down for ACME Corp", "d1")
	room := s.warRoom("inc-1-checkout-down-for-acme-corp")
	s.command("UALICE", room.ID, "ic", "ic")
	s.message("Ev1", "UALICE", room.ID, "1700000100.000100", "db-7 is on fire, ping UBOB", 0)
	s.command("UALICE", room.ID, "update Failing over db-7 to the replica", "u1")
	s.command("UALICE", room.ID, "public We are investigating failed payments.", "p1")
	s.command("UALICE", room.ID, "component checkout major", "c1")
	s.command("UALICE", "CGENERAL", "declare sev1 private Signing key leaked", "d2")
	s.command("UALICE", "CGENERAL", "public INC-2 PRIVATE POST", "p2")
	eventually(t, "the post and the component are stored", func() bool {
		inc, err := s.app.db.Incident(context.Background(), 1)
		return err == nil && len(inc.Public) == 1 && len(inc.ComponentLog) == 1
	})
	if inc, err := s.app.db.Incident(context.Background(), 2); err != nil || len(inc.Public) != 0 {
		t.Fatalf("the private incident published: %+v (%v)", inc, err)
	}

	b.run(t, 10*time.Second, "open the status page",
		chromedp.Navigate(s.url+"/status"),
		chromedp.WaitVisible(chromedp.CSS("main")),
	)
	page := b.text(t, "body")
	for _, want := range []string{"Example status", "Major outage", "We are investigating failed payments.", "Checkout", "Cart and payment", "Current incidents"} {
		if !strings.Contains(page, want) {
			t.Errorf("the status page does not show %q:\n%s", want, page)
		}
	}
	for _, secret := range []string{"ACME", "db-7", "Failing over", "UALICE", "UBOB", "Signing key", "PRIVATE POST", "INC-"} {
		if strings.Contains(page, secret) {
			t.Errorf("the status page shows %q:\n%s", secret, page)
		}
	}
	// What a person sees of the components: Checkout in a major outage,
	// API operational.
	if got := b.text(t, "article.component:nth-of-type(2) h3"); !strings.Contains(got, "API") || !strings.Contains(got, "Operational") {
		t.Errorf("API heading = %q, want it operational", got)
	}
	b.checkLoopbackOnly(t)
}
