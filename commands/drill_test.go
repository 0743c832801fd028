package commands_test

import (
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

func TestDeclareDrill(t *testing.T) {
	for _, tc := range []struct {
		name, text, title, sev string
		drill, private         bool
	}{
		{"drill with a severity", "declare drill sev2 Checkout slow", "Checkout slow", "SEV2", true, false},
		{"drill without one", "declare drill Checkout slow", "Checkout slow", "SEV3", true, false},
		{"drill in capitals", "declare DRILL sev1 Failover", "Failover", "SEV1", true, false},
		{"private drill", "declare drill private sev2 Leaked key", "Leaked key", "SEV2", true, true},
		{"drill later in the line is a title", "declare sev3 Drill press jammed", "Drill press jammed", "SEV3", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			out := e.must("alice", 0, tc.text)
			inc := out.Incident
			if inc.Title != tc.title || inc.Severity != tc.sev || inc.Drill != tc.drill || inc.Private != tc.private {
				t.Fatalf("declared %q %s drill=%v private=%v; want %q %s drill=%v private=%v", inc.Title, inc.Severity, inc.Drill, inc.Private, tc.title, tc.sev, tc.drill, tc.private)
			}
			if stored := e.incident(1); stored.Drill != tc.drill {
				t.Errorf("stored drill = %v", stored.Drill)
			}
			if got := strings.HasPrefix(e.timeline(1)[0].Text, "Drill: "); got != tc.drill {
				t.Errorf("first timeline entry %q", e.timeline(1)[0].Text)
			}
			if got := inc.MayPage(); got == tc.drill {
				t.Errorf("Pages() = %v for drill=%v", got, tc.drill)
			}
		})
	}
	e := newEnv(t)
	if _, err := e.run("alice", 0, "declare drill"); muster.ErrorCode(err) != muster.EINVALID || !strings.Contains(muster.ErrorMessage(err), "needs a title") {
		t.Errorf("declare drill without a title: %v", err)
	}
}

func TestDrillHeaderAndAnnouncement(t *testing.T) {
	e := newEnv(t)
	inc := e.must("alice", 0, "declare drill sev1 Checkout down").Incident
	if h := e.cmds.Header(inc); !strings.HasPrefix(h.Title, muster.DrillMark+" · INC-1") {
		t.Errorf("header title %q", h.Title)
	}
	a := e.cmds.Announcement(inc, "#drill-1-checkout-down")
	if !strings.HasPrefix(a.Title, muster.DrillMark) || strings.Contains(a.Title, "🚨") || !strings.Contains(a.Text, "nobody is paged") {
		t.Errorf("announcement %q / %q", a.Title, a.Text)
	}
	if out := e.must("bob", 0, "list"); !strings.Contains(out.Reply.Text, muster.DrillMark) {
		t.Errorf("list: %q", out.Reply.Text)
	}
}

func TestDrillPublishesNothing(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare drill sev1 Checkout down")
	for _, text := range []string{"public We are investigating failed checkouts.", "component Checkout major"} {
		_, err := e.run("alice", 1, text)
		if muster.ErrorCode(err) != muster.EINVALID || !strings.Contains(muster.ErrorMessage(err), "INC-1 is a drill") {
			t.Errorf("%s: %v", text, err)
		}
		// A drill's updates are threaded under its announcement too: the
		// reply must not promise they stay in the room.
		if want := "Rehearse the wording with `update <text>`: it goes to the room and to the announcement thread, marked 🧪 DRILL."; !strings.HasSuffix(muster.ErrorMessage(err), want) {
			t.Errorf("%s: %q, want it to end %q", text, muster.ErrorMessage(err), want)
		}
	}
	inc := e.incident(1)
	if len(inc.Public) != 0 || len(inc.ComponentLog) != 0 || inc.Publishes() || inc.StatuspageBehind() {
		t.Errorf("a drill holds public state: %+v %+v", inc.Public, inc.ComponentLog)
	}
	e.must("alice", 1, "resolve")
	if _, err := e.run("alice", 1, "public resolution"); muster.ErrorCode(err) != muster.EINVALID {
		t.Errorf("publish the resolution of a drill: %v", err)
	}
}

func statsText(t *testing.T, e *env, text string) string {
	t.Helper()
	r := e.must("bob", 0, text).Reply
	all := r.Title
	for _, f := range r.Fields {
		all += "\n" + f.Label + ": " + f.Value
	}
	return all
}

func TestStatsLeaveDrillsOut(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev1 Checkout down")
	e.must("alice", 0, "declare drill sev2 Game day: search slow")
	e.must("alice", 0, "declare drill sev2 Game day: DNS")
	e.now = t0.Add(10 * time.Minute)
	e.must("alice", 1, "ic")
	e.must("alice", 2, "ic")
	e.must("alice", 3, "ic")
	e.now = t0.Add(40 * time.Minute)
	e.must("alice", 2, "resolve")

	real := statsText(t, e, "stats 7d")
	for _, want := range []string{"last 7d: 1", "SEV1 1 · SEV2 0", "MTTA (declared → first IC): mean 10m, median 10m (n=1)", "MTTR (impact started → resolved): no data"} {
		if !strings.Contains(real, want) {
			t.Errorf("stats 7d lack %q:\n%s", want, real)
		}
	}
	drills := statsText(t, e, "stats 7d drills")
	for _, want := range []string{muster.DrillMark + " · drills run in the last 7d: 2", "SEV1 0 · SEV2 2", "MTTR (impact started → resolved): mean 40m, median 40m (n=1)"} {
		if !strings.Contains(drills, want) {
			t.Errorf("stats 7d drills lack %q:\n%s", want, drills)
		}
	}
	if all := statsText(t, e, "stats drills"); !strings.Contains(all, "last 30d: 2") {
		t.Errorf("stats drills (default window):\n%s", all)
	}
	for _, bad := range []string{"stats 7d 30d", "stats drill"} {
		if _, err := e.run("bob", 0, bad); muster.ErrorCode(err) != muster.EINVALID {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
