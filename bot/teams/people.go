package teams

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

// RosterFor is how long the team's roster is kept: the web pages ask on
// every request of a signed-in person, and a team's members change
// seldom.
const RosterFor = 5 * time.Minute

// rosterPages bounds the roster read: 500 members a page, so 50,000
// people; a larger team is matched on its first pages alone.
const rosterPages = 100

// rosterRead bounds one read of the roster, so that a slow Bot Connector
// slows a page by this much at most.
const rosterRead = 10 * time.Second

// UsersByEmail returns the members of the team whose e-mail or user
// principal name is email (a person signed in through Microsoft Entra ID
// gives either), as an Event's Platform and User (the 29:… id Teams puts
// in activities). The Bot Connector's roster of the announcement channel
// (GET /v3/conversations/{id}/pagedmembers) tells them: no Graph
// permission is needed. Without an announcement channel, nobody.
func (p *Platform) UsersByEmail(ctx context.Context, email string) ([]muster.Event, error) {
	if p.cfg.AnnounceChannelID == "" {
		return nil, nil
	}
	r, err := p.readRoster(ctx)
	if err != nil {
		return nil, err
	}
	var out []muster.Event
	for _, id := range r.byEmail[strings.ToLower(email)] {
		out = append(out, muster.Event{Platform: Name, User: id})
	}
	return out, nil
}

// UserEmail returns a member's e-mail address as the team's roster tells
// it (else their user principal name, which is an address too), so that
// an action item's owner is assigned its issue and a review invite names
// its attendees; "" for someone not on it.
func (p *Platform) UserEmail(ctx context.Context, id string) (string, error) {
	if p.cfg.AnnounceChannelID == "" {
		return "", nil
	}
	r, err := p.readRoster(ctx)
	if err != nil {
		return "", err
	}
	return r.emailOf[id], nil
}

// roster is the team's members, by lowercased e-mail and user principal
// name, and each one's address by id.
type roster struct {
	byEmail map[string][]string
	emailOf map[string]string
}

// readRoster returns the roster, read again when older than RosterFor.
func (p *Platform) readRoster(ctx context.Context) (*roster, error) {
	p.rosterMu.Lock()
	defer p.rosterMu.Unlock()
	now := p.cfg.Now()
	if p.roster != nil && now.Sub(p.rosterAt) < RosterFor {
		return p.roster, nil
	}
	ctx, cancel := context.WithTimeout(ctx, rosterRead)
	defer cancel()
	r := &roster{byEmail: map[string][]string{}, emailOf: map[string]string{}}
	add := func(key, id string) {
		if key = strings.ToLower(strings.TrimSpace(key)); key != "" && id != "" {
			r.byEmail[key] = append(r.byEmail[key], id)
		}
	}
	token := ""
	for range rosterPages {
		var page struct {
			Members []struct {
				ID                string `json:"id"`
				Email             string `json:"email"`
				UserPrincipalName string `json:"userPrincipalName"`
			} `json:"members"`
			ContinuationToken string `json:"continuationToken"`
		}
		q := url.Values{"pageSize": {"500"}}
		if token != "" {
			q.Set("continuationToken", token)
		}
		endpoint := fmt.Sprintf("%sv3/conversations/%s/pagedmembers?%s", p.service(), url.PathEscape(p.cfg.AnnounceChannelID), q.Encode())
		if err := p.api.do(ctx, http.MethodGet, endpoint, connectorScope, nil, &page); err != nil {
			return nil, fmt.Errorf("teams: read the team's roster: %w", err)
		}
		for _, m := range page.Members {
			add(m.Email, m.ID)
			if !strings.EqualFold(m.UserPrincipalName, m.Email) {
				add(m.UserPrincipalName, m.ID)
			}
			if addr := cmp.Or(m.Email, m.UserPrincipalName); addr != "" && m.ID != "" {
				r.emailOf[m.ID] = addr
			}
		}
		if token = page.ContinuationToken; token == "" {
			break
		}
	}
	p.roster, p.rosterAt = r, now
	return r, nil
}
