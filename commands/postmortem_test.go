package commands_test

import (
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

// TestPostmortemLifecycle: resolve makes a draft owned by the IC; only the
// owner or the IC may name another owner or publish; the new owner may;
// publishing twice is a conflict; `postmortem` alone stays open to all.
func TestPostmortemLifecycle(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev2 Checkout down")
	e.must("bob", 1, "ic")
	if _, err := e.run("bob", 1, "postmortem publish"); muster.ErrorCode(err) != muster.ECONFLICT || !strings.Contains(muster.ErrorMessage(err), "starts at `resolve`") {
		t.Errorf("publish before resolve: %v, want a conflict saying it starts at resolve", err)
	}
	e.now = t0.Add(time.Hour)
	e.must("bob", 1, "resolve Rolled back")
	if pm := e.incident(1).Postmortem; pm.Status != muster.PostmortemDraft || pm.Owner != "bob" {
		t.Fatalf("after resolve: %+v, want a draft owned by the IC", pm)
	}

	for _, text := range []string{"postmortem publish", "postmortem owner @carol"} {
		_, err := e.run("carol", 1, text)
		if msg := muster.ErrorMessage(err); muster.ErrorCode(err) != muster.EINVALID || !strings.Contains(msg, "the Incident Commander or the postmortem's owner") || !strings.Contains(msg, "<@bob>") {
			t.Errorf("%q by carol: %v, want a refusal naming the IC and the owner", text, err)
		}
	}
	if out := e.must("carol", 1, "postmortem"); len(out.Room) != 1 || out.Room[0].File == nil {
		t.Errorf("`postmortem` by anyone: %+v, want the draft", out.Room)
	}

	out := e.must("bob", 1, "postmortem owner @dave")
	if pm := out.Incident.Postmortem; pm.Owner != "dave" || !strings.Contains(out.Room[0].Text, "<@dave> now owns the postmortem of INC-1") {
		t.Errorf("owner: %+v, %q", pm, out.Room[0].Text)
	}
	// The owner holds no role, and may hand it on or publish.
	e.must("dave", 1, "postmortem owner @erin")
	e.must("erin", 1, "postmortem owner @dave")
	e.now = t0.Add(30 * time.Hour)
	out = e.must("dave", 1, "postmortem publish")
	if pm := out.Incident.Postmortem; pm.Status != muster.PostmortemPublished || pm.PublishedBy != "dave" || !pm.PublishedAt.Equal(e.now) {
		t.Errorf("publish: %+v", pm)
	}
	if len(out.Room) != 1 || out.Room[0].File == nil || !strings.HasPrefix(out.Room[0].File.Title, "Postmortem: INC-1") {
		t.Errorf("publish posts %+v, want the final text attached", out.Room)
	}
	if _, err := e.run("dave", 1, "postmortem publish"); muster.ErrorCode(err) != muster.ECONFLICT {
		t.Errorf("second publish: %v, want ECONFLICT", err)
	}
	if _, err := e.run("bob", 1, "postmortem owner @carol"); muster.ErrorCode(err) != muster.ECONFLICT {
		t.Errorf("owner after publish: %v, want ECONFLICT", err)
	}
	for _, bad := range []string{"postmortem owner", "postmortem owner @a @b", "postmortem share"} {
		if _, err := e.run("bob", 1, bad); muster.ErrorCode(err) != muster.EINVALID || !strings.Contains(muster.ErrorMessage(err), "Usage: `postmortem [owner @user | publish]`") {
			t.Errorf("%q: %v, want a usage reply", bad, err)
		}
	}
	var kinds []string
	for _, en := range e.timeline(1) {
		if en.Kind == muster.EntryPostmortem {
			kinds = append(kinds, en.Text)
		}
	}
	if len(kinds) != 4 || kinds[3] != "Postmortem published" {
		t.Errorf("postmortem timeline entries = %q, want three owner changes and the publish", kinds)
	}
}

// TestPostmortemWithoutIC: the declarer owns the postmortem of an
// incident nobody commanded, and anyone may publish it (nobody holds a
// role to defer to).
func TestPostmortemWithoutIC(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev3 Search slow")
	e.must("alice", 1, "resolve")
	if pm := e.incident(1).Postmortem; pm.Owner != "alice" {
		t.Errorf("owner = %q, want the declarer", pm.Owner)
	}
	e.must("carol", 1, "postmortem publish")
}

// TestPrivatePostmortemPublishSaysItStays: the publish of a private
// incident's postmortem says it is not shared.
func TestPrivatePostmortemPublishSaysItStays(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev2 private Key leaked")
	e.must("alice", 1, "ic")
	e.must("alice", 1, "resolve")
	out := e.must("alice", 1, "postmortem publish")
	if !strings.Contains(out.Room[0].Text, "stays in this room") {
		t.Errorf("publish of a private postmortem: %q", out.Room[0].Text)
	}
}

// TestPostmortemOwnerInvited: the new owner of a private incident's
// postmortem is invited to its war room, where the reminders are posted,
// as a role holder named by someone else is.
func TestPostmortemOwnerInvited(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev2 private Key leaked")
	e.must("alice", 1, "ic")
	e.must("alice", 1, "resolve")
	out := e.must("alice", 1, "postmortem owner @dave")
	if len(out.Invite) != 1 || out.Invite[0] != "dave" {
		t.Errorf("postmortem owner @dave: invite %q, want dave", out.Invite)
	}
	if out := e.must("alice", 1, "postmortem owner @alice"); len(out.Invite) != 0 {
		t.Errorf("postmortem owner by the owner named: invite %q, want none", out.Invite)
	}
}

// TestFalseAlarmHasNoPostmortem: an incident resolved as a false alarm has
// no postmortem; publishing it or naming its owner says so, and how to
// get one back, instead of claiming it is not resolved.
func TestFalseAlarmHasNoPostmortem(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev2 Checkout 5xx")
	e.must("alice", 1, "ic")
	e.must("alice", 1, "resolve false-alarm canary noise")
	for _, tc := range []struct{ text, want string }{
		{"postmortem publish", "INC-1 was resolved as a false alarm: it has no postmortem to publish; `reopen` it if something was wrong."},
		{"postmortem owner @bob", "INC-1 was resolved as a false alarm: it has no postmortem to own; `reopen` it if something was wrong."},
	} {
		_, err := e.run("alice", 1, tc.text)
		if muster.ErrorCode(err) != muster.ECONFLICT || muster.ErrorMessage(err) != tc.want {
			t.Errorf("%q: %v, want %q", tc.text, err, tc.want)
		}
	}
	if pm := e.incident(1).Postmortem; pm.Owner != "" {
		t.Errorf("owner %q named on a false alarm", pm.Owner)
	}
	e.must("alice", 1, "reopen")
	e.must("alice", 1, "resolve")
	e.must("alice", 1, "postmortem publish")
}
