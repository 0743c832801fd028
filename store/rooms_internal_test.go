package store

import "testing"

// TestRoomChangesOutOfOrder applies two transactions' changes to one room
// in the order their commit handlers may run: the later transaction wins.
func TestRoomChangesOutOfOrder(t *testing.T) {
	r := &rooms{ids: map[string]roomSlot{"slack\x00C1": {id: 1}}}
	// Transaction 5 released C1 (INC-1 moved away); transaction 6 gave it
	// to INC-2. 6's handler ran first.
	r.apply("slack\x00C1", 2, 6)
	r.apply("slack\x00C1", 0, 5)
	if got := r.lookup([]byte("slack\x00C1")); got != 2 {
		t.Errorf("slack/C1 → INC-%d, want INC-2 (the later transaction's)", got)
	}
	r.apply("slack\x00C1", 0, 7)
	if got := r.lookup([]byte("slack\x00C1")); got != 0 {
		t.Errorf("slack/C1 → INC-%d after transaction 7 released it, want none", got)
	}
}
