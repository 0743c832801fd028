package commands_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/commands"
	"github.com/muster-bot/muster/store"
	"github.com/muster-bot/muster/templates"
)

var t0 = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

// env is a command runner over a real store and a clock the test moves.
type env struct {
	t    testing.TB
	db   *store.DB
	cmds *commands.Runner
	now  time.Time
}

func newEnv(t testing.TB) *env {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "muster.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	pm, err := templates.New("")
	if err != nil {
		t.Fatalf("load templates: %v", err)
	}
	e := &env{t: t, db: db, now: t0}
	e.cmds = commands.New(db, pm, commands.Config{
		Severities:      muster.DefaultSeverities(),
		DefaultSeverity: "SEV3",
		Roles:           muster.DefaultRoles(),
		Components:      []string{"API", "Checkout", "Web app"},
	}, func() time.Time { return e.now })
	return e
}

// run executes text as user, acting on incident id (0: none).
func (e *env) run(user string, id int, text string) (*commands.Outcome, error) {
	e.t.Helper()
	call, err := commands.Parse(text, id != 0)
	if err != nil {
		return nil, err
	}
	req := &commands.Request{Event: muster.Event{User: user, Platform: "test", At: e.now}, Call: call}
	if id != 0 && e.cmds.NeedsIncident(call.Verb) {
		inc, err := e.db.Incident(context.Background(), id)
		if err != nil {
			e.t.Fatalf("load INC-%d: %v", id, err)
		}
		req.Incident = inc
	}
	return e.cmds.Run(context.Background(), req)
}

func (e *env) must(user string, id int, text string) *commands.Outcome {
	e.t.Helper()
	out, err := e.run(user, id, text)
	if err != nil {
		e.t.Fatalf("%s: %v", text, err)
	}
	return out
}

func (e *env) incident(id int) *muster.Incident {
	e.t.Helper()
	inc, err := e.db.Incident(context.Background(), id)
	if err != nil {
		e.t.Fatalf("load INC-%d: %v", id, err)
	}
	return inc
}

func (e *env) timeline(id int) []muster.Entry {
	e.t.Helper()
	tl, err := e.db.Timeline(context.Background(), id)
	if err != nil {
		e.t.Fatalf("timeline of INC-%d: %v", id, err)
	}
	return tl
}

func TestDeclare(t *testing.T) {
	tests := []struct {
		name, text, title, sev string
		private                bool
	}{
		{"title only takes the default severity", "declare Checkout is returning 500s", "Checkout is returning 500s", "SEV3", false},
		{"severity first", "declare sev1 Checkout down", "Checkout down", "SEV1", false},
		{"severity any case", "declare SeV2 Search slow", "Search slow", "SEV2", false},
		{"private then severity", "declare private sev1 Leaked key", "Leaked key", "SEV1", true},
		{"severity then private", "declare sev2 private Leaked key", "Leaked key", "SEV2", true},
		{"spacing folded", "declare   sev4   Typo   on   pricing page", "Typo on pricing page", "SEV4", false},
		{"lines after the title describe it", "declare sev2 Search slow\np99 at 4s since 02:40\nEU only", "Search slow", "SEV2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			out := e.must("alice", 0, tt.text)
			if out.Happened != commands.Declared {
				t.Fatal("outcome does not ask for a war room")
			}
			inc := e.incident(1)
			if inc.Title != tt.title || inc.Severity != tt.sev || inc.Private != tt.private || inc.Status != muster.StatusInvestigating || inc.Declarer != "alice" {
				t.Errorf("stored %+v, want title %q severity %s private %v", inc, tt.title, tt.sev, tt.private)
			}
			if _, desc, _ := strings.Cut(tt.text, "\n"); inc.Description != desc {
				t.Errorf("description = %q, want %q", inc.Description, desc)
			}
			if tl := e.timeline(1); len(tl) != 1 || tl[0].Kind != muster.EntryDeclared || !tl[0].Key {
				t.Errorf("timeline = %+v, want one key 'declared' entry", tl)
			}
		})
	}
}

func TestDeclareNumbersIncidents(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 3; i++ {
		out := e.must("alice", 0, "declare Outage")
		if out.Incident.ID != i || out.Incident.Ref() != "INC-"+string(rune('0'+i)) {
			t.Fatalf("incident %d got id %d (%s)", i, out.Incident.ID, out.Incident.Ref())
		}
	}
}

