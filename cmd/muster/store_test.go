package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster/config"
)

// writeCert writes a self-signed certificate and its key as PEM files.
func writeCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "etcd test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestEtcdTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeCert(t, dir)
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}

	if c, err := etcdTLS(config.EtcdTLS{}); c != nil || err != nil {
		t.Errorf("no TLS settings: got %v, %v; want plain connections", c, err)
	}
	c, err := etcdTLS(config.EtcdTLS{CAFile: cert, CertFile: cert, KeyFile: key, ServerName: "etcd.internal"})
	if err != nil {
		t.Fatalf("CA, client certificate and server name: %v", err)
	}
	if c.RootCAs == nil || len(c.Certificates) != 1 || c.ServerName != "etcd.internal" {
		t.Errorf("TLS config = roots %v, %d certificates, server name %q", c.RootCAs != nil, len(c.Certificates), c.ServerName)
	}
	for _, tc := range []struct {
		name string
		tls  config.EtcdTLS
		want string
	}{
		{"missing CA file", config.EtcdTLS{CAFile: filepath.Join(dir, "nope.pem")}, "store.etcd.tls.ca_file"},
		{"CA file without a certificate", config.EtcdTLS{CAFile: notPEM}, "no PEM certificate"},
		{"key that is not a key", config.EtcdTLS{CertFile: cert, KeyFile: notPEM}, "client certificate"},
	} {
		if _, err := etcdTLS(tc.tls); err == nil || !strings.Contains(err.Error(), tc.want) {
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
