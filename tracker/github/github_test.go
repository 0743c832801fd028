package github_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/remote"
	"github.com/muster-bot/muster/tracker"
	"github.com/muster-bot/muster/tracker/github"
	"github.com/muster-bot/muster/tracker/github/fakegithub"
)

const token = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"

var now = time.Date(2026, 12, 9, 9, 15, 30, 0, time.UTC)

func clock() time.Time { return now }

func setup(t *testing.T) (*fakegithub.Server, *github.Client) {
	t.Helper()
	fake := fakegithub.New(t, token, "acme/web", clock)
	fake.AddUser(fakegithub.User{Login: "janedoe", ID: 583231, Email: "jane@acme.example", Public: true, Collaborator: true})
	return fake, client(t, fake, token)
}

func client(t *testing.T, fake *fakegithub.Server, tok string) *github.Client {
	t.Helper()
	gc, err := github.New(github.Config{APIURL: fake.URL, Repo: "acme/web", Token: tok}, &http.Client{Timeout: 5 * time.Second}, clock)
	if err != nil {
		t.Fatal(err)
	}
	return gc
}

func item() tracker.Issue {
	return tracker.Issue{
		Key:      tracker.Key(12, 3),
		Title:    "Alert on checkout 5xx rate",
		Body:     "Checkout returned 500s for 42 minutes before anyone noticed.",
		Link:     tracker.Link{URL: "https://muster.example.com/incidents/12", Text: "INC-12 Checkout is returning 500s"},
		Assignee: "jane@acme.example",
		Due:      time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC),
		Priority: muster.P1,
		Labels:   []string{"incident"},
	}
}

