package etcdtest_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/muster-bot/muster/internal/etcdtest"
)

// A TLS cluster serves https, requires a client certificate, and keeps
// doing so after a restart.
func TestStartTLS(t *testing.T) {
	files, clientTLS := loopbackPKI(t)
	c := etcdtest.StartTLS(t, 1, files)
	for _, ep := range c.Endpoints() {
		if !strings.HasPrefix(ep, "https://127.0.0.1:") {
			t.Fatalf("endpoint %s, want https://127.0.0.1:PORT", ep)
		}
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints: c.Endpoints(), DialTimeout: 2 * time.Second, TLS: clientTLS, Logger: zap.NewNop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	key := c.Prefix(t) + "k"
	put(t, cli, key, "v")

	c.Stop(0)
	c.Restart(0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := cli.Get(ctx, key)
	if err != nil {
		t.Fatalf("read after restart: %v", err)
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v" {
		t.Errorf("after restart %s = %v, want v", key, resp.Kvs)
	}

	// Without a client certificate the member refuses the handshake.
	noCert := clientTLS.Clone()
	noCert.Certificates = nil
	addr := strings.TrimPrefix(c.Endpoints()[0], "https://")
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, noCert)
	if err == nil {
		// TLS 1.3 reports the refusal on the first read, not in the handshake.
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err = conn.Read(make([]byte, 1))
		conn.Close()
	}
	if err == nil {
		t.Error("a client without a certificate was served")
	}
}

// loopbackPKI writes a CA and a certificate it signed for 127.0.0.1, for
// servers and clients alike, and returns them as TLSFiles with client
// certificates required, and the client's TLS settings.
func loopbackPKI(t *testing.T) (etcdtest.TLSFiles, *tls.Config) {
	t.Helper()
	f := etcdtest.Certs(t, nil, []net.IP{net.IPv4(127, 0, 0, 1)})
	f.ClientCertAuth = true
	cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	pemCA, err := os.ReadFile(f.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pemCA)
	return f, &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}
