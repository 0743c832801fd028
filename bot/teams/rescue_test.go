package teams

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot/teams/faketeams"
)

// panicking panics on every event; the embedded Handler stands for the
// methods Teams does not call.
type panicking struct{ muster.Handler }

func (panicking) Handle(ctx context.Context, ev muster.Event) error { panic("a bug in a command") }

// TestPanickingCommandIsAnswered: a command whose handling panics after
// the answer to the Bot Connector does not end the process; the person
// who sent it is told that something went wrong.
func TestPanickingCommandIsAnswered(t *testing.T) {
	const appID, password, channel = "00000000-0000-0000-0000-00000000a11d", "app-secret", "19:general@thread.tacv2"
	tf := faketeams.New()
	t.Cleanup(tf.Close)
	tf.SetCredentials(appID, password)
	tf.AddTeam("team")
	tf.AddChannel("team", channel, "General")
	p := New(Config{
		AppID: appID, AppPassword: password, TenantID: faketeams.TenantID,
		LoginURL: tf.LoginURL(), OpenIDMetadataURL: tf.OpenIDMetadataURL(), ServiceURL: tf.ServiceURL(),
	}, nil, zerolog.New(zerolog.NewTestWriter(t)))
	srv := httptest.NewServer(p.Handler(panicking{}))
	t.Cleanup(func() { srv.Close(); p.Drain() })

	send := func(text string) {
		t.Helper()
		body := faketeams.Mention("28:"+appID, "Muster", "29:alice", "Alice", channel+";messageid=100", tf.ServiceURL(), text)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/messages", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tf.Token(appID, tf.ServiceURL()))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("HTTP %d", resp.StatusCode)
		}
	}
	answered := func(n int) bool {
		got := 0
		for _, a := range tf.Activities(channel) {
			if strings.Contains(string(a.Activity), "Something went wrong") {
				got++
			}
		}
		return got >= n
	}
	for i := 1; i <= 2; i++ { // the second proves the process survived the first
		send("declare sev1 Checkout is down")
		deadline := time.Now().Add(5 * time.Second)
		for !answered(i) {
			if time.Now().After(deadline) {
				t.Fatalf("panic %d: no \"Something went wrong\" reply; activities %v", i, tf.Activities(channel))
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}
