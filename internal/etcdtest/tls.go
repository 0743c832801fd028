package etcdtest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"testing"
)

// TLSFiles are the PEM files of a cluster that serves its clients over
// TLS. Peers talk plain HTTP to one another, as in Start: the client side
// is what muster sees.
type TLSFiles struct {
	CertFile string // the members' certificate (--cert-file)
	KeyFile  string // its key (--key-file)
	CAFile   string // the CA that signed it, and any client certificate (--trusted-ca-file)
	// ServerName is the name the health check expects in the members'
	// certificate. Members listen on 127.0.0.1, so a certificate that does
	// not carry that address needs its name here. Empty: 127.0.0.1.
	ServerName string
	// ClientCertAuth makes members refuse clients without a certificate
	// signed by CAFile (--client-cert-auth). The health check then
	// presents CertFile, which must allow client authentication too.
	ClientCertAuth bool
}

// StartTLS is Start for a cluster that serves its clients on https, with
// the certificate and key in files; Endpoints returns https URLs.
func StartTLS(t testing.TB, n int, files TLSFiles) *Cluster {
	t.Helper()
	return startTB(t, n, &files)
}

// flags are etcd's flags for serving clients with f.
func (f *TLSFiles) flags() []string {
	flags := []string{
		"--cert-file=" + f.CertFile,
		"--key-file=" + f.KeyFile,
		"--trusted-ca-file=" + f.CAFile,
	}
	if f.ClientCertAuth {
		flags = append(flags, "--client-cert-auth")
	}
	return flags
}

// clientConfig is the TLS configuration of the health check: it trusts
// CAFile only, expects ServerName, and presents CertFile when members
// require a client certificate.
func (f *TLSFiles) clientConfig() (*tls.Config, error) {
	if f.CertFile == "" || f.KeyFile == "" || f.CAFile == "" {
		return nil, errors.New("etcd TLS: CertFile, KeyFile and CAFile are all needed")
	}
	pem, err := os.ReadFile(f.CAFile)
	if err != nil {
		return nil, fmt.Errorf("etcd TLS: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("etcd TLS: no PEM certificate in %s", f.CAFile)
	}
	cfg := &tls.Config{RootCAs: roots, ServerName: f.ServerName, MinVersion: tls.VersionTLS12}
	if f.ServerName == "" {
		cfg.ServerName = "127.0.0.1"
	}
	if f.ClientCertAuth {
		cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("etcd TLS: client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
