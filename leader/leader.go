// Package leader elects, among muster replicas sharing an etcd cluster,
// the one that runs the jobs only one may run: the reminder scheduler, the
// action-item reminders and webhook delivery. Requests from Slack and
// Teams need no leader; any replica takes any of them.
//
// It uses etcd's own election (go.etcd.io/etcd/client/v3/concurrency): a
// replica campaigns with a key on a lease it keeps alive; the oldest key
// leads. A leader that dies or is cut off stops renewing its lease, etcd
// deletes its key when the lease runs out, and the next replica in line
// leads. For the moment when two replicas both believe they lead (the old
// one has not yet noticed that its lease ran out), every reminder is
// claimed in a transaction before it is sent, so it is still sent once.
package leader

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/rs/zerolog"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/muster-bot/muster/internal/fence"
)

// Elector campaigns for leadership on behalf of one replica.
type Elector struct {
	client *clientv3.Client
	key    string // the election's key prefix
	ttl    time.Duration
	id     string // this replica, as shown to the others
	log    zerolog.Logger
}

// New returns an elector that campaigns under key (e.g. "/muster/leader/")
// as replica id. ttl is how long a leader that stopped answering keeps the
// lead; etcd counts it in whole seconds.
func New(client *clientv3.Client, key string, ttl time.Duration, id string, log zerolog.Logger) *Elector {
	return &Elector{client: client, key: key, ttl: ttl, id: id, log: log}
}

// retryPause is how long a replica waits after failing to reach the
// cluster before it campaigns again.
const retryPause = time.Second

// Run campaigns until ctx ends. Whenever this replica leads it calls lead
// with a context that ends when the lead is lost (or ctx ends) and with
// the term's fence, the election key that proves the lead; it waits for
// lead to return, gives up the lead so that another replica takes over at
// once, and campaigns again. lead's jobs write through a store fenced by
// it (etcd.DB.Fenced): once another replica leads, the etcd store refuses
// their writes, even before this one notices that its lease ran out.
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context, t fence.Token)) {
	for ctx.Err() == nil {
		if err := e.term(ctx, lead); err != nil && ctx.Err() == nil {
			e.log.Warn().Err(err).Msg("leader election")
			select {
			case <-ctx.Done():
			case <-time.After(retryPause):
			}
		}
	}
}

// term is one campaign and, if it is won, one term as leader.
func (e *Elector) term(ctx context.Context, lead func(ctx context.Context, t fence.Token)) error {
	ttl := int(math.Ceil(e.ttl.Seconds()))
	// The session keeps its lease alive until its context ends: one of its
	// own, ended with the term, so that a lease this replica no longer uses
	// stops being renewed even when revoking it fails.
	termCtx, endTerm := context.WithCancel(ctx)
	defer endTerm()
	session, err := concurrency.NewSession(e.client, concurrency.WithTTL(ttl), concurrency.WithContext(termCtx))
	if err != nil {
		return fmt.Errorf("open an election session: %w", err)
	}
	// Revoking the lease lets the next replica lead at once instead of
	// when the lease runs out. It may fail when the cluster is
	// unreachable; the lease then runs out by itself, since endTerm stops
	// its renewal.
	defer func() {
		endTerm()
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_, _ = e.client.Revoke(closeCtx, session.Lease())
	}()
	election := concurrency.NewElection(session, e.key)
	if err := election.Campaign(ctx, e.id); err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	// Campaign also returns when the keys ahead of ours went away after
	// our own lease ran out: then ours is gone too and we do not lead.
	select {
	case <-session.Done():
		return fmt.Errorf("campaign: the session ended while waiting to lead")
	default:
	}
	e.log.Info().Str("replica", e.id).Msg("leading: running reminders and scheduled jobs")
	leadCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	lost := make(chan struct{})
	go func() {
		defer close(lost)
		select {
		case <-session.Done():
			e.log.Warn().Str("replica", e.id).Msg("lost the lead: the etcd session ended")
			cancel()
		case <-leadCtx.Done():
		}
	}()
	lead(leadCtx, fence.Token{Key: election.Key(), Rev: election.Rev()})
	cancel()
	<-lost
	e.log.Info().Str("replica", e.id).Msg("no longer leading")
	return nil
}
