package etcd_test

import (
	"context"
	"slices"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/muster-bot/muster/internal/etcdtest"
)

// TestOpenIndexesSchema1 turns a cluster into what schema 1 left (no
// declaration index, schema 1) and opens it: the index is built, so a
// window lists the old incidents, and the cluster says schema 2.
func TestOpenIndexesSchema1(t *testing.T) {
	c := etcdtest.Start(t, 1)
	prefix := c.Prefix(t)
	ctx := context.Background()
	db := open(t, c, prefix)
	want := []int{declare(t, db, "one", "").ID, declare(t, db, "two", "").ID}
	slices.Reverse(want)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Delete(ctx, prefix+"decl/", clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Put(ctx, prefix+"meta/schema", "1"); err != nil {
		t.Fatal(err)
	}

	db = open(t, c, prefix)
	list, err := db.IncidentsDeclared(ctx, t0.Add(-time.Hour), t0.Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, inc := range list {
		got = append(got, inc.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("declared after opening a schema 1 cluster: %v, want %v", got, want)
	}
	resp, err := raw.Get(ctx, prefix+"meta/schema")
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "2" {
		t.Errorf("schema after opening = %v, %v; want 2", resp, err)
	}
}
