package fakepagerduty_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/muster-bot/muster/paging/pagerduty/fakepagerduty"
)

const key = "R0UT1NGKEYCHECKOUT00000000000001"

func post(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, got
}

// The fake refuses what the Events API refuses, with its body shape.
func TestInvalidEvents(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"no payload", `{"routing_key":"` + key + `","event_action":"trigger"}`, "'payload' is missing or blank"},
		{"no summary", `{"routing_key":"` + key + `","event_action":"trigger","payload":{"source":"muster","severity":"critical"}}`, "'payload.summary' is missing or blank"},
		{"no source", `{"routing_key":"` + key + `","event_action":"trigger","payload":{"summary":"x","severity":"critical"}}`, "'payload.source' is missing or blank"},
		{"bad severity", `{"routing_key":"` + key + `","event_action":"trigger","payload":{"summary":"x","source":"m","severity":"high"}}`, "'payload.severity' must be one of"},
		{"resolve without key", `{"routing_key":"` + key + `","event_action":"resolve"}`, "'dedup_key' is missing or blank"},
		{"unknown action", `{"routing_key":"` + key + `","event_action":"snooze","dedup_key":"k"}`, "'event_action' is invalid"},
		{"not JSON", `{`, "Invalid JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake := fakepagerduty.New(t, "token", key)
			code, got := post(t, fake.EventsURL, c.body)
			if code != http.StatusBadRequest || got["status"] != "invalid event" || got["message"] != "Event object is invalid" {
				t.Fatalf("answered %d %v", code, got)
			}
			errs, _ := got["errors"].([]any)
			if len(errs) == 0 || !strings.Contains(errs[0].(string), c.want) {
				t.Errorf("errors = %v, want one saying %q", errs, c.want)
			}
			if len(fake.Incidents()) != 0 || len(fake.Accepted()) != 0 {
				t.Error("an invalid event was taken")
			}
		})
	}
}

func TestTriggerWithoutDedupKeyGetsOne(t *testing.T) {
	fake := fakepagerduty.New(t, "token")
	code, got := post(t, fake.EventsURL, `{"routing_key":"`+key+`","event_action":"trigger","payload":{"summary":"x","source":"m","severity":"info"}}`)
	if code != http.StatusAccepted || got["status"] != "success" || got["dedup_key"] == "" {
		t.Fatalf("answered %d %v", code, got)
	}
}

func TestResolvedKeyTriggersANewIncident(t *testing.T) {
	fake := fakepagerduty.New(t, "token")
	trigger := `{"routing_key":"` + key + `","event_action":"trigger","dedup_key":"k","payload":{"summary":"x","source":"m","severity":"info"}}`
	for _, body := range []string{trigger, `{"routing_key":"` + key + `","event_action":"resolve","dedup_key":"k"}`, trigger} {
		if code, got := post(t, fake.EventsURL, body); code != http.StatusAccepted {
			t.Fatalf("answered %d %v", code, got)
		}
	}
	incs := fake.Incidents()
	if len(incs) != 2 || incs[0].Status != "resolved" || incs[1].Status != "triggered" {
		t.Errorf("incidents = %+v", incs)
	}
}

func TestOnCallsWithoutIncludeUsersHaveNoEmails(t *testing.T) {
	fake := fakepagerduty.New(t, "token")
	fake.OnCall("P1", fakepagerduty.User{ID: "PA", Name: "Ann", Email: "ann@example.com"})
	req, _ := http.NewRequest(http.MethodGet, fake.URL+"/oncalls?escalation_policy_ids%5B%5D=P1", nil)
	req.Header.Set("Authorization", "Token token=token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	body := string(data)
	if resp.StatusCode != 200 || strings.Contains(body, "ann@example.com") || !strings.Contains(body, `"type":"user_reference"`) {
		t.Errorf("answered %d %s; want user references without e-mails", resp.StatusCode, body)
	}
}
