package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/paging/pagerduty"
	"github.com/muster-bot/muster/paging/pagerduty/fakepagerduty"
)

const checkoutKey = "R0CHECKOUT0000000000000000000001"

// paged builds a harness whose bot pages checkout through a fake
// PagerDuty with routingKey.
func paged(t *testing.T, routingKey string) (*harness, *fakepagerduty.Server) {
	t.Helper()
	fake := fakepagerduty.New(t, "token", checkoutKey)
	catalog := muster.Services{{Name: "checkout", PagerDuty: &muster.PagerDutyService{RoutingKey: routingKey}}}
	h := newHarness(t, func(c *bot.Config) {
		c.Paging = bot.Paging{Services: catalog, PagerDuty: pagerduty.New(fake.EventsURL, fake.URL, "token", nil)}
	})
	h.catalog = catalog
	h.restart()
	return h, fake
}

// TestPageGivesUpAfter15Minutes: with PagerDuty down, the room is told
// once that paging failed and is retried, the page is retried with
// backoff, and after 15 minutes it is given up: the room is told, the
// page recorded as failed, the outbox emptied.
func TestPageGivesUpAfter15Minutes(t *testing.T) {
	t.Parallel()
	h, fake := paged(t, checkoutKey)
	fake.Down(503)
	inc := h.declare("sev1 svc:checkout Checkout is down")
	for m := 0; m <= 16; m++ {
		h.mustTick(time.Duration(m)*time.Minute + time.Second)
	}
	failing := h.fp.posted(inc.Room, "⚠️ paging checkout failed: PagerDuty answered 503")
	gaveUp := h.fp.posted(inc.Room, "⚠️ gave up paging checkout after 15 minutes: PagerDuty answered 503")
	if len(failing) != 1 || len(gaveUp) != 1 {
		t.Errorf("room told %q and %q; want each once", failing, gaveUp)
	}
	tries := len(fake.Events())
	if tries < 4 || tries > 12 {
		t.Errorf("%d tries in 15 minutes; want a backoff between every ten seconds and five minutes", tries)
	}
	if p := h.incident(inc.ID).Pages; len(p) != 1 || p[0].State != muster.PageFailed {
		t.Errorf("pages %+v; want checkout's, failed", p)
	}
	if items, _ := h.db.Outbox(h.ctx); len(items) != 0 {
		t.Errorf("outbox %+v after giving up", items)
	}
	if e := h.entries(inc.ID, muster.EntryPage); len(e) != 2 || !strings.HasPrefix(e[1].Text, "Gave up paging checkout (PagerDuty)") {
		t.Errorf("timeline pages %+v; want the failure and the give-up", e)
	}
	h.mustTick(time.Hour)
	if n := len(fake.Events()); n != tries {
		t.Errorf("tried again after giving up: %d events", n)
	}
}

// TestPageRefusedGivesUpAtOnce: a page PagerDuty refuses (a routing key
// it does not know) is not retried: the room is told at once.
func TestPageRefusedGivesUpAtOnce(t *testing.T) {
	t.Parallel()
	h, fake := paged(t, "R0UNKNOWN0000000000000000000000X")
	inc := h.declare("sev2 svc:checkout Checkout is slow")
	h.mustTick(time.Second)
	h.mustTick(time.Minute)
	if got := h.fp.posted(inc.Room, "⚠️ gave up paging checkout: PagerDuty answered 400"); len(got) != 1 {
		t.Errorf("room told %q; want one give-up naming PagerDuty's answer", h.fp.posted(inc.Room, "⚠️"))
	}
	if got := h.fp.posted(inc.Room, "⚠️ paging checkout failed"); len(got) != 0 {
		t.Errorf("a refused page was reported as retried: %q", got)
	}
	if n := len(fake.Events()); n != 1 {
		t.Errorf("%d events; want one try", n)
	}
}

