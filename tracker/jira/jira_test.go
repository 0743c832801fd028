package jira_test

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
	"github.com/muster-bot/muster/tracker/jira"
	"github.com/muster-bot/muster/tracker/jira/fakejira"
)

const (
	user  = "muster@acme.example"
	token = "ATATT3xFfGF0-jira-token"
)

var resolvedAt = time.Date(2026, 12, 9, 10, 15, 30, 0, time.FixedZone("CET", 3600))

func setup(t *testing.T) (*fakejira.Server, *jira.Client) {
	t.Helper()
	fake := fakejira.New(t, user, token, "OPS", func() time.Time { return resolvedAt })
	fake.AddUser(fakejira.User{AccountID: "5b10a2844c20165700ede21g", Email: "jane@acme.example", Name: "Jane Doe"})
	return fake, client(fake, token)
}

func client(fake *fakejira.Server, tok string) *jira.Client {
	return jira.New(jira.Config{URL: fake.URL, Project: "OPS", User: user, Token: tok}, &http.Client{Timeout: 5 * time.Second})
}

func item() tracker.Issue {
	return tracker.Issue{
		Key:      tracker.Key(12, 3),
		Title:    "Alert on checkout 5xx rate",
		Body:     "Checkout returned 500s for 42 minutes before anyone noticed.\n\nAdd an alert on the error rate;\npage the checkout on-call.",
		Link:     tracker.Link{URL: "https://muster.example.com/incidents/12", Text: "INC-12 Checkout is returning 500s"},
		Assignee: "jane@acme.example",
		Due:      time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC),
		Priority: muster.P1,
		Labels:   []string{"incident"},
	}
}

