package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

const bucketSettings = "settings"

// Setting returns a value a platform saved (such as the Bot Connector
// address Teams last used), or "" when none was.
func (db *DB) Setting(ctx context.Context, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("read setting %s: %w", key, err)
	}
	var v string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte(bucketSettings)); b != nil {
			v = string(b.Get([]byte(key)))
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting saves a value durably.
func (db *DB) SetSetting(ctx context.Context, key, value string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save setting %s: %w", key, err)
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucketSettings))
		if err != nil {
			return err
		}
		return b.Put([]byte(key), []byte(value))
	})
	if err != nil {
		return fmt.Errorf("save setting %s: %w", key, err)
	}
	return nil
}

// SwapSetting sets key to value only if it holds old now ("" for no value
// at all), and reports whether it did: two writers racing for one key
// cannot both win.
func (db *DB) SwapSetting(ctx context.Context, key, old, value string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("swap setting %s: %w", key, err)
	}
	swapped := false
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucketSettings))
		if err != nil {
			return err
		}
		if string(b.Get([]byte(key))) != old {
			return nil
		}
		swapped = true
		if value == "" {
			return b.Delete([]byte(key)) // "" is no value, as Setting reports it
		}
		return b.Put([]byte(key), []byte(value))
	})
	if err != nil {
		return false, fmt.Errorf("swap setting %s: %w", key, err)
	}
	return swapped, nil
}
