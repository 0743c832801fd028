package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/commands"
	"github.com/muster-bot/muster/config"
	"github.com/muster-bot/muster/leader"
	"github.com/muster-bot/muster/metrics"
	"github.com/muster-bot/muster/store"
	"github.com/muster-bot/muster/store/etcd"
	"github.com/muster-bot/muster/webhooks"
)

// storage is what the program needs of a store: what the bot, the
// commands, the platforms and webhook delivery need, and what /readyz and
// shutdown need.
type storage interface {
	bot.Store
	commands.Store
	metrics.Store
	webhooks.Store
	bot.Settings
	Ping(ctx context.Context) error
	PruneKeys(ctx context.Context) (int, error)
	Close() error
}

// Both stores provide it.
var (
	_ storage = (*store.DB)(nil)
	_ storage = (*etcd.DB)(nil)
)

// elect runs lead while this process leads the replicas sharing its
// store: reminders and scheduled jobs run in one of them only.
type elect func(ctx context.Context, lead func(ctx context.Context))

// openStore opens the configured store and says how this process learns
// that it leads: always with bbolt, whose file one process holds; by etcd
// election with etcd.
func openStore(ctx context.Context, cfg config.Store, log zerolog.Logger) (storage, elect, error) {
	if cfg.Backend != "etcd" {
		db, err := store.Open(cfg.Path)
		if err != nil {
			return nil, nil, err
		}
		return db, leader.Always, nil
	}
	e := cfg.Etcd
	tlsConfig, err := etcdTLS(e.TLS)
	if err != nil {
		return nil, nil, err
	}
	db, err := etcd.Open(ctx, etcd.Config{
		Endpoints: e.Endpoints, Prefix: e.Prefix, DialTimeout: e.DialTimeout.Duration,
		Username: e.Username, Password: e.Password, TLS: tlsConfig,
	})
	if err != nil {
		return nil, nil, err
	}
	elector := leader.New(db.Client(), e.Prefix+"leader/", e.LeaderTTL.Duration, replicaID(), log.With().Str("component", "leader").Logger())
	return db, elector.Run, nil
}

// replicaID names this process to the other replicas: in Kubernetes the
// host name is the pod's name.
func replicaID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "muster"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// etcdTLS builds the TLS settings for etcd, or nil when none are given.
func etcdTLS(c config.EtcdTLS) (*tls.Config, error) {
	if !c.Enabled() {
		return nil, nil
	}
	t := &tls.Config{ServerName: c.ServerName, MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("store.etcd.tls.ca_file: %w", err)
		}
		t.RootCAs = x509.NewCertPool()
		if !t.RootCAs.AppendCertsFromPEM(pem) {
			return nil, errors.New("store.etcd.tls.ca_file: no PEM certificate found in " + c.CAFile)
		}
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("store.etcd.tls: client certificate: %w", err)
		}
		t.Certificates = []tls.Certificate{cert}
	}
	return t, nil
}