func TestCreateSendsTheDocumentedIssue(t *testing.T) {
	fake, gc := setup(t)
	ref, err := gc.Create(context.Background(), item())
	if err != nil {
		t.Fatal(err)
	}
	if want := (tracker.Ref{ID: "1000001", Key: "acme/web#1", Number: 1, URL: "https://github.com/acme/web/issues/1"}); ref != want {
		t.Errorf("ref = %+v, want %+v", ref, want)
	}
	calls := fake.Calls()
	var got []string
	for _, c := range calls {
		got = append(got, c.Method+" "+c.Path+"?"+c.Query)
	}
	want := []string{
		`GET /repos/acme/web/issues?direction=asc&labels=muster-INC-12-action-3&per_page=1&sort=created&state=all`,
		`GET /search/users?per_page=2&q=jane%40acme.example+in%3Aemail`,
		`POST /repos/acme/web/issues?`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	body := `{"title":"Alert on checkout 5xx rate",` +
		`"body":"Checkout returned 500s for 42 minutes before anyone noticed.\n\n**Owner:** @janedoe  \n**Due:** 2026-12-18  \n**Priority:** P1  \n` +
		`Filed by muster from [INC-12 Checkout is returning 500s](https://muster.example.com/incidents/12)",` +
		`"labels":["muster-INC-12-action-3","priority: P1","incident"],"assignees":["janedoe"]}` + "\n"
	if string(calls[2].Body) != body {
		t.Errorf("sent\n%s\nwant\n%s", calls[2].Body, body)
	}
	if is := fake.Issues()[0]; is.State != "open" || len(is.Assignees) != 1 {
		t.Errorf("issue %+v", is)
	}
}

func TestCreateTwiceIsOneIssue(t *testing.T) {
	fake, gc := setup(t)
	ctx := context.Background()
	first, err := gc.Create(ctx, item())
	if err != nil {
		t.Fatal(err)
	}
	fake.SetState(first.Number, "closed") // found also once closed
	again, err := gc.Create(ctx, item())
	if err != nil {
		t.Fatal(err)
	}
	if again != first || len(fake.Issues()) != 1 {
		t.Errorf("second create = %+v (first %+v), issues %d; want the same one issue", again, first, len(fake.Issues()))
	}
}

func TestCreateRetriedAfterALostAnswerFindsTheIssue(t *testing.T) {
	fake, gc := setup(t)
	ctx := context.Background()
	fake.DropCreateAnswers(1)
	_, err := gc.Create(ctx, item())
	if err == nil {
		t.Fatal("a create whose answer was lost succeeded")
	}
	if retry, _ := remote.Retry(err); !retry {
		t.Fatalf("a lost answer is not retried: %v", err)
	}
	ref, err := gc.Create(ctx, item())
	if err != nil {
		t.Fatal(err)
	}
	if issues := fake.Issues(); len(issues) != 1 || ref.Number != issues[0].Number {
		t.Errorf("retry gave %+v; issues %+v; want the one issue the lost create made", ref, issues)
	}
}

func TestCreateNamesAnOwnerItCannotAssign(t *testing.T) {
	cases := []struct {
		name string
		user *fakegithub.User
	}{
		{"no account with that public e-mail", nil},
		{"e-mail not public", &fakegithub.User{Login: "bob", ID: 2, Email: "bob@acme.example", Collaborator: true}},
		{"not a collaborator", &fakegithub.User{Login: "bob", ID: 2, Email: "bob@acme.example", Public: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake, gc := setup(t)
			if c.user != nil {
				fake.AddUser(*c.user)
			}
			is := item()
			is.Assignee = "bob@acme.example"
			if _, err := gc.Create(context.Background(), is); err != nil {
				t.Fatal(err)
			}
			issues := fake.Issues()
			if len(issues) != 1 || len(issues[0].Assignees) != 0 || !strings.Contains(issues[0].Body, "**Owner:** bob@acme.example  \n") {
				t.Errorf("issues %+v, want one unassigned naming the owner", issues)
			}
		})
	}
}

func TestStateAndClose(t *testing.T) {
	fake, gc := setup(t)
	ctx := context.Background()
	ref, err := gc.Create(ctx, item())
	if err != nil {
		t.Fatal(err)
	}
	if st, err := gc.State(ctx, ref); err != nil || st.Done {
		t.Fatalf("new issue: %+v, %v", st, err)
	}
	if err := gc.Close(ctx, ref); err != nil {
		t.Fatal(err)
	}
	calls := fake.Calls()
	last := calls[len(calls)-1]
	if last.Method != http.MethodPatch || last.Path != "/repos/acme/web/issues/1" || string(last.Body) != `{"state":"closed","state_reason":"completed"}`+"\n" {
		t.Errorf("last call %s %s %s", last.Method, last.Path, last.Body)
	}
	st, err := gc.State(ctx, ref)
	if err != nil || !st.Done || !st.ClosedAt.Equal(now) {
		t.Errorf("closed issue: %+v, %v; want done at %s", st, err, now)
	}
	n := len(fake.Calls())
	if err := gc.Close(ctx, ref); err != nil {
		t.Fatal(err)
	}
	for _, c := range fake.Calls()[n:] {
		if c.Method != http.MethodGet {
			t.Errorf("closing a closed issue sent %s %s", c.Method, c.Path)
		}
	}
	fake.SetState(ref.Number, "open")
	if st, _ := gc.State(ctx, ref); st.Done {
		t.Error("reopened issue read as done")
	}
}

func TestNewRefusesABadConfiguration(t *testing.T) {
	for _, cfg := range []github.Config{{Repo: "acme"}, {Repo: "acme/web/x"}, {Repo: "/web"}, {Repo: "acme/web", APIURL: "ftp://x"}} {
		if _, err := github.New(cfg, nil, nil); muster.ErrorCode(err) != muster.EINVALID {
			t.Errorf("New(%+v) = %v, want EINVALID", cfg, err)
		}
	}
}

func TestErrorsAreClassified(t *testing.T) {
	ctx := context.Background()
	create := func(_ *fakegithub.Server, gc *github.Client) error {
		_, err := gc.Create(ctx, item())
		return err
	}
	cases := []struct {
		name    string
		prepare func(*fakegithub.Server)
		call    func(*fakegithub.Server, *github.Client) error
		code    int
		retry   bool
		after   time.Duration
		msg     string
	}{
		{"wrong token", nil, func(f *fakegithub.Server, _ *github.Client) error {
			_, err := client(t, f, "wrong").Create(ctx, item())
			return err
		}, 401, false, 0, "Bad credentials"},
		{"unknown issue", nil, func(_ *fakegithub.Server, gc *github.Client) error {
			_, err := gc.State(ctx, tracker.Ref{Key: "acme/web#99", Number: 99})
			return err
		}, 404, false, 0, "Not Found"},
		{"validation failed", func(f *fakegithub.Server) { f.Fail(1, 422, 0) }, create, 422, false, 0, "Unprocessable Entity"},
		{"secondary rate limit", func(f *fakegithub.Server) { f.Fail(1, 429, 60) }, create, 429, true, time.Minute, "Too Many Requests"},
		{"primary rate limit", func(f *fakegithub.Server) { f.RateLimit(1) }, create, 403, true, time.Minute, "API rate limit exceeded"},
		{"down", func(f *fakegithub.Server) { f.Down(502) }, create, 502, true, 0, "Bad Gateway"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake, gc := setup(t)
			if c.prepare != nil {
				c.prepare(fake)
			}
			err := c.call(fake, gc)
			e, ok := errors.AsType[*remote.Error](err)
			if !ok || e.Code != c.code || e.Provider != "GitHub" || !strings.Contains(e.Message, c.msg) {
				t.Fatalf("err = %v, want GitHub's %d with %q", err, c.code, c.msg)
			}
			if retry, after := remote.Retry(err); retry != c.retry || after != c.after {
				t.Errorf("Retry = %v, %s; want %v, %s", retry, after, c.retry, c.after)
			}
		})
	}
}

func TestALongTitleIsCut(t *testing.T) {
	fake, gc := setup(t)
	is := item()
	is.Title = strings.Repeat("ü", 300)
	if _, err := gc.Create(context.Background(), is); err != nil {
		t.Fatal(err)
	}
	if got := []rune(fake.Issues()[0].Title); len(got) != 256 || got[255] != '…' {
		t.Errorf("title of %d runes", len(got))
	}
}

// After a rate limit, the next call still goes to GitHub: the client
// keeps no clock of its own, the outbox waits.
func TestARateLimitLeavesNoStateInTheClient(t *testing.T) {
	fake, gc := setup(t)
	fake.RateLimit(1)
	if _, err := gc.Create(context.Background(), item()); err == nil {
		t.Fatal("rate-limited create succeeded")
	}
	if _, err := gc.Create(context.Background(), item()); err != nil {
		t.Fatalf("the call after the limit: %v", err)
	}
}

func TestFindRefusesAKeyNotMusters(t *testing.T) {
	fake, gc := setup(t)
	if _, _, err := gc.Find(context.Background(), `x" OR 1`); muster.ErrorCode(err) != muster.EINVALID {
		t.Errorf("Find = %v, want EINVALID", err)
	}
	if len(fake.Calls()) != 0 {
		t.Errorf("calls made: %+v", fake.Calls())
	}
}
