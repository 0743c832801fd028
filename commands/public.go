package commands

import (
	"context"
	"strings"

	"github.com/muster-bot/muster"
)

// resolutionWord is what the "Publish the resolution" button sends as the
// text of `public`: `public resolution` publishes the resolution.
const resolutionWord = "resolution"

// public handles `public <text>`: a customer-facing post for the status
// pages. It changes nothing else about the incident (no reminder reset:
// the update cadence is about stakeholders, not customers).
func (c *Runner) public(ctx context.Context, r *Request) (*Outcome, error) {
	if strings.EqualFold(strings.TrimSpace(r.Call.Rest), resolutionWord) {
		return c.publishResolution(ctx, r)
	}
	out, entries, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.Publish(r.Call.Rest, r.Event.User, c.now())
		return []muster.Entry{e}, err
	})
	if err != nil {
		return nil, err
	}
	post, _ := out.Incident.LastPublic()
	out.Room = []muster.Message{PublicPosted(out.Incident, post, entries[0].Actor)}
	return out, nil
}

// publishResolution publishes the resolution and sets the incident's
// components back to operational: the button offered at resolve.
func (c *Runner) publishResolution(ctx context.Context, r *Request) (*Outcome, error) {
	var troubled []string
	out, _, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		troubled = inc.TroubledComponents()
		return inc.PublishResolution(r.Event.User, c.now())
	})
	if err != nil {
		return nil, err
	}
	post, _ := out.Incident.LastPublic()
	msg := PublicPosted(out.Incident, post, r.Event.User)
	if len(troubled) > 0 {
		msg.Fields = []muster.Field{{Label: "Back to operational", Value: strings.Join(troubled, ", ")}}
	}
	out.Room = []muster.Message{msg}
	return out, nil
}

// component handles `component <name> <state>`: the state this incident
// gives a status-page component. The name may have several words; the
// state is the last one.
func (c *Runner) component(ctx context.Context, r *Request) (*Outcome, error) {
	cmd, _ := c.registry.lookup("component")
	if len(c.cfg.Components) == 0 {
		return nil, muster.Errorf(muster.EINVALID, "No status-page components are configured; list them under statuspage.components in the config.")
	}
	if r.Incident.Private {
		return nil, muster.Errorf(muster.EINVALID, "%s is private: it sets no component on the status page.", r.Incident.Ref())
	}
	if len(r.Call.Args) < 2 {
		return nil, cmd.malformed("Name a component and its state. Components: %s; states: %s.", c.componentChoices(), stateChoices())
	}
	word := strings.Join(r.Call.Args[:len(r.Call.Args)-1], " ")
	name, ok := c.findComponent(word)
	if !ok {
		return nil, muster.Errorf(muster.EINVALID, "%q is not a status-page component. Components: %s.", word, c.componentChoices())
	}
	state, ok := muster.ParseComponentState(r.Call.Args[len(r.Call.Args)-1])
	if !ok {
		return nil, muster.Errorf(muster.EINVALID, "%q is not a component state. States: %s.", r.Call.Args[len(r.Call.Args)-1], stateChoices())
	}
	if !r.Incident.Open() {
		return nil, muster.Errorf(muster.ECONFLICT, "%s is resolved, so its components no longer count on the status page; `reopen` it to set one.", r.Incident.Ref())
	}
	out, entries, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.SetComponent(name, state, r.Event.User, c.now())
		return []muster.Entry{e}, err
	})
	if err != nil {
		return nil, err
	}
	out.Room = []muster.Message{ComponentSet(entries[0].Text, state, r.Event.User)}
	return out, nil
}

func (c *Runner) findComponent(word string) (string, bool) {
	for _, name := range c.cfg.Components {
		if strings.EqualFold(name, word) {
			return name, true
		}
	}
	return "", false
}

func (c *Runner) componentChoices() string {
	if len(c.cfg.Components) == 0 {
		return "none configured"
	}
	return strings.Join(c.cfg.Components, ", ")
}

func stateChoices() string {
	names := make([]string, len(muster.ComponentStates))
	for i, s := range muster.ComponentStates {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// offersResolution reports whether resolving inc should offer to publish
// the resolution: it told customers something, or left a component in
// trouble, and is not private.
func offersResolution(inc *muster.Incident) bool {
	return !inc.Private && (len(inc.Public) > 0 || len(inc.TroubledComponents()) > 0)
}
