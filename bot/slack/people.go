package slack

import (
	"context"
	"fmt"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/muster-bot/muster"
)

// PeopleFor is how long the answer of users.lookupByEmail is kept: a page
// asks on every request, and Slack allows that method only so many calls
// a minute, while a person's account changes seldom.
const PeopleFor = 5 * time.Minute

// peopleLookup bounds one users.lookupByEmail with its retries, so that a
// slow Slack slows a page by this much at most.
const peopleLookup = 5 * time.Second

type peopleEntry struct {
	users []muster.Event
	at    time.Time
}

// UsersByEmail returns the Slack user with the e-mail address, as an
// Event's Platform and User (none for an address nobody in the workspace
// has, or a deactivated account's). It needs the users:read.email scope.
func (p *Platform) UsersByEmail(ctx context.Context, email string) ([]muster.Event, error) {
	email = strings.ToLower(email)
	now := p.cfg.Now()
	if v, ok := p.byEmail.Load(email); ok {
		if e := v.(peopleEntry); now.Sub(e.at) < PeopleFor {
			return e.users, nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, peopleLookup)
	defer cancel()
	var u *goslack.User
	err := p.call(ctx, "users.lookupByEmail", func(ctx context.Context) (err error) {
		u, err = p.api.GetUserByEmailContext(ctx, email)
		return err
	})
	var users []muster.Event
	switch {
	case slackError(err) == "users_not_found":
	case err != nil:
		return nil, fmt.Errorf("find the Slack user of %s (users.lookupByEmail, scope users:read.email): %w", email, err)
	case !u.Deleted && u.ID != "":
		users = []muster.Event{{Platform: Name, User: u.ID}}
	}
	p.byEmail.Store(email, peopleEntry{users: users, at: now})
	return users, nil
}

// UserEmail returns a Slack user's e-mail address as users.info tells it
// with the users:read.email scope, so that an action item's owner is
// assigned its issue in the tracker; "" when Slack does not say (no
// scope, a bot).
func (p *Platform) UserEmail(ctx context.Context, id string) (string, error) {
	if !looksLikeUserID(id) {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, peopleLookup)
	defer cancel()
	var u *goslack.User
	err := p.call(ctx, "users.info", func(ctx context.Context) (err error) {
		u, err = p.api.GetUserInfoContext(ctx, id)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("read the e-mail of %s (users.info, scope users:read.email): %w", id, err)
	}
	return u.Profile.Email, nil
}
