package main

import (
	"context"
	"strings"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot/console"
	"github.com/muster-bot/muster/web"
	"github.com/muster-bot/muster/web/signin"
)

var (
	_ web.SignIn = (*signin.Auth)(nil)
	_ web.People = chatPeople{}
)

// signIn is the pages' sign-in when web.oidc is configured, else nil (a
// nil interface, not a nil *signin.Auth in one).
func (a *App) signIn() (web.SignIn, error) {
	w := a.cfg.Web
	if !w.SignIn() {
		return nil, nil
	}
	return signin.New(signin.Config{
		Issuer: w.OIDC.Issuer, ClientID: w.OIDC.ClientID, ClientSecret: w.OIDC.ClientSecret,
		PublicURL: w.PublicURL, AllowedDomains: w.OIDC.AllowedDomains, Now: a.clock.Now,
	}, a.log.With().Str("component", "signin").Logger())
}

// chatPeople finds a signed-in person's chat users by e-mail: Slack's by
// users.lookupByEmail; Teams' in the team's roster (e-mail or user
// principal name); the console's, whose users are plain names, by the
// address's local part (alice@example.com is the console's alice).
type chatPeople struct{ a *App }

func (p chatPeople) UsersByEmail(ctx context.Context, email string) ([]muster.Event, error) {
	var out []muster.Event
	if p.a.slack != nil {
		users, err := p.a.slack.UsersByEmail(ctx, email)
		if err != nil {
			return nil, err
		}
		out = append(out, users...)
	}
	if p.a.teams != nil {
		users, err := p.a.teams.UsersByEmail(ctx, email)
		if err != nil {
			return nil, err
		}
		out = append(out, users...)
	}
	if p.a.console != nil {
		if local, _, ok := strings.Cut(email, "@"); ok && local != "" {
			out = append(out, muster.Event{Platform: console.Name, User: local})
		}
	}
	return out, nil
}
