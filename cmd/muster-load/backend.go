package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/etcdtest"
	"github.com/muster-bot/muster/store"
	"github.com/muster-bot/muster/store/etcd"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// backend is the store muster runs on in the muster phase, and how to
// read it back afterwards.
type backend struct {
	yaml string    // muster's "store:" config section
	path string    // bbolt: the file
	etcd *etcdSite // etcd: where
}

// etcdSite is the etcd cluster and the key prefix of one run.
type etcdSite struct {
	endpoints []string
	prefix    string
	local     bool   // started by muster-load, stopped by close
	stop      func() // stops the local cluster
}

// openBackend prepares o.store: a path for bbolt; for etcd a fresh prefix
// on -etcd-endpoints, or on a local 3-member cluster started now.
func openBackend(o options, dir string, say func(string, ...any)) (*backend, error) {
	if o.store != "etcd" {
		path := filepath.Join(dir, "data", "muster.db")
		return &backend{path: path, yaml: fmt.Sprintf("store:\n  path: %s\n", path)}, nil
	}
	site := &etcdSite{endpoints: o.etcdEndpoints, prefix: "/muster-load-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "/", stop: func() {}}
	if len(site.endpoints) == 0 {
		say("starting a local 3-member etcd cluster")
		c, stop, err := etcdtest.StartMain(3)
		if errors.Is(err, etcdtest.ErrNotInstalled) {
			return nil, fmt.Errorf("-store etcd starts a local cluster, and found %w; or pass -etcd-endpoints of a running cluster", err)
		}
		if err != nil {
			return nil, fmt.Errorf("-store etcd: %w", err)
		}
		site.endpoints, site.local, site.stop = c.Endpoints(), true, stop
	}
	var y strings.Builder
	fmt.Fprintf(&y, "store:\n  backend: etcd\n  etcd:\n    endpoints: [%s]\n    prefix: %s\n    dial_timeout: 5s\n",
		strings.Join(site.endpoints, ", "), site.prefix)
	return &backend{etcd: site, yaml: y.String()}, nil
}

// close stops the local etcd cluster, if muster-load started one.
func (b *backend) close() {
	if b.etcd != nil {
		b.etcd.stop()
	}
}

// checkEndpoint accepts only http://127.0.0.1:PORT: muster-load talks to
// nothing else.
func checkEndpoint(e string) error {
	u, err := url.Parse(e)
	if err != nil || u.Scheme != "http" || !isLoopback(u.Host) || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return fmt.Errorf("%q is not http://127.0.0.1:PORT (muster-load talks only to 127.0.0.1)", e)
	}
	return nil
}

// timelines is what the check reads from either store.
type timelines interface {
	Timeline(ctx context.Context, id int) ([]muster.Entry, error)
	Close() error
}

// verify opens the store muster left, once every replica has exited, and
// checks every message sent (see check). An etcd prefix on a cluster that
// muster-load did not start is deleted afterwards.
func (b *backend) verify(ctx context.Context, l *load) (check, error) {
	if b.etcd == nil {
		var size float64
		if fi, err := os.Stat(b.path); err == nil {
			size = mib(fi.Size())
		}
		// store.Open takes the file lock, so nothing else writes meanwhile.
		db, err := store.Open(b.path)
		if err != nil {
			return check{}, err
		}
		defer db.Close()
		c, err := verify(ctx, db, l)
		c.StoreMiB = size
		return c, err
	}
	db, err := etcd.Open(ctx, etcd.Config{Endpoints: b.etcd.endpoints, Prefix: b.etcd.prefix, DialTimeout: 5 * time.Second})
	if err != nil {
		return check{}, fmt.Errorf("open the etcd store to check it: %w", err)
	}
	defer db.Close()
	c, err := verify(ctx, db, l)
	if err == nil && !b.etcd.local {
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if _, derr := db.Client().Delete(dctx, b.etcd.prefix, clientv3.WithPrefix()); derr != nil {
			err = fmt.Errorf("delete the run's keys under %s: %w", b.etcd.prefix, derr)
		}
	}
	return c, err
}
