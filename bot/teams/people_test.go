package teams

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster/bot/teams/faketeams"
)

// TestUsersByEmail: a person signed in through Entra ID is matched to
// their Teams id by e-mail or by user principal name, in any case, across
// the roster's pages; the roster is read once per RosterFor; an address
// nobody in the team has matches nobody, and so does any address without
// an announcement channel to read the roster of.
func TestUsersByEmail(t *testing.T) {
	const appID, password, channel = "00000000-0000-0000-0000-00000000a11d", "app-secret", "19:general@thread.tacv2"
	tf := faketeams.New()
	t.Cleanup(tf.Close)
	tf.SetCredentials(appID, password)
	tf.AddTeam("team")
	tf.AddChannel("team", channel, "General")
	for i := range 700 { // two pages of 500
		tf.AddPerson("team", faketeams.Member{ID: fmt.Sprintf("29:user%d", i), Name: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("user%d@example.com", i)})
	}
	tf.AddPerson("team", faketeams.Member{ID: "29:alice", Name: "Alice", Email: "Alice.Smith@Example.com", UserPrincipalName: "asmith@example.onmicrosoft.com"})
	now := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	cfg := Config{
		AppID: appID, AppPassword: password, TenantID: faketeams.TenantID, AnnounceChannelID: channel,
		LoginURL: tf.LoginURL(), OpenIDMetadataURL: tf.OpenIDMetadataURL(), ServiceURL: tf.ServiceURL(),
		Now: func() time.Time { return now },
	}
	p := New(cfg, nil, zerolog.New(zerolog.NewTestWriter(t)))
	ctx := context.Background()
	for _, tc := range []struct{ email, want string }{
		{"alice.smith@example.com", "29:alice"},
		{"ASMITH@example.onmicrosoft.com", "29:alice"},
		{"user650@example.com", "29:user650"},
		{"mallory@example.com", ""},
	} {
		got, err := p.UsersByEmail(ctx, tc.email)
		if err != nil {
			t.Fatalf("%s: %v", tc.email, err)
		}
		switch {
		case tc.want == "" && len(got) != 0:
			t.Errorf("%s matched %+v; want nobody", tc.email, got)
		case tc.want != "" && (len(got) != 1 || got[0].User != tc.want || got[0].Platform != Name):
			t.Errorf("%s matched %+v; want %s on Teams", tc.email, got, tc.want)
		}
	}
	reads := func() int {
		n := 0
		for _, r := range tf.Requests() {
			if r.Route == faketeams.RoutePagedMembers {
				n++
			}
		}
		return n
	}
	if n := reads(); n != 2 {
		t.Errorf("%d roster pages read for four lookups; want the two pages once", n)
	}
	now = now.Add(RosterFor)
	if _, err := p.UsersByEmail(ctx, "user1@example.com"); err != nil || reads() != 4 {
		t.Errorf("after %s: %v, %d pages read; want the roster read again", RosterFor, err, reads())
	}

	if got, err := p.UserEmail(ctx, "29:alice"); err != nil || got != "Alice.Smith@Example.com" {
		t.Errorf("UserEmail(29:alice) = %q, %v", got, err)
	}
	if got, err := p.UserEmail(ctx, "29:stranger"); err != nil || got != "" {
		t.Errorf("UserEmail(29:stranger) = %q, %v; want none", got, err)
	}

	cfg.AnnounceChannelID = ""
	if got, err := New(cfg, nil, zerolog.Nop()).UsersByEmail(ctx, "alice.smith@example.com"); err != nil || len(got) != 0 {
		t.Errorf("without an announcement channel: %+v, %v; want nobody", got, err)
	}
}
