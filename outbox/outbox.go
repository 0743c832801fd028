// Package outbox names what the durable outbox holds: items waiting to be
// sent to an outside system (a room post the platform did not take, a
// status page sync, a page), each under a key of its own. The stores keep
// items without knowing what they mean; the bot decides what each kind
// sends, when it is retried and when it is given up.
package outbox

import (
	"encoding/json"
	"fmt"
	"time"
)

// Item is one thing waiting in the outbox. Items are listed in key order,
// so a key that starts with its kind and then the time it was queued keeps
// a kind's items in the order they were queued; a key made of what an item
// is about (the incident it syncs) keeps at most one of them waiting.
type Item struct {
	Key  string `json:"key"`
	Kind string `json:"kind"`
	// Payload is what the kind's sender needs, as JSON.
	Payload   json.RawMessage `json:"payload"`
	Queued    time.Time       `json:"queued"`
	Next      time.Time       `json:"next"` // not sent before
	Attempts  int             `json:"attempts,omitempty"`
	LastError string          `json:"last_error,omitempty"`
}

// Valid reports what is wrong with an item a store is asked to keep.
func (it Item) Valid() error {
	switch {
	case it.Key == "":
		return fmt.Errorf("outbox item of kind %q has no key", it.Kind)
	case it.Kind == "":
		return fmt.Errorf("outbox item %s has no kind", it.Key)
	case len(it.Payload) > 0 && !json.Valid(it.Payload):
		return fmt.Errorf("outbox item %s: its payload is not JSON", it.Key)
	}
	return nil
}

// Backoff is the wait after the attempts-th failed try: it doubles from
// 10 s up to 5 min, so an outage of minutes is caught up on within
// minutes without hammering a system that is down.
func Backoff(attempts int) time.Duration {
	return min(10*time.Second<<min(max(attempts, 1)-1, 5), 5*time.Minute)
}

// Claim returns it as claimed for a try at now: one more attempt, and
// no other try before Backoff of the attempts has passed, so that a sender
// that dies trying leaves it for then. The leader writes the claim before
// it tries, through its fenced store: a replica that lost the lead cannot
// claim, so it does not send.
func (it Item) Claim(now time.Time) Item {
	it.Attempts++
	it.Next = now.Add(Backoff(it.Attempts))
	return it
}

// Failed returns it, claimed, after its try failed at now with err: it is
// tried again after the claim's backoff, or after retryAfter when the
// outside system asked for a longer wait.
func (it Item) Failed(now time.Time, err error, retryAfter time.Duration) Item {
	if at := now.Add(retryAfter); at.After(it.Next) {
		it.Next = at
	}
	it.LastError = err.Error()
	return it
}