// TestPageQueuedOnce: the declaration queues its page in the outbox
// without calling PagerDuty, later commands on the incident queue nothing
// more, and a SEV3 or a service without a provider queues nothing.
func TestPageQueuedOnce(t *testing.T) {
	t.Parallel()
	h, fake := paged(t, checkoutKey)
	inc := h.declare("sev1 svc:checkout Checkout is down")
	h.command("alice", inc.Room, "update Still down")
	h.command("alice", inc.Room, "note Rolled back")
	if n := len(fake.Events()); n != 0 {
		t.Fatalf("%d events before the tick: the declaration waited for PagerDuty", n)
	}
	if items, _ := h.db.Outbox(h.ctx); len(items) != 1 || items[0].Kind != "page" {
		t.Fatalf("outbox %+v; want one page", items)
	}
	h.declare("sev3 svc:checkout Checkout is a bit slow")
	h.mustTick(time.Second)
	h.mustTick(time.Minute)
	if n := len(fake.Accepted()); n != 1 {
		t.Errorf("%d events accepted; want the SEV1's trigger alone", n)
	}
}

// TestDrillPagesNobody: a drill of a paging severity on a paging service
// queues no page, adding the service later queues none, and `page` is
// refused with a reply that says why; PagerDuty hears nothing.
func TestDrillPagesNobody(t *testing.T) {
	t.Parallel()
	h, fake := paged(t, checkoutKey)
	inc := h.declare("drill sev1 svc:checkout Checkout failover rehearsal")
	if !inc.Drill {
		t.Fatalf("declared %+v; want a drill", inc)
	}
	h.command("alice", inc.Room, "severity sev1")
	mark := h.fp.mark()
	h.command("alice", inc.Room, "page checkout Join the rehearsal")
	var refused bool
	for _, c := range h.fp.since(mark) {
		if c.Method == "Private" && strings.Contains(c.Msg.Text, "is a drill: it pages nobody") {
			refused = true
		}
	}
	if !refused {
		t.Errorf("page in a drill: calls %+v; want a reply saying a drill pages nobody", h.fp.since(mark))
	}
	h.mustTick(time.Second)
	h.mustTick(time.Minute)
	if items, _ := h.db.Outbox(h.ctx); len(items) != 0 {
		t.Errorf("outbox %+v for a drill", items)
	}
	if n := len(fake.Events()); n != 0 {
		t.Errorf("PagerDuty got %d events from a drill", n)
	}
	if p := h.incident(inc.ID).Pages; len(p) != 0 {
		t.Errorf("drill's pages %+v", p)
	}
}

// lose makes the store look as a process that died right after saving
// the incident's last change left it: no page records, no outbox items.
func lose(t *testing.T, h *harness, id int, pages func([]muster.PageRecord) []muster.PageRecord) {
	t.Helper()
	if _, _, err := h.db.Update(h.ctx, id, func(i *muster.Incident) ([]muster.Entry, error) {
		i.Pages = pages(i.Pages)
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	items, err := h.db.Outbox(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if err := h.db.DeleteOutbox(h.ctx, it.Key); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPagesOwedAfterACrash: a process that died after saving a
// declaration and before recording its page, or after saving a resolve
// and before recording the page's resolve, leaves both owed: the next
// leader sends each once.
func TestPagesOwedAfterACrash(t *testing.T) {
	t.Parallel()
	h, fake := paged(t, checkoutKey)
	inc := h.declare("sev1 svc:checkout Checkout is down")
	lose(t, h, inc.ID, func([]muster.PageRecord) []muster.PageRecord { return nil })
	h.restart()
	h.mustTick(time.Second)
	h.mustTick(time.Minute)
	if ev := fake.Accepted(); len(ev) != 1 || ev[0].Action != "trigger" {
		t.Fatalf("events %+v; want the declaration's trigger, once", ev)
	}

	h.command("alice", inc.Room, "resolve")
	lose(t, h, inc.ID, func(p []muster.PageRecord) []muster.PageRecord {
		for i := range p {
			p[i].State = muster.PageTriggered // as before the resolve
		}
		return p
	})
	h.restart()
	h.mustTick(2 * time.Minute)
	h.mustTick(3 * time.Minute)
	h.mustTick(4 * time.Minute)
	ev := fake.Accepted()
	if len(ev) != 2 || ev[1].Action != "resolve" || ev[1].DedupKey != ev[0].DedupKey {
		t.Errorf("events %+v; want the trigger, then one resolve with its key", ev)
	}
}
