package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/muster-bot/muster"
)

// declare opens a new incident: `declare [sevN] [private] <title>`, with
// an optional description on the lines after the title. The
// severity and the private flag may come in either order; the rest is the
// title. Anything that looks like a severity but is not one is an error,
// since a typo must not silently become part of the title.
func (c *Commands) declare(ctx context.Context, r *Request) (*Outcome, error) {
	sevName, private := c.cfg.DefaultSeverity, false
	args, rest := r.Call.Args, r.Call.Rest
	for consumed := 0; consumed < 2 && len(args) > 0; consumed++ {
		word := args[0]
		if strings.EqualFold(word, "private") {
			private = true
		} else if sev, ok := c.severity(word); ok {
			sevName = sev.Name
		} else if looksLikeSeverity(word) {
			return nil, muster.Errorf(muster.EINVALID, "%q is not a severity. Choose one of: %s.", word, strings.Join(c.cfg.Severities.Names(), ", "))
		} else {
			break
		}
		args, rest = args[1:], restAfter(rest, 1)
	}
	sev, ok := c.severity(sevName)
	if !ok {
		return nil, fmt.Errorf("default severity %q is not configured", sevName)
	}
	// The first line is the title; any further lines describe the incident
	// (Slack's declare form sends its description that way).
	title, description, _ := strings.Cut(rest, "\n")
	inc, first, err := muster.NewIncident(title, sev, private, r.Event.User, c.now())
	if err != nil {
		return nil, err
	}
	inc.Description = strings.TrimSpace(description)
	if err := c.store.Create(ctx, inc, first); err != nil {
		return nil, fmt.Errorf("store new incident: %w", err)
	}
	r.Incident = inc
	return &Outcome{Incident: inc, Declared: true, Invite: sev.Notify}, nil
}

// looksLikeSeverity catches "sev5" or "p1" typed as a severity.
func looksLikeSeverity(word string) bool {
	w := strings.ToLower(word)
	return strings.HasPrefix(w, "sev") && len(w) <= 5
}
