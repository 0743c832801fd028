package etcdtest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestFindBinary(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "etcd")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	notExe := filepath.Join(dir, "etcd.txt")
	if err := os.WriteFile(notExe, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	t.Setenv("PATH", t.TempDir()) // no etcd on PATH

	for _, tt := range []struct {
		name     string
		env      string
		fallback string
		want     string
		notFound bool // ErrNotInstalled, the error that skips
		fails    bool // another error, which never skips
	}{
		{name: "env wins over fallback", env: exe, fallback: notExe, want: exe},
		{name: "fallback", fallback: exe, want: exe},
		{name: "nothing", fallback: missing, notFound: true},
		{name: "fallback not executable", fallback: notExe, notFound: true},
		{name: "env missing fails, no fallback", env: missing, fallback: exe, fails: true},
		{name: "env not executable fails", env: notExe, fallback: exe, fails: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == binEnv {
					return tt.env
				}
				return ""
			}
			got, err := findBinary(getenv, tt.fallback)
			switch {
			case tt.notFound:
				if !errors.Is(err, ErrNotInstalled) {
					t.Errorf("got %q, %v; want ErrNotInstalled", got, err)
				}
			case tt.fails:
				if err == nil || errors.Is(err, ErrNotInstalled) {
					t.Errorf("got %q, %v; want an error other than ErrNotInstalled", got, err)
				}
			case err != nil || got != tt.want:
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestEnvironDropsEtcdFlags(t *testing.T) {
	got := environ([]string{"HOME=/root", "ETCD_DATA_DIR=/var/lib/etcd", "ETCD_UNSUPPORTED_ARCH=arm", "ETCDCTL_API=3"})
	want := []string{"HOME=/root", "ETCD_UNSUPPORTED_ARCH=arm", "ETCDCTL_API=3"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}
