// Package fence names the proof that a replica leads: the leader's
// election key and the revision that created it. The leader hands it to
// its jobs as a value, and a store that understands it (the etcd store's
// Fenced view) applies a write only while that key still exists with that
// revision, so a replica that lost the lead without noticing yet (a long
// pause, a cut link) cannot claim a reminder that the new leader owns.
package fence

import "errors"

// ErrLost reports a write refused because its fence no longer holds.
var ErrLost = errors.New("no longer the leader; the write was refused")

// Token is a leader's fence: its election key and that key's creation
// revision.
type Token struct {
	Key string
	Rev int64
}
