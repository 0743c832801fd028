package main

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/config"
	"github.com/muster-bot/muster/internal/etcdtest"
)

// testPKI is a CA and a certificate it signed for etcd.internal only (no
// IP address), as files and loaded for a test server.
type testPKI struct {
	caFile, certFile, keyFile string
	server                    tls.Certificate
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	f := etcdtest.Certs(t, []string{"etcd.internal"}, nil)
	server, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	return testPKI{caFile: f.CAFile, certFile: f.CertFile, keyFile: f.KeyFile, server: server}
}

// handshake connects to a TLS server on 127.0.0.1 presenting p's server
// certificate, with cfg as gRPC would use it: ServerName replaced by the
// endpoint's host.
func handshake(t *testing.T, p testPKI, cfg *tls.Config) error {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{p.server}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		_ = c.(*tls.Conn).Handshake()
		c.Close()
	}()
	cfg = cfg.Clone()
	cfg.ServerName = "127.0.0.1"
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(), cfg)
	if err != nil {
		return err
	}
	return conn.Close()
}

func TestEtcdTLS(t *testing.T) {
	dir := t.TempDir()
	p := newTestPKI(t)
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	plain := []string{"http://127.0.0.1:2379"}

	if c, err := etcdTLS(config.EtcdTLS{}, plain); c != nil || err != nil {
		t.Errorf("no TLS settings, http endpoints: got %v, %v; want plain connections", c, err)
	}
	if c, err := etcdTLS(config.EtcdTLS{}, []string{"https://etcd-0.etcd:2379"}); c == nil || err != nil {
		t.Errorf("an https endpoint without TLS settings: got %v, %v; want TLS with the system's roots", c, err)
	}

	// server_name is what the certificate is checked against, even though
	// the endpoint is an IP address and gRPC says so in ServerName.
	c, err := etcdTLS(config.EtcdTLS{CAFile: p.caFile, CertFile: p.certFile, KeyFile: p.keyFile, ServerName: "etcd.internal"}, plain)
	if err != nil {
		t.Fatalf("CA, client certificate and server name: %v", err)
	}
	if len(c.Certificates) != 1 {
		t.Errorf("%d client certificates, want 1", len(c.Certificates))
	}
	if err := handshake(t, p, c); err != nil {
		t.Errorf("server_name etcd.internal, certificate for etcd.internal: %v", err)
	}
	wrong, err := etcdTLS(config.EtcdTLS{CAFile: p.caFile, ServerName: "wrong.name"}, plain)
	if err != nil {
		t.Fatal(err)
	}
	if err := handshake(t, p, wrong); err == nil || !strings.Contains(err.Error(), "wrong.name") {
		t.Errorf("server_name wrong.name: handshake error %v, want a refusal naming it", err)
	}
	noName, err := etcdTLS(config.EtcdTLS{CAFile: p.caFile}, plain)
	if err != nil {
		t.Fatal(err)
	}
	if err := handshake(t, p, noName); err == nil {
		t.Error("no server_name: a certificate for etcd.internal was accepted for 127.0.0.1")
	}
	otherCA := newTestPKI(t)
	untrusted, err := etcdTLS(config.EtcdTLS{CAFile: otherCA.caFile, ServerName: "etcd.internal"}, plain)
	if err != nil {
		t.Fatal(err)
	}
	if err := handshake(t, p, untrusted); err == nil {
		t.Error("a certificate from another CA was accepted")
	}

	for _, tc := range []struct {
		name string
		tls  config.EtcdTLS
		want string
	}{
		{"missing CA file", config.EtcdTLS{CAFile: filepath.Join(dir, "nope.pem")}, "store.etcd.tls.ca_file"},
		{"CA file without a certificate", config.EtcdTLS{CAFile: notPEM}, "no PEM certificate"},
		{"key that is not a key", config.EtcdTLS{CertFile: p.certFile, KeyFile: notPEM}, "client certificate"},
	} {
		if _, err := etcdTLS(tc.tls, plain); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

// TestEtcdUnreachable: with no etcd at the configured endpoint muster
// exits at start-up, within the dial timeout, naming the endpoint.
func TestEtcdUnreachable(t *testing.T) {
	cfg := config.Default()
	cfg.Store.Backend = "etcd"
	cfg.Store.Etcd.Endpoints = []string{"http://127.0.0.1:1"}
	cfg.Store.Etcd.DialTimeout = config.Duration{Duration: 500 * time.Millisecond}
	start := time.Now()
	_, err := New(cfg, Options{Console: true, Stdin: strings.NewReader(""), Stdout: &strings.Builder{}, Stderr: &strings.Builder{}, Getenv: func(string) string { return "" }})
	if err == nil {
		t.Fatal("New succeeded with no etcd to talk to")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %s to give up with a 500ms dial timeout", took)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("error %q does not name the endpoint", err)
	}
}

// TestEtcdOverTLS opens the etcd store as muster does, through the etcd
// client and gRPC, against a real member serving https with a certificate
// for etcd.internal only and requiring client certificates. The endpoint
// is an IP address, so only server_name makes the certificate acceptable;
// a wrong name, no name or no client certificate fails at start-up.
func TestEtcdOverTLS(t *testing.T) {
	p := newTestPKI(t)
	cluster := etcdtest.StartTLS(t, 1, etcdtest.TLSFiles{
		CertFile: p.certFile, KeyFile: p.keyFile, CAFile: p.caFile,
		ServerName: "etcd.internal", ClientCertAuth: true,
	})
	good := config.EtcdTLS{CAFile: p.caFile, CertFile: p.certFile, KeyFile: p.keyFile, ServerName: "etcd.internal"}
	storeConfig := func(tls config.EtcdTLS) config.Store {
		cfg := config.Default().Store
		cfg.Backend = "etcd"
		cfg.Etcd.Endpoints = cluster.Endpoints() // https://127.0.0.1:PORT
		cfg.Etcd.Prefix = cluster.Prefix(t)
		cfg.Etcd.DialTimeout = config.Duration{Duration: 3 * time.Second}
		cfg.Etcd.LeaderTTL = config.Duration{Duration: 2 * time.Second}
		cfg.Etcd.TLS = tls
		return cfg
	}

	t.Run("server_name and client certificate", func(t *testing.T) {
		ctx := t.Context()
		db, _, err := openStore(ctx, storeConfig(good), zerolog.Nop())
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		defer db.Close()
		if err := db.Ping(ctx); err != nil {
			t.Errorf("ping: %v", err)
		}
		inc, first, err := muster.NewIncident("Checkout is returning 500s", muster.Severity{Name: "SEV2"}, false, "U01ALICE", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Create(ctx, inc, first); err != nil {
			t.Fatalf("create: %v", err)
		}
		got, err := db.Incident(ctx, inc.ID)
		if err != nil {
			t.Fatalf("read incident %d back: %v", inc.ID, err)
		}
		if got.Title != inc.Title || got.Severity != "SEV2" {
			t.Errorf("read back %q (%s), want %q (SEV2)", got.Title, got.Severity, inc.Title)
		}
	})

	noName := good
	noName.ServerName = ""
	wrongName := good
	wrongName.ServerName = "wrong.name"
	noCert := good
	noCert.CertFile, noCert.KeyFile = "", ""
	for _, tc := range []struct {
		name string
		tls  config.EtcdTLS
		// why is what the handshake says went wrong: the etcd client
		// reports only that no member answered in time, so openStore
		// shakes hands itself to tell the operator.
		why string
	}{
		{"no server_name", noName, "127.0.0.1 because it doesn't contain any IP SANs"},
		{"server_name wrong.name", wrongName, "wrong.name"},
		// etcd 3.4 (Go 1.19) answers bad_certificate, not certificate_required.
		{"no client certificate", noCert, "bad certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each waits out the dial timeout
			cfg := storeConfig(tc.tls)
			start := time.Now()
			db, _, err := openStore(t.Context(), cfg, zerolog.Nop())
			if err == nil {
				db.Close()
				t.Fatal("opened the store")
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %s to fail with a 3s dial timeout", took)
			}
			t.Logf("open failed after %s: %v", time.Since(start).Round(time.Millisecond), err)
			if !strings.Contains(err.Error(), tc.why) {
				t.Errorf("open failed with %q, want the reason %q", err, tc.why)
			}
		})
	}
}

// TestBboltLeadsAtOnce: with bbolt, whose file one process holds, the
// process leads from the start: lead runs at once, with the given context,
// and its jobs write through the store itself (there is no one to fence
// out).
func TestBboltLeadsAtOnce(t *testing.T) {
	db, elect, err := openStore(context.Background(), config.Store{Path: filepath.Join(t.TempDir(), "muster.db")}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	elect(ctx, func(got context.Context, jobs storage) { ran = got.Err() != nil && jobs == db })
	if !ran {
		t.Fatal("the bbolt elector did not run lead with its context and the store")
	}
}
