package slack

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	goslack "github.com/slack-go/slack"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot/slack/fakeslack"
)

// newTestPlatform is a platform on a fake Slack whose retries record their
// waits instead of sleeping.
func newTestPlatform(t *testing.T) (*Platform, *fakeslack.Server, *[]time.Duration) {
	t.Helper()
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	var waits []time.Duration
	p := New(Config{
		APIURL: fake.URL(), BotToken: "xoxb-test", SigningSecret: "s",
		Wait: func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil },
	}, zerolog.Nop())
	if err := p.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	return p, fake, &waits
}

func TestCallRetries(t *testing.T) {
	tests := []struct {
		name      string
		failure   fakeslack.Failure
		times     int
		wantErr   bool
		wantWaits []time.Duration
	}{
		{"rate limited: waits Retry-After", fakeslack.Failure{Status: http.StatusTooManyRequests, RetryAfter: 7}, 2, false, []time.Duration{7 * time.Second, 7 * time.Second}},
		{"server errors: backs off", fakeslack.Failure{Status: http.StatusServiceUnavailable}, 3, false, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}},
		{"gives up after five tries", fakeslack.Failure{Status: http.StatusInternalServerError}, 9, true, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}},
		{"a Slack error is not retried", fakeslack.Failure{Error: "channel_not_found"}, 1, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, fake, waits := newTestPlatform(t)
			fake.AddChannel("C1", "general", false)
			fake.Fail("chat.postMessage", tt.times, tt.failure)
			_, err := p.Post(context.Background(), "C1", muster.Message{Text: "hello"})
			if (err != nil) != tt.wantErr {
				t.Fatalf("Post error = %v, want error %v", err, tt.wantErr)
			}
			if len(*waits) != len(tt.wantWaits) {
				t.Fatalf("waits = %v, want %v", *waits, tt.wantWaits)
			}
			for i := range tt.wantWaits {
				if (*waits)[i] != tt.wantWaits[i] {
					t.Errorf("wait %d = %v, want %v", i, (*waits)[i], tt.wantWaits[i])
				}
			}
			if !tt.wantErr && len(fake.Messages("C1")) != 1 {
				t.Errorf("message not posted exactly once: %d", len(fake.Messages("C1")))
			}
		})
	}
}

func TestErrorsBecomeMusterCodes(t *testing.T) {
	p, fake, _ := newTestPlatform(t)
	fake.AddChannel("CTAKEN", "inc-1-x", false)
	if _, err := p.CreateRoom(context.Background(), "inc-1-x", false); muster.ErrorCode(err) != muster.ECONFLICT {
		t.Errorf("name taken: %v, want ECONFLICT", err)
	}
	if _, err := p.Post(context.Background(), "CNOPE", muster.Message{Text: "x"}); muster.ErrorCode(err) != muster.ENOTFOUND {
		t.Errorf("unknown channel: %v, want ENOTFOUND", err)
	}
	fake.AddUser("UOK", "ok")
	fake.AddUser("UGONE", "gone")
	fake.DeactivateUser("UGONE")
	for ref, want := range map[string]string{"UOK": "", "UGONE": "deactivated", "UMISSING": "not a member", "alex": "pick them from the list"} {
		id, err := p.LookupUser(context.Background(), ref)
		switch {
		case want == "" && (err != nil || id != ref):
			t.Errorf("LookupUser(%s) = %q, %v", ref, id, err)
		case want != "" && (muster.ErrorCode(err) != muster.EINVALID || !strings.Contains(muster.ErrorMessage(err), want)):
			t.Errorf("LookupUser(%s) = %v, want EINVALID mentioning %q", ref, err, want)
		}
	}
}

