package store_test

import (
	"path/filepath"
	"testing"

	"github.com/muster-bot/muster/store"
	"github.com/muster-bot/muster/store/storetest"
)

// TestConformance runs the suite every store passes. Each name is a
// directory that does not exist yet, so the suite also checks that Open
// creates it.
func TestConformance(t *testing.T) {
	dir := t.TempDir()
	storetest.Run(t, func(name string) (storetest.Store, error) {
		return store.Open(filepath.Join(dir, name, "muster.db"))
	})
}
