package fakeopsgenie_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/muster-bot/muster/paging/opsgenie/fakeopsgenie"
)

func call(t *testing.T, method, url, key, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "GenieKey "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func TestInvalidAlerts(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"no message", `{"alias":"a"}`, "Message can not be empty."},
		{"long message", `{"message":"` + strings.Repeat("x", 131) + `"}`, "Message can not be longer than 130 characters."},
		{"bad priority", `{"message":"m","priority":"P0"}`, "Priority should be one of [P1, P2, P3, P4, P5]"},
		{"bad responder", `{"message":"m","responders":[{"type":"group","name":"x"}]}`, "Responder type should be one of"},
		{"nameless responder", `{"message":"m","responders":[{"type":"team"}]}`, "Responder should have either id or name"},
		{"not JSON", `{`, "Request body is not processable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake := fakeopsgenie.New(t, "k")
			code, body := call(t, http.MethodPost, fake.URL+"/v2/alerts", "k", c.body)
			if code != http.StatusUnprocessableEntity || !strings.Contains(body, c.want) || !strings.Contains(body, `"requestId"`) {
				t.Errorf("answered %d %s, want 422 saying %q", code, body, c.want)
			}
			if len(fake.Alerts()) != 0 {
				t.Error("an invalid alert was created")
			}
		})
	}
}

func TestClosedAliasOpensANewAlert(t *testing.T) {
	fake := fakeopsgenie.New(t, "k")
	for _, c := range []struct{ path, body string }{
		{"/v2/alerts", `{"message":"m","alias":"a"}`},
		{"/v2/alerts/a/close?identifierType=alias", `{}`},
		{"/v2/alerts", `{"message":"m","alias":"a"}`},
	} {
		if code, body := call(t, http.MethodPost, fake.URL+c.path, "k", c.body); code != http.StatusAccepted || !strings.Contains(body, `"result":"Request will be processed"`) {
			t.Fatalf("%s answered %d %s", c.path, code, body)
		}
	}
	a := fake.Alerts()
	if len(a) != 2 || a[0].Status != "closed" || a[1].Status != "open" || a[1].Priority != "P3" {
		t.Errorf("alerts = %+v", a)
	}
}

func TestCloseByIDIsNotServed(t *testing.T) {
	fake := fakeopsgenie.New(t, "k")
	if code, _ := call(t, http.MethodPost, fake.URL+"/v2/alerts/a/close", "k", `{}`); code != http.StatusUnprocessableEntity {
		t.Errorf("close without identifierType=alias answered %d", code)
	}
}

func TestOnCallsNotFlatListParticipants(t *testing.T) {
	fake := fakeopsgenie.New(t, "k")
	fake.OnCall("s", "ann@example.com")
	code, body := call(t, http.MethodGet, fake.URL+"/v2/schedules/s/on-calls?scheduleIdentifierType=name", "k", "")
	if code != 200 || !strings.Contains(body, `"onCallParticipants":[{"name":"ann@example.com","type":"user"}]`) {
		t.Errorf("answered %d %s", code, body)
	}
}