// TestBadInput checks that every mistake gets a specific message naming
// the valid choices, and that nothing is recorded.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name string
		id   int // incident the command acts on (INC-1 is declared first)
		text string
		want []string // fragments of the message
	}{
		{"unknown verb suggests the closest", 1, "updte all good", []string{"`updte` is not a command", "Did you mean `update`?", "declare, ic"}},
		{"missing title", 0, "declare sev1", []string{"needs a title"}},
		{"unknown severity on declare", 0, "declare sev9 Outage", []string{`"sev9" is not a severity`, "SEV1, SEV2, SEV3, SEV4"}},
		{"unknown severity", 1, "severity sev7", []string{`"sev7" is not a severity`, "SEV1, SEV2, SEV3, SEV4"}},
		{"same severity", 1, "severity sev3", []string{"already SEV3"}},
		{"severity without argument", 1, "sev", []string{"Usage: `severity <sevN>`"}},
		{"unknown status", 1, "status fixed", []string{`"fixed" is not a status`, "investigating, identified, mitigated, resolved"}},
		{"unknown role", 1, "role chef", []string{`"chef" is not a role`, "ic, comms, scribe, ops"}},
		{"role for a non-user", 1, "comms bob", []string{`"bob" is not a user`}},
		{"handoff without user", 1, "handoff", []string{"Name who takes over", "Usage: `handoff @user`"}},
		{"empty update", 1, "update", []string{"An update needs text"}},
		{"empty note", 1, "note", []string{"A note needs text"}},
		{"bad due date", 1, "action Fix it due 2026-13-01", []string{`"2026-13-01" is not a due date`, "YYYY-MM-DD"}},
		{"due date in the past", 1, "action Fix it due 2026-11-20", []string{"2026-11-20 is in the past", "from today (2026-11-22 in UTC) on"}},
		{"priority out of range", 1, "action Fix pool size @bob p5", []string{`"p5" is not a priority`, "p0", "p1", "p2"}},
		{"priority in capitals out of range", 1, "action Fix pool size P9", []string{`"P9" is not a priority`}},
		{"done of a missing item", 1, "action done 3", []string{"no action items yet"}},
		{"bad snooze", 1, "snooze soon", []string{`"soon" is not a duration`}},
		{"snooze too long", 1, "snooze 9h", []string{"Snooze for up to 8h", "4h"}},
		{"reopen an open incident", 1, "reopen", []string{"is not resolved"}},
		{"list junk", 0, "list some", []string{"Say `open` or `all`"}},
		{"stats junk", 0, "stats forever", []string{`"forever" is not a window`}},
		{"help for unknown", 0, "help frobnicate", []string{"`frobnicate` is not a command"}},
		{"needs an incident", 0, "update all good", []string{"`update` acts on an incident", "Open: INC-1."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.must("alice", 0, "declare Checkout down")
			before, beforeTL := e.incident(1), len(e.timeline(1))
			_, err := e.run("alice", tt.id, tt.text)
			if code := muster.ErrorCode(err); code == "" || code == muster.EINTERNAL {
				t.Fatalf("%q: got %v, want a user error", tt.text, err)
			}
			msg := muster.ErrorMessage(err)
			for _, want := range tt.want {
				if !strings.Contains(msg, want) {
					t.Errorf("%q: message %q lacks %q", tt.text, msg, want)
				}
			}
			if after := e.incident(1); after.Severity != before.Severity || after.Status != before.Status || len(after.Actions) != len(before.Actions) || len(e.timeline(1)) != beforeTL {
				t.Errorf("%q changed the store", tt.text)
			}
			if _, err := e.db.Incident(context.Background(), 2); muster.ErrorCode(err) != muster.ENOTFOUND {
				t.Errorf("%q created an incident", tt.text)
			}
		})
	}
}

