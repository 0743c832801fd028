// Package commands holds the incident commands: one parser, one registry
// (which also writes the help), and one file per command. Commands change
// the store and describe what should be said where; the bot delivers it.
// Nothing here talks to a chat platform.
package commands

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/templates"
)

// Store is what the commands need from storage. The bbolt and etcd stores
// satisfy it. The etcd store may run Update's fn more than once, each time
// on a freshly read incident (see bot.Store), so commands only change the
// incident in it.
type Store interface {
	Create(ctx context.Context, inc *muster.Incident, first muster.Entry) error
	Incident(ctx context.Context, id int) (*muster.Incident, error)
	Update(ctx context.Context, id int, fn func(*muster.Incident) ([]muster.Entry, error)) (*muster.Incident, []muster.Entry, error)
	Incidents(ctx context.Context, openOnly bool) ([]*muster.Incident, error)
	// IncidentsDeclared lists those declared in [from, to), newest
	// first, at most limit (0: all).
	IncidentsDeclared(ctx context.Context, from, to time.Time, limit int) ([]*muster.Incident, error)
	Timeline(ctx context.Context, id int) ([]muster.Entry, error)
	// Setting reads a saved value: `stats` reads the alert counts
	// (muster.AlertCountKey) with it.
	Setting(ctx context.Context, key string) (string, error)
}

// Postmortems renders the postmortem draft. *templates.Postmortem satisfies it.
type Postmortems interface {
	Render(w io.Writer, d templates.Data) error
}

// Config is the part of the configuration the commands read.
type Config struct {
	Severities      muster.Severities
	DefaultSeverity string
	Roles           muster.Roles
	Runbooks        []muster.Runbook // linked from the header of matching incidents
	// Permissions says who may run which command on an incident; nil
	// means muster.DefaultPermissions.
	Permissions muster.Permissions
	// Location is the configured time zone, in which `started 09:55`
	// reads its HH:MM; nil means UTC.
	Location *time.Location
	// Components are the status-page components' names
	// (statuspage.components), what `component` may set.
	Components []string
	// Services is the service catalog: what `svc:` and `service` may
	// name, whose keywords a declaration's title is matched against, and
	// whose owners are invited.
	Services muster.Services
	// ShareChannel is where published postmortems are shared
	// (postmortem.share_channel); "" shares them nowhere.
	ShareChannel string
	// Files reports whether an incident's action items go to the team's
	// tracker; nil when none is configured.
	Files func(*muster.Incident) bool
}

// Runner runs incident commands against a store.
type Runner struct {
	store       Store
	postmortems Postmortems
	cfg         Config
	now         func() time.Time
	registry    *registry
	cadences    muster.CadenceMemo // settled cadences, for stats
}

// New returns the commands over store. now is the clock; tests pass a fake.
func New(store Store, postmortems Postmortems, cfg Config, now func() time.Time) *Runner {
	if cfg.Permissions == nil {
		cfg.Permissions = muster.DefaultPermissions()
	}
	c := &Runner{store: store, postmortems: postmortems, cfg: cfg, now: now}
	c.registry = newRegistry(cfg.Roles)
	return c
}

// Request is one command invocation, already parsed and with its incident
// resolved by the caller.
type Request struct {
	Event    muster.Event
	Call     Call
	Incident *muster.Incident // the incident acted on; nil for declare, list, help, stats
	// Users resolves a user reference ("alex", "U123") to a user id on the
	// event's platform, or fails with EINVALID when nobody has that name.
	// Nil accepts every reference as an id.
	Users func(ctx context.Context, ref string) (string, error)
}

// Outcome says what a command did and what to tell whom. The bot turns
// it into platform calls.
type Outcome struct {
	Happened Happened
	Incident *muster.Incident // the incident after the command
	Reply    *muster.Message  // only the sender sees it
	Room     []muster.Message // posted in the war room
	Announce []muster.Message // posted to stakeholders, threaded under the announcement (never for private incidents)
	Invite   []string         // users, groups or channels to bring into the war room
	// Warnings are failures that did not stop the command (the change is
	// saved): the bot logs them for operators.
	Warnings []error
}

// Happened is what a command did to its incident, which decides what the
// bot does besides posting the messages.
type Happened int

const (
	// Answered: nothing changed (show, list, help, stats, postmortem);
	// the messages are all there is.
	Answered Happened = iota
	// Changed: the incident changed, so its header and topic are redrawn.
	Changed
	// Declared: a new incident, whose war room is to be opened.
	Declared
)

// Run executes a parsed command.
func (c *Runner) Run(ctx context.Context, r *Request) (*Outcome, error) {
	cmd, ok := c.registry.lookup(r.Call.Verb)
	if !ok {
		return nil, c.registry.unknown(r.Call.Verb)
	}
	if cmd.needsIncident {
		if r.Incident == nil {
			return nil, c.needIncident(ctx, cmd, r.Event)
		}
		if !r.Incident.Admits(r.Event) {
			return nil, muster.NoIncident(r.Incident.ID)
		}
		if err := c.permitted(cmd, r); err != nil {
			return nil, err
		}
	}
	return cmd.run(c, ctx, r)
}

// NeedsIncident reports whether verb acts on one incident, so the caller
// knows to resolve it from the room or the reference first.
func (c *Runner) NeedsIncident(verb string) bool {
	cmd, ok := c.registry.lookup(verb)
	return ok && cmd.needsIncident
}

func (c *Runner) needIncident(ctx context.Context, cmd *command, ev muster.Event) error {
	open, err := c.store.Incidents(ctx, true)
	if err != nil {
		return fmt.Errorf("list open incidents: %w", err)
	}
	open = muster.Visible(open, ev)
	hint := "There are no open incidents."
	if len(open) > 0 {
		hint = "Open: "
		for i, inc := range open {
			if i == 10 {
				hint += ", …"
				break
			}
			if i > 0 {
				hint += ", "
			}
			hint += inc.Ref()
		}
		hint += "."
	}
	return muster.Errorf(muster.EINVALID, "`%s` acts on an incident: run it in the incident's war room, or name it first, e.g. `%s INC-42 …`. %s", cmd.name, cmd.name, hint)
}

// update applies fn to the request's incident in one transaction and
// returns an outcome holding the incident after the change.
func (c *Runner) update(ctx context.Context, r *Request, fn func(*muster.Incident) ([]muster.Entry, error)) (*Outcome, []muster.Entry, error) {
	inc, entries, err := c.store.Update(ctx, r.Incident.ID, fn)
	if err != nil {
		return nil, nil, fmt.Errorf("update %s: %w", r.Incident.Ref(), err)
	}
	r.Incident = inc
	return &Outcome{Happened: Changed, Incident: inc}, entries, nil
}

// user resolves a mention argument to a user id.
func (c *Runner) user(ctx context.Context, r *Request, word string) (string, error) {
	ref, ok := userRef(word)
	if !ok {
		return "", muster.Errorf(muster.EINVALID, "%q is not a user; mention someone, e.g. @alex.", word)
	}
	if r.Users == nil {
		return ref, nil
	}
	id, err := r.Users(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("look up user %q: %w", ref, err)
	}
	return id, nil
}

func (c *Runner) severity(name string) (muster.Severity, bool) {
	sev, _, ok := c.cfg.Severities.Find(name)
	return sev, ok
}

func private(text string) *muster.Message { return &muster.Message{Text: text} }
