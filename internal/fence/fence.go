// Package fence carries, in a context, the proof that a replica leads:
// the leader's election key and the revision that created it. A store
// that understands it (the etcd store) applies a write made with such a
// context only while that key still exists with that revision, so a
// replica that lost the lead without noticing yet (a long pause, a cut
// link) cannot claim a reminder that the new leader owns.
package fence

import (
	"context"
	"errors"
)

// ErrLost reports a write refused because its fence no longer holds.
var ErrLost = errors.New("no longer the leader; the write was refused")

// Token is a leader's fence: its election key and that key's creation
// revision.
type Token struct {
	Key string
	Rev int64
}

type key struct{}

// With returns ctx carrying t: writes made with it are fenced.
func With(ctx context.Context, t Token) context.Context {
	return context.WithValue(ctx, key{}, &t)
}

// From returns the fence ctx carries, if any.
func From(ctx context.Context) (Token, bool) {
	t, ok := ctx.Value(key{}).(*Token)
	if !ok || t == nil {
		return Token{}, false
	}
	return *t, true
}

// Without returns ctx without its fence, for a write that must land even
// after the lead is lost: recording that a reminder already posted was
// posted.
func Without(ctx context.Context) context.Context {
	return context.WithValue(ctx, key{}, (*Token)(nil))
}