func TestRoles(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev1 Checkout down")
	e.now = t0.Add(3 * time.Minute)
	out := e.must("alice", 1, "ic")
	if out.Happened != commands.Changed || out.Incident.Roles["ic"] != "alice" || len(out.Invite) != 0 {
		t.Fatalf("ic: outcome %+v", out)
	}
	if got := out.Incident.AcknowledgedAt; !got.Equal(t0.Add(3 * time.Minute)) {
		t.Errorf("acknowledged at %v, want the first IC's time", got)
	}
	if got := out.Incident.Holder("comms"); got != "alice" {
		t.Errorf("the IC should hold an undelegated role, Holder(comms) = %q", got)
	}
	out = e.must("alice", 1, "comms @bob")
	if out.Incident.Roles["comms"] != "bob" || len(out.Invite) != 1 || out.Invite[0] != "bob" {
		t.Errorf("comms @bob: roles %v, invite %v", out.Incident.Roles, out.Invite)
	}
	e.must("alice", 1, "role scribe <@U777|carol>")
	e.now = t0.Add(time.Hour)
	e.must("alice", 1, "handoff @dave")
	inc := e.incident(1)
	if inc.Roles["ic"] != "dave" || inc.Roles["scribe"] != "U777" {
		t.Errorf("roles = %v", inc.Roles)
	}
	if !inc.AcknowledgedAt.Equal(t0.Add(3 * time.Minute)) {
		t.Errorf("a handoff must not move the acknowledgement: %v", inc.AcknowledgedAt)
	}
	last := inc.RoleLog[len(inc.RoleLog)-1]
	if last.Role != "ic" || last.From != "alice" || last.User != "dave" {
		t.Errorf("last role change = %+v, want a handoff alice → dave", last)
	}
	tl := e.timeline(1)
	if k := tl[len(tl)-1].Kind; k != muster.EntryHandoff {
		t.Errorf("last entry kind = %s, want handoff", k)
	}
	if _, err := e.run("dave", 1, "ic"); muster.ErrorCode(err) != muster.ECONFLICT {
		t.Errorf("taking a role you hold: %v, want ECONFLICT", err)
	}
}

func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev2 Search slow")
	e.must("alice", 1, "ic")

	e.now = t0.Add(10 * time.Minute)
	out := e.must("alice", 1, "severity sev1")
	if out.Incident.Severity != "SEV1" || len(out.Announce) != 1 {
		t.Errorf("upgrade: %+v", out)
	}
	e.must("alice", 1, "status identified")
	e.now = t0.Add(40 * time.Minute)
	e.must("alice", 1, "mitigate")
	if inc := e.incident(1); inc.Status != muster.StatusMitigated || !inc.MitigatedAt.Equal(t0.Add(40*time.Minute)) {
		t.Errorf("mitigate: status %s at %v", inc.Status, inc.MitigatedAt)
	}
	e.now = t0.Add(90 * time.Minute)
	out = e.must("alice", 1, "resolve Bad index dropped")
	inc := out.Incident
	if inc.Status != muster.StatusResolved || inc.Summary != "Bad index dropped" || inc.TimeToResolve() != 90*time.Minute {
		t.Errorf("resolve: %+v", inc)
	}
	if len(out.Room) != 1 || out.Room[0].File == nil || !strings.Contains(string(out.Room[0].File.Content), "Bad index dropped") {
		t.Fatalf("resolve should post the postmortem draft as a file: %+v", out.Room)
	}
	if _, err := e.run("alice", 1, "resolve"); muster.ErrorCode(err) != muster.ECONFLICT {
		t.Errorf("second resolve: %v, want ECONFLICT and no second postmortem", err)
	}
	for _, text := range []string{"update still here", "severity sev3", "status identified", "snooze 10m"} {
		if _, err := e.run("alice", 1, text); muster.ErrorCode(err) != muster.ECONFLICT {
			t.Errorf("%q on a resolved incident: %v, want ECONFLICT", text, err)
		}
	}
	e.now = t0.Add(2 * time.Hour)
	out = e.must("alice", 1, "reopen")
	if out.Incident.Status != muster.StatusInvestigating || !out.Incident.ResolvedAt.IsZero() || !out.Incident.Reminder.LastUpdate.Equal(e.now) {
		t.Errorf("reopen: %+v", out.Incident)
	}
	var kinds []string
	for _, entry := range e.timeline(1) {
		kinds = append(kinds, string(entry.Kind))
	}
	want := "declared role severity status status resolved reopened"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("timeline kinds = %s, want %s", got, want)
	}
}

func TestStatusResolvedPostsPostmortem(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare Outage")
	out := e.must("alice", 1, "status resolved")
	if out.Incident.Status != muster.StatusResolved || len(out.Room) != 1 || out.Room[0].File == nil {
		t.Fatalf("status resolved: %+v", out)
	}
}

