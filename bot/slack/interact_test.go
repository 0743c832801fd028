package slack

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"github.com/rs/zerolog"
	goslack "github.com/slack-go/slack"

	"github.com/muster-bot/muster"
)

// recorder records the events it is given. The embedded Handler stands
// for the methods a form submission does not call.
type recorder struct {
	muster.Handler
	mu     sync.Mutex
	events []muster.Event
}

func (r *recorder) Handle(_ context.Context, ev muster.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return nil
}

// formState is a submitted declare form.
func formState(title, severity, desc string, private bool) *goslack.ViewState {
	values := map[string]map[string]goslack.BlockAction{
		blockTitle:    {blockTitle: {Value: title}},
		blockSeverity: {blockSeverity: {SelectedOption: goslack.OptionBlockObject{Value: severity}}},
		blockDesc:     {blockDesc: {Value: desc}},
		blockPrivate:  {blockPrivate: {}},
	}
	if private {
		values[blockPrivate][blockPrivate] = goslack.BlockAction{SelectedOptions: []goslack.OptionBlockObject{{Value: "private"}}}
	}
	return &goslack.ViewState{Values: values}
}

// TestDeclareFormKeepsFields: the form's title is the title, even when it
// starts with words the declare command reads as options.
func TestDeclareFormKeepsFields(t *testing.T) {
	p := New(Config{APIURL: "http://127.0.0.1:1/"}, zerolog.Nop())
	var rec recorder
	ic := goslack.InteractionCallback{Type: goslack.InteractionTypeViewSubmission, User: goslack.User{ID: "UALICE"}}
	ic.View.CallbackID = declareCallback
	ic.View.PrivateMetadata = "CGENERAL"
	ic.View.State = formState("private sev1 thing", "SEV2", "  since 03:00\nEU only ", false)
	if resp := p.interaction(ic, &rec); resp != nil {
		t.Fatalf("acknowledgement = %#v, want none", resp)
	}
	p.Drain()
	if len(rec.events) != 1 {
		t.Fatalf("got %d events, want 1", len(rec.events))
	}
	ev := rec.events[0]
	want := muster.Declaration{Title: "private sev1 thing", Severity: "SEV2", Description: "since 03:00\nEU only"}
	if ev.Kind != muster.EventCommand || ev.Text != "declare" || ev.Room != "CGENERAL" || ev.User != "UALICE" || ev.Declare == nil || !reflect.DeepEqual(*ev.Declare, want) {
		t.Errorf("event = %+v, declaration %+v; want %+v", ev, ev.Declare, want)
	}

	d, problems := declareFromForm(formState("Leaked key", "SEV1", "", true))
	if len(problems) > 0 || d == nil || !reflect.DeepEqual(*d, muster.Declaration{Title: "Leaked key", Severity: "SEV1", Private: true}) {
		t.Errorf("private form = %+v, %v", d, problems)
	}
	if _, problems := declareFromForm(formState("  ", "SEV1", "", false)); problems[blockTitle] == "" {
		t.Errorf("empty title: problems %v, want one for the title", problems)
	}
}