func TestCreateSendsTheDocumentedFields(t *testing.T) {
	fake, jc := setup(t)
	ref, err := jc.Create(context.Background(), item())
	if err != nil {
		t.Fatal(err)
	}
	if want := (tracker.Ref{ID: "10001", Key: "OPS-1", URL: fake.URL + "/browse/OPS-1"}); ref != want {
		t.Errorf("ref = %+v, want %+v", ref, want)
	}
	calls := fake.Calls()
	var got []string
	for _, c := range calls {
		got = append(got, c.Method+" "+c.Path+"?"+c.Query)
	}
	want := []string{
		`GET /rest/api/3/search/jql?fields=status&jql=labels+%3D+%22muster-INC-12-action-3%22+ORDER+BY+created+ASC&maxResults=1`,
		`GET /rest/api/3/user/search?query=jane%40acme.example`,
		`POST /rest/api/3/issue?`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	body := `{"fields":{"project":{"key":"OPS"},"issuetype":{"name":"Task"},"summary":"Alert on checkout 5xx rate",` +
		`"description":{"type":"doc","version":1,"content":[` +
		`{"type":"paragraph","content":[{"type":"text","text":"Checkout returned 500s for 42 minutes before anyone noticed."}]},` +
		`{"type":"paragraph","content":[{"type":"text","text":"Add an alert on the error rate;"},{"type":"hardBreak"},{"type":"text","text":"page the checkout on-call."}]},` +
		`{"type":"paragraph","content":[{"type":"text","text":"Filed by muster from "},{"type":"text","text":"INC-12 Checkout is returning 500s","marks":[{"type":"link","attrs":{"href":"https://muster.example.com/incidents/12"}}]}]}]},` +
		`"duedate":"2026-12-18","priority":{"name":"High"},"labels":["muster-INC-12-action-3","incident"],` +
		`"assignee":{"accountId":"5b10a2844c20165700ede21g"}}}`
	if string(calls[2].Body) != body {
		t.Errorf("sent\n%s\nwant\n%s", calls[2].Body, body)
	}
	if calls[2].Code != http.StatusCreated {
		t.Errorf("the fake answered %d", calls[2].Code)
	}
}

func TestCreateTwiceIsOneIssue(t *testing.T) {
	fake, jc := setup(t)
	ctx := context.Background()
	first, err := jc.Create(ctx, item())
	if err != nil {
		t.Fatal(err)
	}
	again, err := jc.Create(ctx, item())
	if err != nil {
		t.Fatal(err)
	}
	if again != first || len(fake.Issues()) != 1 {
		t.Errorf("second create = %+v (first %+v), issues %d; want the same one issue", again, first, len(fake.Issues()))
	}
}

func TestCreateRetriedAfterALostAnswerFindsTheIssue(t *testing.T) {
	fake, jc := setup(t)
	ctx := context.Background()
	fake.DropCreateAnswers(1)
	_, err := jc.Create(ctx, item())
	if err == nil {
		t.Fatal("a create whose answer was lost succeeded")
	}
	if retry, _ := remote.Retry(err); !retry {
		t.Fatalf("a lost answer is not retried: %v", err)
	}
	ref, err := jc.Create(ctx, item())
	if err != nil {
		t.Fatal(err)
	}
	if issues := fake.Issues(); len(issues) != 1 || ref.Key != issues[0].Key {
		t.Errorf("retry gave %+v; issues %+v; want the one issue the lost create made", ref, issues)
	}
}

func TestCreateNamesAnOwnerJiraDoesNotKnow(t *testing.T) {
	fake, jc := setup(t)
	is := item()
	is.Assignee = "bob@acme.example"
	if _, err := jc.Create(context.Background(), is); err != nil {
		t.Fatal(err)
	}
	got := fake.Issues()[0]
	if got.AssigneeID != "" || !strings.Contains(string(got.Description), `"text":"Owner: bob@acme.example (no Jira account found for this e-mail)"`) {
		t.Errorf("assignee %q, description %s", got.AssigneeID, got.Description)
	}
}

func TestCreateAssignsAnOwnerWhoseEmailIsHidden(t *testing.T) {
	fake, jc := setup(t)
	fake.AddUser(fakejira.User{AccountID: "712020:bob", Email: "bob@acme.example", Name: "Bob", Hidden: true})
	is := item()
	is.Assignee = "bob@acme.example"
	if _, err := jc.Create(context.Background(), is); err != nil {
		t.Fatal(err)
	}
	if got := fake.Issues()[0].AssigneeID; got != "712020:bob" {
		t.Errorf("assignee %q, want the one account the search found", got)
	}
}

func TestCreateWithoutDueOwnerOrPriority(t *testing.T) {
	fake, jc := setup(t)
	is := tracker.Issue{Key: tracker.Key(1, 1), Title: "Write the runbook"}
	if _, err := jc.Create(context.Background(), is); err != nil {
		t.Fatal(err)
	}
	calls := fake.Calls()
	want := `{"fields":{"project":{"key":"OPS"},"issuetype":{"name":"Task"},"summary":"Write the runbook","labels":["muster-INC-1-action-1"]}}`
	if got := string(calls[len(calls)-1].Body); got != want {
		t.Errorf("sent\n%s\nwant\n%s", got, want)
	}
}

func TestCreateRefusesWhatIsNotMusters(t *testing.T) {
	fake, jc := setup(t)
	for _, is := range []tracker.Issue{{Key: "bug", Title: "x"}, {Key: tracker.Key(1, 1), Title: " "}} {
		_, err := jc.Create(context.Background(), is)
		if muster.ErrorCode(err) != muster.EINVALID {
			t.Errorf("Create(%+v) = %v, want EINVALID", is, err)
		}
		if retry, _ := remote.Retry(err); retry {
			t.Errorf("Create(%+v) is to be retried", is)
		}
	}
	if len(fake.Calls()) != 0 {
		t.Errorf("calls made: %+v", fake.Calls())
	}
}

func TestStateAndClose(t *testing.T) {
	fake, jc := setup(t)
	ctx := context.Background()
	ref, err := jc.Create(ctx, item())
	if err != nil {
		t.Fatal(err)
	}
	st, err := jc.State(ctx, ref)
	if err != nil || st.Done {
		t.Fatalf("new issue: %+v, %v", st, err)
	}
	fake.SetStatus(ref.Key, "In Progress")
	if st, _ := jc.State(ctx, ref); st.Done {
		t.Fatal("in progress read as done")
	}
	if err := jc.Close(ctx, ref); err != nil {
		t.Fatal(err)
	}
	calls := fake.Calls()
	last := calls[len(calls)-1]
	if last.Method != http.MethodPost || last.Path != "/rest/api/3/issue/OPS-1/transitions" || string(last.Body) != `{"transition":{"id":"31"}}` {
		t.Errorf("last call %s %s %s, want POST …/transitions {\"transition\":{\"id\":\"31\"}}", last.Method, last.Path, last.Body)
	}
	st, err = jc.State(ctx, ref)
	if err != nil || !st.Done || !st.ClosedAt.Equal(resolvedAt) {
		t.Errorf("closed issue: %+v, %v; want done at %s", st, err, resolvedAt)
	}
	n := len(fake.Calls())
	if err := jc.Close(ctx, ref); err != nil {
		t.Fatal(err)
	}
	for _, c := range fake.Calls()[n:] {
		if c.Method == http.MethodPost {
			t.Errorf("closing a done issue sent %s %s", c.Method, c.Path)
		}
	}
}

func TestCloseWithoutATransitionToDone(t *testing.T) {
	fake, jc := setup(t)
	ctx := context.Background()
	ref, err := jc.Create(ctx, item())
	if err != nil {
		t.Fatal(err)
	}
	fake.NoDoneTransition()
	err = jc.Close(ctx, ref)
	if muster.ErrorCode(err) != muster.EINVALID || !strings.Contains(muster.ErrorMessage(err), `from "To Do" to a done status`) {
		t.Errorf("Close = %v", err)
	}
	if retry, _ := remote.Retry(err); retry {
		t.Error("a workflow without a way to done is retried")
	}
}

func TestErrorsAreClassified(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name    string
		prepare func(*fakejira.Server)
		call    func(*fakejira.Server, *jira.Client) error
		code    int
		retry   bool
		after   time.Duration
		msg     string
	}{
		{"wrong token", nil, func(f *fakejira.Server, _ *jira.Client) error {
			_, err := client(f, "wrong").Create(ctx, item())
			return err
		}, 401, false, 0, "Client must be authenticated"},
		{"unknown issue", nil, func(_ *fakejira.Server, jc *jira.Client) error {
			_, err := jc.State(ctx, tracker.Ref{Key: "OPS-99"})
			return err
		}, 404, false, 0, "Issue does not exist"},
		{"invalid priority", nil, func(f *fakejira.Server, _ *jira.Client) error {
			jc := jira.New(jira.Config{URL: f.URL, Project: "OPS", User: user, Token: token,
				Priorities: map[muster.Priority]string{muster.P1: "Urgent"}}, nil)
			_, err := jc.Create(ctx, item())
			return err
		}, 400, false, 0, "priority: Specify the Priority"},
		{"rate limited", func(f *fakejira.Server) { f.Fail(1, 429, 7) }, func(_ *fakejira.Server, jc *jira.Client) error {
			_, err := jc.Create(ctx, item())
			return err
		}, 429, true, 7 * time.Second, "Too Many Requests"},
		{"down", func(f *fakejira.Server) { f.Down(503) }, func(_ *fakejira.Server, jc *jira.Client) error {
			return jc.Close(ctx, tracker.Ref{Key: "OPS-1"})
		}, 503, true, 0, "Service Unavailable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake, jc := setup(t)
			if c.prepare != nil {
				c.prepare(fake)
			}
			err := c.call(fake, jc)
			e, ok := errors.AsType[*remote.Error](err)
			if !ok || e.Code != c.code || e.Provider != "Jira" || !strings.Contains(e.Message, c.msg) {
				t.Fatalf("err = %v, want Jira's %d with %q", err, c.code, c.msg)
			}
			if retry, after := remote.Retry(err); retry != c.retry || after != c.after {
				t.Errorf("Retry = %v, %s; want %v, %s", retry, after, c.retry, c.after)
			}
		})
	}
}

func TestFindRefusesAKeyNotMusters(t *testing.T) {
	fake, jc := setup(t)
	if _, _, err := jc.Find(context.Background(), `x" OR project = SECRET`); muster.ErrorCode(err) != muster.EINVALID {
		t.Errorf("Find = %v, want EINVALID", err)
	}
	if len(fake.Calls()) != 0 {
		t.Errorf("calls made: %+v", fake.Calls())
	}
}
