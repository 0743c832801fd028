package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/paging"
)

// page handles `page <service> [message]`: the service's on-call is paged
// now through every provider it has, whatever the severity. The page
// itself is sent by the bot, after this answer (it never delays it).
//
// `page @user` is refused: PagerDuty and Opsgenie page the people on call
// for a service, and paging one person would need a user-level
// integration muster does not have. The reply names the services that can
// be paged and how to bring the person in instead.
func (c *Runner) page(ctx context.Context, r *Request) (*Outcome, error) {
	cmd, _ := c.registry.lookup("page")
	if len(r.Call.Args) == 0 {
		return nil, cmd.malformed("Name the service whose on-call to page. %s", c.pageable())
	}
	target := r.Call.Args[0]
	if _, isUser := userRef(target); isUser {
		return nil, muster.Errorf(muster.EINVALID, "muster pages a service's on-call through PagerDuty or Opsgenie, not one person. %s To bring %s in, mention them in the war room or give them a role.",
			c.pageable(), target)
	}
	svc, ok := c.cfg.Services.Find(strings.TrimPrefix(target, "svc:"))
	if !ok {
		return nil, muster.Errorf(muster.EINVALID, "%q is not a service. %s", target, c.pageable())
	}
	message := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r.Call.Rest), target))
	out, entries, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.RequestPage(svc, paging.Key(inc.ID, svc.Name), r.Event.User, message, c.now())
		return []muster.Entry{e}, err
	})
	if err != nil {
		return nil, err
	}
	out.Room = []muster.Message{{Text: fmt.Sprintf("📟 %s: %s", muster.Mention(r.Event.User), entries[0].Text)}}
	return out, nil
}

// pageable lists the services whose on-call can be paged.
func (c *Runner) pageable() string {
	var names []string
	for _, s := range c.cfg.Services {
		if s.Pageable() {
			names = append(names, s.Name)
		}
	}
	if len(names) == 0 {
		return "No service can be paged: none in the catalog (services:) has pagerduty or opsgenie."
	}
	return "Services that can be paged: " + strings.Join(names, ", ") + "."
}

// The war room's lines about pages, from the bot's outbox.

// PageSent says a service's on-call was paged, and who of them was
// invited to the war room.
func PageSent(service, provider string, invited []string) string {
	s := fmt.Sprintf("📟 paged %s's on-call (%s)", service, muster.ProviderName(provider))
	if len(invited) > 0 {
		mentions := make([]string, len(invited))
		for i, u := range invited {
			mentions[i] = muster.Mention(u)
		}
		s += "; invited " + strings.Join(mentions, ", ")
	}
	return s
}

// PageFailing says a page failed and is being retried.
func PageFailing(service, why string) string {
	return fmt.Sprintf("⚠️ paging %s failed: %s, retrying", service, why)
}

// PageGaveUp says muster stopped trying to page a service.
func PageGaveUp(service, after, why string) string {
	if after != "" {
		return fmt.Sprintf("⚠️ gave up paging %s after %s: %s. Page its on-call by hand.", service, after, why)
	}
	return fmt.Sprintf("⚠️ gave up paging %s: %s. Page its on-call by hand.", service, why)
}

// PageResolveFailed says a page could not be resolved at its provider.
func PageResolveFailed(service, provider, why string) string {
	return fmt.Sprintf("⚠️ could not resolve the page of %s's on-call in %s: %s. Resolve it there by hand.", service, muster.ProviderName(provider), why)
}

// PageChanged says the provider reports a page acknowledged or resolved.
func PageChanged(service, provider string, state muster.PageState, by string) string {
	s := fmt.Sprintf("📟 %s's page %s in %s", service, state, muster.ProviderName(provider))
	if by != "" {
		s += " by " + by
	}
	return s
}