func TestUpdateResetsReminderClock(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev1 Outage")
	_, _, err := e.db.Update(context.Background(), 1, func(inc *muster.Incident) ([]muster.Entry, error) {
		inc.Reminder.Missed, inc.Reminder.LastNag = 2, t0.Add(time.Hour)
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.now = t0.Add(70 * time.Minute)
	out := e.must("bob", 1, "update  Rolled back; errors falling ")
	r := out.Incident.Reminder
	if !r.LastUpdate.Equal(e.now) || r.Missed != 0 || !r.LastNag.IsZero() {
		t.Errorf("reminder state after update = %+v", r)
	}
	if len(out.Room) != 1 || len(out.Announce) != 1 || out.Room[0].Text != "Rolled back; errors falling" {
		t.Errorf("update goes to the room and the announcement: %+v", out)
	}
}

func TestActionItems(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare Outage")
	out := e.must("alice", 1, "action Add an alert on 5xx @sam p1 due 2026-12-01")
	if want := "Action item #1: Add an alert on 5xx (owner <@sam>); due 2026-12-01, priority P1. Close it with `action done 1`."; len(out.Room) != 1 || out.Room[0].Text != want {
		t.Errorf("confirmation = %+v, want %q", out.Room, want)
	}
	out = e.must("alice", 1, "action p0 Fix the retry storm")
	if want := "; no due date, priority P0."; !strings.Contains(out.Room[0].Text, want) {
		t.Errorf("confirmation %q lacks %q", out.Room[0].Text, want)
	}
	e.must("alice", 1, "action Move the cache to p4 instances due 2026-11-22") // today, and p4 inside the title
	inc := e.incident(1)
	if len(inc.Actions) != 3 || inc.Actions[2].Text != "Move the cache to p4 instances" {
		t.Fatalf("actions = %+v", inc.Actions)
	}
	a := inc.Actions[0]
	if a.Number != 1 || a.Text != "Add an alert on 5xx" || a.Owner != "sam" || a.Priority != muster.P1 || a.Due.Format(time.DateOnly) != "2026-12-01" {
		t.Errorf("first action = %+v", a)
	}
	if b := inc.Actions[1]; b.Text != "Fix the retry storm" || b.Priority != muster.P0 || b.Owner != "" {
		t.Errorf("second action = %+v", b)
	}
	e.must("alice", 1, "action done 2")
	if inc := e.incident(1); !inc.Actions[1].Done || inc.Actions[0].Done {
		t.Errorf("done flags = %v %v", inc.Actions[0].Done, inc.Actions[1].Done)
	}
	if _, err := e.run("alice", 1, "action done 2"); muster.ErrorCode(err) != muster.ECONFLICT {
		t.Errorf("done twice: %v", err)
	}
	if _, err := e.run("alice", 1, "action done 5"); !strings.Contains(muster.ErrorMessage(err), "#1 to #3") {
		t.Errorf("done of a missing item: %v", err)
	}
}

func TestNoteAndSnooze(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev1 Outage")
	e.must("alice", 1, "note Feature flag checkout_v2 off")
	tl := e.timeline(1)
	if last := tl[len(tl)-1]; last.Kind != muster.EntryNote || !last.Key || last.Text != "Feature flag checkout_v2 off" {
		t.Errorf("note entry = %+v", last)
	}
	out := e.must("alice", 1, "snooze 45m")
	if got := out.Incident.Reminder.SnoozedUntil; !got.Equal(t0.Add(45 * time.Minute)) {
		t.Errorf("snoozed until %v", got)
	}
	e.must("alice", 1, "severity sev4")
	if _, err := e.run("alice", 1, "snooze 10m"); !strings.Contains(muster.ErrorMessage(err), "no update reminders") {
		t.Errorf("snooze at a severity without cadence: %v", err)
	}
}

func TestShowListStatsHelp(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev1 Checkout down")
	e.now = t0.Add(5 * time.Minute)
	e.must("alice", 1, "ic")
	e.must("alice", 1, "detected 10m ago") // t0-5m
	e.must("alice", 1, "started 20m ago")  // t0-15m
	e.must("alice", 0, "declare sev2 Search slow")
	e.must("alice", 2, "action Add a shard alert")
	e.must("alice", 2, "action Document the rebuild")
	e.must("alice", 2, "action done 2")
	e.now = t0.Add(65 * time.Minute)
	e.must("alice", 1, "resolve")

	out := e.must("bob", 2, "show")
	if out.Reply == nil || !strings.Contains(out.Reply.Title, "INC-2 · SEV2 · investigating") {
		t.Errorf("show: %+v", out.Reply)
	}
	if out := e.must("bob", 0, "list"); !strings.Contains(out.Reply.Text, "INC-2") || strings.Contains(out.Reply.Text, "INC-1") {
		t.Errorf("list open: %q", out.Reply.Text)
	}
	if out := e.must("bob", 0, "list all"); !strings.Contains(out.Reply.Text, "INC-1") {
		t.Errorf("list all: %q", out.Reply.Text)
	}
	stats := e.must("bob", 0, "stats 7d").Reply
	all := stats.Title
	for _, f := range stats.Fields {
		all += "\n" + f.Label + ": " + f.Value
	}
	for _, want := range []string{"last 7d: 2", "SEV1 1 · SEV2 1 · SEV3 0", "MTTD (impact started → detected): mean 5m, median 5m (n=2)", "Time to declare (detected → declared): mean 3m, median 3m (n=2)",
		"MTTA (declared → first IC): mean 5m, median 5m (n=1)", "MTTM (impact started → mitigated): mean 1h20m, median 1h20m (n=1)", "MTTR (impact started → resolved): mean 1h20m, median 1h20m (n=1)", "Action items: 1 open of 2", "Status updates on time: 0 of 2 (0%)"} {
		if !strings.Contains(all, want) {
			t.Errorf("stats lack %q:\n%s", want, all)
		}
	}
	help := e.must("bob", 0, "help").Reply.Text
	for _, verb := range []string{"`declare [drill] [sevN] [private] [svc:<name>,…] <title>`", "`severity <sevN>` (alias `sev`)", "`snooze <duration>`", "`stats", "Incident Commander holds every role"} {
		if !strings.Contains(help, verb) {
			t.Errorf("help lacks %q", verb)
		}
	}
	if one := e.must("bob", 0, "help sev").Reply.Text; !strings.HasPrefix(one, "`severity <sevN>`") {
		t.Errorf("help sev = %q", one)
	}
}

func TestHeaderButtons(t *testing.T) {
	e := newEnv(t)
	out := e.must("alice", 0, "declare sev1 Outage")
	h := e.cmds.Header(out.Incident)
	if len(h.Buttons) != 4 || h.Buttons[0].Label != "I'll be IC" || h.Buttons[0].Action != "role ic" || h.Buttons[0].Value != "INC-1" {
		t.Fatalf("header buttons = %+v", h.Buttons)
	}
	out = e.must("alice", 1, "ic")
	if h := e.cmds.Header(out.Incident); len(h.Buttons) != 3 || h.Buttons[0].Label != "I'll be Comms" {
		t.Errorf("after ic, buttons = %+v", h.Buttons)
	}
	out = e.must("alice", 1, "resolve")
	if h := e.cmds.Header(out.Incident); len(h.Buttons) != 0 || len(h.Menus) != 0 {
		t.Errorf("a resolved header keeps no controls: %+v", h)
	}
}

func TestCheckRoles(t *testing.T) {
	if err := commands.CheckRoles(muster.DefaultRoles()); err != nil {
		t.Errorf("default roles: %v", err)
	}
	roles := append(muster.DefaultRoles(), muster.Role{Key: "update", Name: "Updater", Short: "Upd"}, muster.Role{Key: "help", Name: "Helper", Short: "Help"})
	err := commands.CheckRoles(roles)
	if msg := muster.ErrorMessage(err); !strings.Contains(msg, "update, help") {
		t.Errorf("clashing roles: %v", err)
	}
}

type brokenDrafts struct{}

func (brokenDrafts) Render(io.Writer, templates.Data) error {
	return errors.New("template: postmortem.md.tmpl:3: no such field")
}

// TestResolveWithABrokenTemplate: the incident is resolved and said so,
// even when the draft cannot be rendered.
func TestResolveWithABrokenTemplate(t *testing.T) {
	e := newEnv(t)
	e.cmds = commands.New(e.db, brokenDrafts{}, commands.Config{Severities: muster.DefaultSeverities(), DefaultSeverity: "SEV3", Roles: muster.DefaultRoles()}, func() time.Time { return e.now })
	e.must("alice", 0, "declare Outage")
	out := e.must("alice", 1, "resolve")
	if out.Incident.Status != muster.StatusResolved || out.Happened != commands.Changed || len(out.Announce) != 1 || len(out.Warnings) != 1 {
		t.Fatalf("outcome = %+v", out)
	}
	if !strings.Contains(out.Room[0].Text, "could not be rendered") || out.Room[0].File != nil {
		t.Errorf("room message = %+v", out.Room[0])
	}
}

// TestPrivateIncidentsStayPrivate: outside its room, a private incident is
// shown only to the people working it; to anyone else it does not exist.
func TestPrivateIncidentsStayPrivate(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev1 private Signing key leaked")
	e.must("alice", 0, "declare sev3 Search slow")
	if out := e.must("mallory", 0, "list"); strings.Contains(out.Reply.Text, "Signing key") || strings.Contains(out.Reply.Text, "INC-1") || !strings.Contains(out.Reply.Text, "Search slow") {
		t.Errorf("list for an outsider:\n%s", out.Reply.Text)
	}
	if out := e.must("alice", 0, "list"); !strings.Contains(out.Reply.Text, "Signing key leaked") {
		t.Errorf("list for the declarer:\n%s", out.Reply.Text)
	}
	_, err := e.run("mallory", 1, "show")
	_, none := e.db.Incident(context.Background(), 99)
	if muster.ErrorCode(err) != muster.ENOTFOUND || muster.ErrorMessage(err) != strings.ReplaceAll(muster.ErrorMessage(none), "99", "1") {
		t.Errorf("show for an outsider: %v, want what a missing incident gets (%v)", err, none)
	}
	if out := e.must("alice", 1, "show"); !strings.Contains(out.Reply.Title, "Signing key leaked") {
		t.Errorf("show for the declarer: %+v", out.Reply)
	}
}

func TestRunbooksInTheHeader(t *testing.T) {
	e := newEnv(t)
	e.cmds = commands.New(e.db, nil, commands.Config{
		Severities: muster.DefaultSeverities(), DefaultSeverity: "SEV3", Roles: muster.DefaultRoles(),
		Runbooks: []muster.Runbook{
			{Title: "Checkout runbook", URL: "https://wiki.example.com/checkout", Keywords: []string{"checkout", "payment"}},
			{Title: "SEV1 playbook", URL: "https://wiki.example.com/sev1", Severities: []string{"sev1"}},
			{Title: "Search runbook", URL: "https://wiki.example.com/search", Keywords: []string{"search"}},
		},
	}, func() time.Time { return e.now })
	out := e.must("alice", 0, "declare sev1 Checkout is returning 500s")
	var runbooks string
	for _, f := range e.cmds.Header(out.Incident).Fields {
		if f.Label == "Runbooks" {
			runbooks = f.Value
		}
	}
	if runbooks != "<https://wiki.example.com/checkout|Checkout runbook> · <https://wiki.example.com/sev1|SEV1 playbook>" {
		t.Errorf("runbooks field = %q", runbooks)
	}
}

// TestStatsUpdateCadence: updates on time against the SEV1 cadence of
// 30m, counted by hand: INC-1 updates at 20m and 40m, resolved at 50m (two
// updates due, both on time; the last stretch ends at resolution, in
// time); INC-2 never updates and resolves at 65m (the slots at 30m and
// 60m missed).
func TestStatsUpdateCadence(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev1 Checkout down")
	e.must("alice", 0, "declare sev1 Search down")
	for _, step := range []struct {
		at   time.Duration
		id   int
		text string
	}{{20 * time.Minute, 1, "update Rolling back"}, {40 * time.Minute, 1, "update Rolled back"}, {50 * time.Minute, 1, "resolve"}, {65 * time.Minute, 2, "resolve"}} {
		e.now = t0.Add(step.at)
		e.must("alice", step.id, step.text)
	}
	stats := e.must("bob", 0, "stats 7d").Reply
	got := ""
	for _, f := range stats.Fields {
		if f.Label == "Status updates on time" {
			got = f.Value
		}
	}
	if got != "2 of 4 (50%)" {
		t.Errorf("updates on time = %q, want 2 of 4 (50%%)", got)
	}
}

// TestSnoozeThatChangesNothing: a snooze ending before the next reminder
// would come anyway says so and records nothing.
func TestSnoozeThatChangesNothing(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev1 Outage")
	e.now = t0.Add(5 * time.Minute)
	before := len(e.timeline(1))
	_, err := e.run("alice", 1, "snooze 20m") // ends 03:25; the reminder is due 03:30
	if muster.ErrorCode(err) != muster.ECONFLICT || !strings.Contains(muster.ErrorMessage(err), "INC-1's next reminder is at 03:30 UTC anyway, after your snooze would end (03:25 UTC); nothing changed.") {
		t.Errorf("snooze 20m: %v", err)
	}
	if got := e.incident(1).Reminder.SnoozedUntil; !got.IsZero() {
		t.Errorf("snoozed until %v, want no snooze", got)
	}
	if n := len(e.timeline(1)); n != before {
		t.Errorf("timeline grew from %d to %d entries", before, n)
	}
	// A running snooze is not shortened either.
	e.must("alice", 1, "snooze 55m") // until 04:00
	if _, err := e.run("alice", 1, "snooze 40m"); muster.ErrorCode(err) != muster.ECONFLICT || !strings.Contains(muster.ErrorMessage(err), "at 04:00 UTC anyway") {
		t.Errorf("snooze 40m inside a 55m one: %v", err)
	}
	if out := e.must("alice", 1, "snooze 60m"); !out.Incident.Reminder.SnoozedUntil.Equal(t0.Add(65 * time.Minute)) {
		t.Errorf("a longer snooze: until %v", out.Incident.Reminder.SnoozedUntil)
	}
}

// TestShowNamesAnotherIncident: in a war room a bare number after show is
// the incident to show, never silently the room's own.
func TestShowNamesAnotherIncident(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev1 Checkout down")
	e.must("alice", 0, "declare sev2 Search slow")
	if out := e.must("bob", 2, "show 1"); !strings.HasPrefix(out.Reply.Title, "INC-1 ·") {
		t.Errorf("show 1 in INC-2's room: %q", out.Reply.Title)
	}
	if out := e.must("bob", 2, "show"); !strings.HasPrefix(out.Reply.Title, "INC-2 ·") {
		t.Errorf("show in INC-2's room: %q", out.Reply.Title)
	}
	if _, err := e.run("bob", 2, "show 99"); muster.ErrorCode(err) != muster.ENOTFOUND {
		t.Errorf("show 99: %v, want not found", err)
	}
	if _, err := e.run("bob", 2, "show everything"); !strings.Contains(muster.ErrorMessage(err), `"everything" is not an incident`) {
		t.Errorf("show everything: %v", err)
	}
}

func TestListCountsInWords(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev1 Checkout down")
	if got := e.must("bob", 0, "list").Reply.Title; got != "1 open incident" {
		t.Errorf("list of one: %q", got)
	}
	e.must("alice", 0, "declare sev2 Search slow")
	if got := e.must("bob", 0, "list all").Reply.Title; got != "2 incidents" {
		t.Errorf("list all of two: %q", got)
	}
	if got := e.must("bob", 0, "list").Reply.Title; got != "2 open incidents" {
		t.Errorf("list of two: %q", got)
	}
}

// TestListAllShowsTheRecent: `list all` shows the open incidents, newest
// first, then the twenty most recently declared resolved ones, and says
// that older ones are on the web list; nothing private to the asker.
func TestListAllShowsTheRecent(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 30; i++ {
		e.now = t0.Add(time.Duration(i) * time.Minute)
		e.must("alice", 0, fmt.Sprintf("declare sev3 Incident number %02d", i))
		if i%6 != 0 {
			e.must("alice", i, "resolve")
		}
	}
	e.must("alice", 0, "declare private sev1 Signing key leaked")
	out := e.must("bob", 0, "list all").Reply
	var refs []string
	for _, line := range strings.Split(out.Text, "\n") {
		if ref, _, ok := strings.Cut(strings.TrimPrefix(line, "• "), " "); ok && strings.HasPrefix(line, "• ") {
			refs = append(refs, ref)
		}
	}
	want := []string{"INC-30", "INC-24", "INC-18", "INC-12", "INC-6"}
	for i := 29; len(want) < 25; i-- {
		if i%6 != 0 {
			want = append(want, fmt.Sprintf("INC-%d", i))
		}
	}
	if !slices.Equal(refs, want) {
		t.Errorf("list all shows\n%v\nwant\n%v", refs, want)
	}
	if out.Title != "25 incidents" || !strings.Contains(out.Text, "Older incidents are on the web") || strings.Contains(out.Text, "Signing key") {
		t.Errorf("list all: %q\n%s", out.Title, out.Text)
	}
}
