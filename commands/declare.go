package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/muster-bot/muster"
)

// declare opens a new incident: `declare [drill] [sevN] [private] <title>`, with
// an optional description on the lines after the title. The severity and
// the private flag may come in either order; the rest is the title. A
// word `svc:<name>[,<name>…]` anywhere before the title's end names the
// affected services and is taken out of the title. A
// first word that looks like a severity but is none is an error, since a
// typo must not silently become part of the title. A declaration that
// came in fields (Slack's declare form) is declared as it is. `drill`
// counts only as the first word, so that `declare sev3 Drill press jammed`
// stays a real incident.
func (c *Runner) declare(ctx context.Context, r *Request) (*Outcome, error) {
	d := r.Event.Declare
	if d == nil {
		parsed, err := c.parseDeclare(r.Call)
		if err != nil {
			return nil, err
		}
		d = &parsed
	}
	out, err := c.Declare(ctx, *d, r.Event.User)
	if err != nil {
		return nil, err
	}
	r.Incident = out.Incident
	return out, nil
}

// parseDeclare reads the words of `declare` into a declaration.
func (c *Runner) parseDeclare(call Call) (muster.Declaration, error) {
	var d muster.Declaration
	args, rest := call.Args, call.Rest
	if len(args) > 0 && strings.EqualFold(args[0], "drill") {
		d.Drill, args, rest = true, args[1:], restAfter(rest, 1)
	}
	for sevSeen := false; len(args) > 0; {
		n := 0
		if names, ok := serviceWord(args[0]); ok {
			d.Services, n = append(d.Services, names...), 1
		} else if strings.EqualFold(args[0], "private") && !d.Private {
			d.Private, n = true, 1
		} else if !sevSeen {
			sev, _, words, ok := c.cfg.Severities.FindWords(args)
			if !ok && c.cfg.Severities.LooksLike(args) {
				return d, c.notASeverity(args)
			}
			d.Severity, n, sevSeen = sev.Name, words, ok
		}
		if n == 0 {
			break
		}
		args, rest = args[n:], restAfter(rest, n)
	}
	// The first line is the title; any further lines describe the incident.
	d.Title, d.Description, _ = strings.Cut(rest, "\n")
	var kept []string
	for _, w := range strings.Fields(d.Title) {
		if names, ok := serviceWord(w); ok {
			d.Services = append(d.Services, names...)
		} else {
			kept = append(kept, w)
		}
	}
	if len(kept) < len(strings.Fields(d.Title)) {
		d.Title = strings.Join(kept, " ")
	}
	for _, name := range d.Services {
		if name == "" {
			return d, muster.Errorf(muster.EINVALID, "Name a service after svc:, e.g. `svc:checkout` or `svc:checkout,payments`. Services: %s.", c.serviceChoices())
		}
	}
	return d, nil
}

// serviceWord reads a `svc:checkout,payments` word into its names.
func serviceWord(word string) ([]string, bool) {
	if len(word) < 4 || !strings.EqualFold(word[:4], "svc:") {
		return nil, false
	}
	return strings.Split(word[4:], ","), true
}

// notASeverity refuses a first word that looks like a severity but is none,
// and says how to start a title with such a word.
func (c *Runner) notASeverity(args []string) error {
	word := args[0]
	if len(args) > 1 && strings.EqualFold(word, "sev") && strings.Trim(args[1], "0123456789") == "" {
		word += " " + args[1]
	}
	return muster.Errorf(muster.EINVALID, "%q is not a severity. Choose one of: %s. To start the title with it, name the severity first: `declare %s %s …`.",
		word, c.cfg.Severities.Choices(), c.cfg.DefaultSeverity, word)
}

// Declare opens a new incident from a declaration in fields: declarer is
// the user id of who declared it ("" when alerting did). Text commands,
// the declare form and alerts all come here, so an incident is declared
// one way whatever asked for it.
func (c *Runner) Declare(ctx context.Context, d muster.Declaration, declarer string) (*Outcome, error) {
	name := d.Severity
	if strings.TrimSpace(name) == "" {
		name = c.cfg.DefaultSeverity
	}
	sev, ok := c.severity(strings.TrimSpace(name))
	if !ok {
		if d.Severity == "" {
			return nil, fmt.Errorf("default severity %q is not configured", name)
		}
		return nil, muster.Errorf(muster.EINVALID, "%q is not a severity. Choose one of: %s.", d.Severity, c.cfg.Severities.Choices())
	}
	named := d.Services
	if d.Source != "" {
		// An alert's service label says whatever its rule says: one the
		// catalog does not know is dropped (the keywords may still match),
		// since the page an alert raises matters more than its label.
		named = c.cfg.Services.Known(named)
	}
	services, err := c.cfg.Services.Lookup(named)
	if err != nil {
		return nil, err
	}
	inc, first, err := muster.NewIncident(d.Title, sev, d.Private, declarer, c.now())
	if err != nil {
		return nil, err
	}
	if len(services) == 0 {
		services = c.cfg.Services.Match(inc.Title)
	}
	inc.DeclaredServices(&first, services)
	inc.Description = strings.TrimSpace(d.Description)
	if d.Drill {
		inc.Drill = true
		first.Text = "Drill: " + first.Text
	}
	inc.Source = d.Source
	if !d.Since.IsZero() {
		// An alert's clock may run a little ahead of muster's; its start
		// is never taken for a time after the declaration.
		since := d.Since.UTC()
		if since.After(inc.DeclaredAt) {
			since = inc.DeclaredAt
		}
		inc.StartedAt, inc.DetectedAt = since, since
	}
	if err := c.store.Create(ctx, inc, first); err != nil {
		return nil, fmt.Errorf("store new incident: %w", err)
	}
	invite := append(slices.Clone(sev.Notify), c.cfg.Services.Owners(services)...)
	return &Outcome{Happened: Declared, Incident: inc, Invite: invite}, nil
}
