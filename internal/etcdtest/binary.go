package etcdtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

const (
	binEnv      = "MUSTER_ETCD_BIN"
	requireEnv  = "MUSTER_REQUIRE_ETCD"
	defaultPath = "/usr/bin/etcd"
)

// ErrNotInstalled is returned by StartMain when no etcd binary is found.
var ErrNotInstalled = errors.New("no etcd binary: install one with `apt-get install etcd-server`, or set " + binEnv + " to its path")

// findBinary returns the etcd to run: $MUSTER_ETCD_BIN, else etcd on PATH,
// else fallback. A MUSTER_ETCD_BIN that is not an executable is an error of
// its own, not ErrNotInstalled: whoever set it wants that etcd, and a
// skipped test would hide the typo.
func findBinary(getenv func(string) string, fallback string) (string, error) {
	if bin := getenv(binEnv); bin != "" {
		if err := executable(bin); err != nil {
			return "", fmt.Errorf("%s=%s: %w", binEnv, bin, err)
		}
		return bin, nil
	}
	if bin, err := exec.LookPath("etcd"); err == nil {
		return bin, nil
	}
	if executable(fallback) == nil {
		return fallback, nil
	}
	return "", ErrNotInstalled
}

func executable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("not an executable file")
	}
	return nil
}
