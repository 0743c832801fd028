package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/commands"
	"github.com/muster-bot/muster/templates"
)

// newAliasEnv is newEnv with aliases on SEV1 (p1, critical) and SEV2 (p2).
func newAliasEnv(t testing.TB) *env {
	t.Helper()
	e := newEnv(t)
	ladder := muster.DefaultSeverities()
	ladder[0].Aliases = []string{"p1", "critical"}
	ladder[1].Aliases = []string{"p2"}
	pm, err := templates.New("")
	if err != nil {
		t.Fatalf("load templates: %v", err)
	}
	e.cmds = commands.New(e.db, pm, commands.Config{Severities: ladder, DefaultSeverity: "SEV3", Roles: muster.DefaultRoles()},
		func() time.Time { return e.now })
	return e
}

// TestDeclareSeverityWords: the ways people type a severity under stress
// all name it, and none of them ends up in the title.
func TestDeclareSeverityWords(t *testing.T) {
	for _, tc := range []struct{ text, sev, title string }{
		{"declare 1 DB down", "SEV1", "DB down"},
		{"declare sev-1 DB down", "SEV1", "DB down"},
		{"declare sev 1 DB down", "SEV1", "DB down"},
		{"declare SEV 2 DB down", "SEV2", "DB down"},
		{"declare SEV1 DB down", "SEV1", "DB down"},
		{"declare p1 DB down", "SEV1", "DB down"},
		{"declare P2 DB down", "SEV2", "DB down"},
		{"declare critical private DB down", "SEV1", "DB down"},
		{"declare private sev 1 DB down", "SEV1", "DB down"},
		{"declare sev3 p9 instances unavailable", "SEV3", "p9 instances unavailable"},
		{"declare Seven pods crashlooping", "SEV3", "Seven pods crashlooping"},
		{"declare p99 latency above 2s", "SEV3", "p99 latency above 2s"},
		{"declare 500s on checkout", "SEV3", "500s on checkout"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			e := newAliasEnv(t)
			e.must("alice", 0, tc.text)
			if inc := e.incident(1); inc.Severity != tc.sev || inc.Title != tc.title {
				t.Errorf("declared %s %q, want %s %q", inc.Severity, inc.Title, tc.sev, tc.title)
			}
		})
	}
}

// TestDeclareRefusesSeverityLookalikes: a first word that looks like a
// severity but is none is refused with the valid choices, never made part
// of the title.
func TestDeclareRefusesSeverityLookalikes(t *testing.T) {
	for _, text := range []string{"declare p9 DB down", "declare sev 9 DB down", "declare sev9 DB down", "declare 7 DB down", "declare sev DB down"} {
		t.Run(text, func(t *testing.T) {
			e := newAliasEnv(t)
			_, err := e.run("alice", 0, text)
			if muster.ErrorCode(err) != muster.EINVALID {
				t.Fatalf("got %v, want a user error", err)
			}
			msg := muster.ErrorMessage(err)
			word := strings.Fields(text)[1]
			if word == "sev" && text == "declare sev 9 DB down" {
				word = "sev 9"
			}
			for _, want := range []string{`"` + word + `" is not a severity`, "SEV1 (p1, critical), SEV2 (p2), SEV3, SEV4", "`declare SEV3 " + word + " …`"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
			if _, err := e.db.Incident(context.Background(), 1); muster.ErrorCode(err) != muster.ENOTFOUND {
				t.Error("an incident was declared")
			}
		})
	}
}

// TestSeverityCommandWords: `severity` and `sev` take the same words.
func TestSeverityCommandWords(t *testing.T) {
	e := newAliasEnv(t)
	e.must("alice", 0, "declare DB down")
	for _, tc := range []struct{ text, want string }{
		{"sev 1", "SEV1"},
		{"severity sev 2", "SEV2"},
		{"sev p1", "SEV1"},
		{"severity sev-3", "SEV3"},
		{"sev critical", "SEV1"},
		{"severity SEV4", "SEV4"},
	} {
		e.must("alice", 1, tc.text)
		if got := e.incident(1).Severity; got != tc.want {
			t.Errorf("%q: severity %s, want %s", tc.text, got, tc.want)
		}
	}
	for _, text := range []string{"sev p9", "severity sev 9", "sev 1 2", "sev critical now"} {
		_, err := e.run("alice", 1, text)
		if msg := muster.ErrorMessage(err); muster.ErrorCode(err) != muster.EINVALID || !strings.Contains(msg, "SEV1 (p1, critical)") {
			t.Errorf("%q: got %v, want a user error naming the severities", text, err)
		}
	}
}

// TestDeclareFromFields: a declaration in fields is declared as it is,
// through Declare and through an event that carries it.
func TestDeclareFromFields(t *testing.T) {
	e := newAliasEnv(t)
	d := muster.Declaration{Title: "private sev1 thing", Severity: "SEV2", Description: "seen at 03:00"}
	out, err := e.cmds.Declare(context.Background(), d, "")
	if err != nil {
		t.Fatal(err)
	}
	if inc := e.incident(out.Incident.ID); inc.Title != "private sev1 thing" || inc.Severity != "SEV2" || inc.Private || inc.Description != "seen at 03:00" || inc.Declarer != "" {
		t.Errorf("declared %+v", inc)
	}

	d = muster.Declaration{Title: "SEV1 replica lag", Severity: "p1"}
	req := &commands.Request{Event: muster.Event{User: "alice", Platform: "test", Text: "declare", Declare: &d}, Call: commands.Call{Verb: "declare"}}
	out, err = e.cmds.Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if inc := e.incident(out.Incident.ID); inc.Title != "SEV1 replica lag" || inc.Severity != "SEV1" || inc.Declarer != "alice" || req.Incident == nil {
		t.Errorf("declared %+v", inc)
	}

	_, err = e.cmds.Declare(context.Background(), muster.Declaration{Title: "x", Severity: "p9"}, "alice")
	if muster.ErrorCode(err) != muster.EINVALID || !strings.Contains(muster.ErrorMessage(err), "SEV1 (p1, critical)") {
		t.Errorf("unknown severity: %v", err)
	}
}
