// Package storetest is the conformance suite every muster store passes:
// the bbolt store (one file, one process) and the etcd store (a cluster,
// several replicas). Running the same tests on both keeps their behaviour
// from drifting apart.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/outbox"
)

// Store is everything muster asks of a store.
type Store interface {
	Create(ctx context.Context, inc *muster.Incident, first muster.Entry) error
	Incident(ctx context.Context, id int) (*muster.Incident, error)
	IncidentByRoom(ctx context.Context, platform, room string) (*muster.Incident, error)
	RoomIncident(ctx context.Context, platform, room string) (int, error)
	Update(ctx context.Context, id int, fn func(*muster.Incident) ([]muster.Entry, error)) (*muster.Incident, []muster.Entry, error)
	Incidents(ctx context.Context, openOnly bool) ([]*muster.Incident, error)
	IncidentsDeclared(ctx context.Context, from, to time.Time, limit int) ([]*muster.Incident, error)
	Append(ctx context.Context, id int, key string, e muster.Entry) (muster.Entry, bool, error)
	Revise(ctx context.Context, id int, messageID, key string, fn func(*muster.Entry) error) (muster.Entry, bool, error)
	Timeline(ctx context.Context, id int) ([]muster.Entry, error)
	EntriesAfter(ctx context.Context, id, after, limit int) ([]muster.Entry, error)
	PruneKeys(ctx context.Context) (int, error)
	Setting(ctx context.Context, key string) (string, error)
	SetSetting(ctx context.Context, key, value string) error
	SwapSetting(ctx context.Context, key, old, value string) (bool, error)
	AddOutbox(ctx context.Context, it outbox.Item) (bool, error)
	UpdateOutbox(ctx context.Context, it outbox.Item) (bool, error)
	Outbox(ctx context.Context) ([]outbox.Item, error)
	DeleteOutbox(ctx context.Context, key string) error
	Ping(ctx context.Context) error
	Close() error
}

// Opener opens a store for a test. Each call with the same name opens the
// same stored data (after the previous store of that name was closed), so
// the suite can check that a reopened store keeps everything; a new name
// is a new, empty store.
type Opener func(name string) (Store, error)

// Run runs every conformance test against the stores open returns. Each
// test opens stores under a name of its own and closes them before it
// ends. The tests run one after another, so open need not be safe for
// concurrent use.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		test func(*testing.T, Opener)
	}{
		{"CreateNumbersIncidents", testCreateNumbersIncidents},
		{"NotFound", testNotFound},
		{"UpdateErrorWritesNothing", testUpdateErrorWritesNothing},
		{"UpdateAppendsEntriesInOrder", testUpdateAppendsEntriesInOrder},
		{"UpdateMaintainsIndexes", testUpdateMaintainsIndexes},
		{"OpenListIsCurrent", testOpenListIsCurrent},
		{"IncidentsDeclared", testIncidentsDeclared},
		{"AppendNumbersEntries", testAppendNumbersEntries},
		{"AppendIsIdempotent", testAppendIsIdempotent},
		{"AppendIsIdempotentUnderConcurrency", testAppendIsIdempotentUnderConcurrency},
		{"Revise", testRevise},
		{"RevisionBeforeItsMessage", testRevisionBeforeItsMessage},
		{"EntriesAfter", testEntriesAfter},
		{"Settings", testSettings},
		{"SwapSettingHasOneWinner", testSwapSetting},
		{"ReopenKeepsEverything", testReopenKeepsEverything},
		{"CancelledContextWritesNothing", testCancelledContextWritesNothing},
		{"Ping", testPing},
		{"PruneKeysKeepsFreshKeys", testPruneKeysKeepsFreshKeys},
		{"Outbox", testOutbox},
		{"OutboxAddHasOneWinner", testOutboxAddHasOneWinner},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, open) })
	}
}