func TestInviteReportsEachFailure(t *testing.T) {
	p, fake, _ := newTestPlatform(t)
	fake.AddChannel("CROOM", "inc-1-x", false)
	for _, u := range []string{"UA", "UB", "UGONE"} {
		fake.AddUser(u, u)
	}
	fake.DeactivateUser("UGONE")
	fake.JoinChannel("CROOM", "UB")
	err := p.Invite(context.Background(), "CROOM", []string{"UA", "UB", "UGONE", "UNOBODY", "UBOT"})
	msg := muster.ErrorMessage(err)
	for _, want := range []string{"<@UGONE> (user_is_deactivated)", "<@UNOBODY> (user_not_found)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("invite error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "<@UB>") || strings.Contains(msg, "UBOT") {
		t.Errorf("already-present people are not failures: %q", msg)
	}
	ch, _ := fake.Channel("CROOM")
	if !containsString(ch.Members, "UA") {
		t.Errorf("UA was not invited despite the others failing: %v", ch.Members)
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestOverloadRefusedInTime: with every worker busy, a command is refused
// with a clear answer inside Slack's three seconds, not acknowledged late.
func TestOverloadRefusedInTime(t *testing.T) {
	p, _, _ := newTestPlatform(t)
	for range cap(p.slots) {
		p.slots <- struct{}{}
	}
	resp := p.runCommand(goslack.SlashCommand{Command: "/incident", Text: "declare sev1 Down", UserID: "U1", ChannelID: "C1", ResponseURL: "http://127.0.0.1:1/r"}, nil)
	if msg := resp; msg == nil || !strings.Contains(msg.Text, "overloaded") || msg.ResponseType != goslack.ResponseTypeEphemeral {
		t.Fatalf("answer = %#v", resp)
	}
}

func TestCallHook(t *testing.T) {
	tests := []struct {
		name    string
		failure fakeslack.Failure
		times   int
		want    []string
	}{
		{"ok", fakeslack.Failure{}, 0, []string{"chat.postMessage ok"}},
		{"rate limited, then ok", fakeslack.Failure{Status: http.StatusTooManyRequests, RetryAfter: 1}, 1, []string{"chat.postMessage rate_limited", "chat.postMessage ok"}},
		{"ratelimited in the body", fakeslack.Failure{Error: "ratelimited"}, 1, []string{"chat.postMessage rate_limited", "chat.postMessage ok"}},
		{"server error, then ok", fakeslack.Failure{Status: http.StatusServiceUnavailable}, 1, []string{"chat.postMessage error", "chat.postMessage ok"}},
		{"a Slack error", fakeslack.Failure{Error: "channel_not_found"}, 1, []string{"chat.postMessage error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := fakeslack.New()
			t.Cleanup(fake.Close)
			fake.AddChannel("C1", "general", false)
			var calls []string
			p := New(Config{
				APIURL: fake.URL(), BotToken: "xoxb-test", SigningSecret: "s",
				Wait: func(context.Context, time.Duration) error { return nil },
				Call: func(method, result string) { calls = append(calls, method+" "+result) },
			}, zerolog.Nop())
			if err := p.Connect(context.Background()); err != nil {
				t.Fatal(err)
			}
			if tt.times > 0 {
				fake.Fail("chat.postMessage", tt.times, tt.failure)
			}
			p.Post(context.Background(), "C1", muster.Message{Text: "hello"})
			want := append([]string{"auth.test ok"}, tt.want...)
			if strings.Join(calls, "; ") != strings.Join(want, "; ") {
				t.Errorf("calls = %q, want %q", calls, want)
			}
		})
	}
}

// TestCallRetriesRefusedConnections: Slack unreachable (connection
// refused) is retried with backoff like a 503, then reported.
func TestCallRetriesRefusedConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	var waits []time.Duration
	p := New(Config{
		APIURL: "http://" + addr + "/api/", BotToken: "xoxb-test", SigningSecret: "s",
		Wait: func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil },
	}, zerolog.Nop())
	_, err = p.Post(context.Background(), "C1", muster.Message{Text: "hello"})
	if err == nil || !strings.Contains(err.Error(), "gave up after 5 attempts") {
		t.Errorf("Post to an unreachable Slack: %v, want it given up after retries", err)
	}
	if len(waits) != 4 {
		t.Errorf("waits = %v, want four backoffs", waits)
	}
}
