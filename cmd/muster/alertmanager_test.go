package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/muster-bot/muster"
)

// alertPayload is Alertmanager's webhook body (version 4), in the shape of
// its documented example.
func alertPayload(status, summary string) string {
	return `{
  "version": "4",
  "groupKey": "{}:{alertname=\"CheckoutErrors\"}",
  "truncatedAlerts": 0,
  "status": "` + status + `",
  "receiver": "muster",
  "groupLabels": {"alertname": "CheckoutErrors"},
  "commonLabels": {"alertname": "CheckoutErrors", "severity": "critical", "service": "checkout"},
  "commonAnnotations": {"summary": "Checkout 5xx rate above 5%"},
  "externalURL": "http://alertmanager.example:9093",
  "alerts": [{
    "status": "` + status + `",
    "labels": {"alertname": "CheckoutErrors", "severity": "critical", "instance": "checkout-1"},
    "annotations": {"summary": "` + summary + `"},
    "startsAt": "2026-11-22T03:00:00Z",
    "endsAt": "0001-01-01T00:00:00Z",
    "generatorURL": "http://prometheus.example:9090/graph?g0.expr=rate",
    "fingerprint": "c0ffee0123456789"
  }]
}`
}

func TestAlertmanager(t *testing.T) {
	fake := newFakeSlack(t)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret, "ALERTMANAGER_TOKEN": "am-token"}
	s := startSlackApp(t, fake, env, "alertmanager:\n  platform: slack\n  room: CGENERAL\n  severities:\n    - label: critical\n      severity: SEV1\n")
	hook := func(token, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, s.url+"/hooks/alertmanager", strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	firing := alertPayload("firing", "5xx at 7% on checkout-1")
	for name, token := range map[string]string{"missing": "", "wrong": "nope"} {
		if code, _ := hook(token, firing); code != http.StatusUnauthorized {
			t.Errorf("%s token: HTTP %d, want 401", name, code)
		}
	}
	for name, body := range map[string]string{
		"old version": strings.Replace(firing, `"version": "4"`, `"version": "3"`, 1),
		"no alerts":   `{"version":"4","groupKey":"g","status":"firing","alerts":[]}`,
		"not JSON":    "firing!",
	} {
		if code, reason := hook("am-token", body); code != http.StatusBadRequest || reason == "" {
			t.Errorf("%s: HTTP %d %q, want 400 with the reason", name, code, reason)
		}
	}

	// The documented example declares exactly one incident, at the mapped
	// severity, with a war room; repeats of the group do not declare again.
	if code, body := hook("am-token", firing); code != http.StatusOK {
		t.Fatalf("firing: HTTP %d %s", code, body)
	}
	hook("am-token", firing) // Alertmanager's repeat of the same notification
	hook("am-token", alertPayload("firing", "5xx at 12% on checkout-1"))
	inc, err := s.app.db.Incident(context.Background(), 1)
	if err != nil || inc.Severity != "SEV1" || inc.Title != "Checkout 5xx rate above 5%" || inc.Room == "" {
		t.Fatalf("incident = %+v, %v", inc, err)
	}
	if _, err := s.app.db.Incident(context.Background(), 2); muster.ErrorCode(err) != muster.ENOTFOUND {
		t.Errorf("the same alert group declared a second incident")
	}
	if n := countEntries(t, s.app, "Alertmanager: 1 alert(s) firing"); n != 2 {
		t.Errorf("%d firing notes, want 2 (the identical repeat is not recorded twice)", n)
	}
	if n := len(messagesWith(fake, inc.Room, "5xx at 12%")); n != 1 {
		t.Errorf("%d room posts of the later notification, want 1", n)
	}

	// Resolution goes into the timeline and suggests resolving; the
	// incident stays open.
	if code, _ := hook("am-token", alertPayload("resolved", "5xx back to 0.1%")); code != http.StatusOK {
		t.Fatalf("resolved: HTTP %d", code)
	}
	if n := countEntries(t, s.app, "Alertmanager reports the alerts resolved"); n != 1 {
		t.Errorf("%d resolution notes, want 1", n)
	}
	if inc, _ := s.app.db.Incident(context.Background(), 1); !inc.Open() {
		t.Error("the bot resolved the incident by itself")
	}

	// Once people resolve it, the group firing again is a new incident.
	s.command("UALICE", inc.Room, "resolve", "resolve")
	s.app.slack.Drain()
	hook("am-token", alertPayload("firing", "5xx at 9% again"))
	if inc2, err := s.app.db.Incident(context.Background(), 2); err != nil || inc2.Title != "Checkout 5xx rate above 5%" {
		t.Errorf("a new firing after resolution: %+v, %v", inc2, err)
	}
}

// TestAlertmanagerCopiesDeclareOnce: each Alertmanager of a cluster sends
// its own copy of a notification, and the copies arrive together (at one
// muster or at several replicas): one incident is declared, the other
// copies wait for it and add nothing more.
func TestAlertmanagerCopiesDeclareOnce(t *testing.T) {
	fake := newFakeSlack(t)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret, "ALERTMANAGER_TOKEN": "am-token"}
	s := startSlackApp(t, fake, env, "alertmanager:\n  platform: slack\n  room: CGENERAL\n")
	firing := alertPayload("firing", "5xx at 7% on checkout-1")
	const copies = 6
	codes := make([]int, copies)
	var wg sync.WaitGroup
	for i := range copies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, s.url+"/hooks/alertmanager", strings.NewReader(firing))
			req.Header.Set("Authorization", "Bearer am-token")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Errorf("copy %d: HTTP %d, want 200", i, c)
		}
	}
	s.app.slack.Drain()
	all, err := s.app.db.Incidents(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 {
		t.Fatalf("%d incidents declared by %d copies of one notification, want 1", len(all), copies)
	}
	if n := countEntries(t, s.app, "Alertmanager: 1 alert(s) firing"); n != 1 {
		t.Errorf("%d firing notes, want 1", n)
	}
}
