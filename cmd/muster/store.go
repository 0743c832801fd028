package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/commands"
	"github.com/muster-bot/muster/config"
	"github.com/muster-bot/muster/internal/fence"
	"github.com/muster-bot/muster/leader"
	"github.com/muster-bot/muster/metrics"
	"github.com/muster-bot/muster/store"
	"github.com/muster-bot/muster/store/etcd"
	"github.com/muster-bot/muster/web"
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
	web.Store
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
// store (reminders and scheduled jobs run in one of them only), with the
// store those jobs write through.
type elect func(ctx context.Context, lead func(ctx context.Context, jobs storage))

// openStore opens the configured store and says how this process learns
// that it leads: always with bbolt, whose file one process holds, and its
// jobs write through the store itself; by etcd election with etcd, and its
// jobs write through the store fenced by the term's election key, so that
// a replica that lost the lead without noticing yet writes nothing.
func openStore(ctx context.Context, cfg config.Store, log zerolog.Logger) (storage, elect, error) {
	if cfg.Backend != "etcd" {
		db, err := store.Open(cfg.Path)
		if err != nil {
			return nil, nil, err
		}
		if n := db.TornLog(); n > 0 {
			// Never acknowledged, so nothing a user was told is lost; said
			// all the same, since a drop must never be silent.
			log.Warn().Str("path", cfg.Path+".wal").Int("records", n).
				Msg("the message log ended in a record a crash cut short while writing it (never acknowledged); dropped it")
		}
		alone := func(ctx context.Context, lead func(context.Context, storage)) { lead(ctx, db) }
		return db, alone, nil
	}
	e := cfg.Etcd
	tlsConfig, err := etcdTLS(e.TLS, e.Endpoints)
	if err != nil {
		return nil, nil, err
	}
	db, err := etcd.Open(ctx, etcd.Config{
		Endpoints: e.Endpoints, Prefix: e.Prefix, DialTimeout: e.DialTimeout.Duration,
		Username: e.Username, Password: e.Password, TLS: tlsConfig,
	})
	if err != nil {
		if tlsConfig != nil {
			// etcd's client only says that nobody answered; a handshake
			// of our own says why, which is what an operator needs.
			if why := tlsDiagnosis(ctx, tlsConfig, e.Endpoints); why != nil {
				err = fmt.Errorf("%w; %w", err, why)
			}
		}
		return nil, nil, err
	}
	elector := leader.New(db.Client(), e.Prefix+"leader/", e.LeaderTTL.Duration, replicaID(), log.With().Str("component", "leader").Logger())
	elected := func(ctx context.Context, lead func(context.Context, storage)) {
		elector.Run(ctx, func(ctx context.Context, t fence.Token) { lead(ctx, db.Fenced(t)) })
	}
	return db, elected, nil
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

// etcdTLS builds the TLS settings for etcd, or nil when none are given
// and no endpoint is https.
//
// The server's certificate is checked here, in VerifyConnection, rather
// than by crypto/tls's own check: gRPC sets the name that check expects to
// the endpoint's host, whatever ServerName says, so server_name would
// otherwise be ignored, and endpoints given by IP address could never
// match certificates that name only the etcd hosts.
func etcdTLS(c config.EtcdTLS, endpoints []string) (*tls.Config, error) {
	https := false
	for _, e := range endpoints {
		https = https || strings.HasPrefix(e, "https://")
	}
	if !c.Enabled() && !https {
		return nil, nil
	}
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	var roots *x509.CertPool // nil: the system's
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("store.etcd.tls.ca_file: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
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
	if c.ServerName == "" {
		t.RootCAs = roots
		return t, nil
	}
	name := c.ServerName
	t.InsecureSkipVerify = true // verified below, against name
	t.VerifyConnection = func(cs tls.ConnectionState) error {
		return verifyServer(cs, roots, name)
	}
	return t, nil
}

// tlsDiagnosis tries a TLS handshake with each endpoint, as the etcd
// client would, and returns what went wrong with them (nil when every
// handshake succeeded or no member could be reached at all).
func tlsDiagnosis(ctx context.Context, cfg *tls.Config, endpoints []string) error {
	var errs []error
	for _, ep := range endpoints {
		u, err := url.Parse(ep)
		if err != nil || u.Host == "" {
			continue
		}
		c := cfg.Clone()
		c.ServerName = u.Hostname() // as gRPC sets it
		d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 2 * time.Second}, Config: c}
		hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := d.DialContext(hctx, "tcp", u.Host)
		cancel()
		if err != nil {
			var op *net.OpError
			if errors.As(err, &op) && op.Op == "dial" {
				continue // nobody listening: not a TLS problem
			}
			errs = append(errs, fmt.Errorf("TLS with %s failed: %w", ep, err))
			continue
		}
		// TLS 1.3 servers reject a missing client certificate after the
		// handshake: a read brings their alert to light.
		_ = conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		if _, err := conn.Read(make([]byte, 1)); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			errs = append(errs, fmt.Errorf("TLS with %s failed: %w", ep, err))
		}
		conn.Close()
	}
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return errors.New(strings.Join(msgs, "; "))
}

// verifyServer checks the server's certificate chain against roots (nil:
// the system's) and name, as crypto/tls would for ServerName name.
func verifyServer(cs tls.ConnectionState, roots *x509.CertPool, name string) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("etcd presented no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: name}); err != nil {
		return fmt.Errorf("etcd's certificate (store.etcd.tls.server_name %q): %w", name, err)
	}
	return nil
}
