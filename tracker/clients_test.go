package tracker_test

import (
	"context"

	"github.com/muster-bot/muster/tracker"
	"github.com/muster-bot/muster/tracker/github"
	"github.com/muster-bot/muster/tracker/jira"
)

// client is what the bot will declare of a tracker; both providers keep
// the same shape so the bot needs one code path.
type client interface {
	Create(ctx context.Context, is tracker.Issue) (tracker.Ref, error)
	Find(ctx context.Context, key string) (tracker.Ref, bool, error)
	State(ctx context.Context, ref tracker.Ref) (tracker.State, error)
	Close(ctx context.Context, ref tracker.Ref) error
}

var (
	_ client = (*jira.Client)(nil)
	_ client = (*github.Client)(nil)
)
