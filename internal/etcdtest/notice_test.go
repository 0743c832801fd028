package etcdtest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// nopCloser is a terminal that is a buffer.
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// TestSkipNotice: a test binary without etcd says so once, with how to
// install it, on the terminal (which go test does not capture), or on
// stderr with -v or without a terminal.
func TestSkipNotice(t *testing.T) {
	line := skippedLine(".")
	for _, want := range []string{"etcd tests SKIPPED", "apt-get install etcd-server", "MUSTER_REQUIRE_ETCD=1 fails them instead", "MUSTER_ETCD_BIN"} {
		if !strings.Contains(line, want) {
			t.Errorf("notice %q lacks %q", line, want)
		}
	}
	if strings.Contains(line, "\n") {
		t.Errorf("notice %q is more than one line", line)
	}
	for _, tt := range []struct {
		name          string
		terminal      bool
		verbose       bool
		tty, onStderr bool
	}{
		{"terminal", true, false, true, false},
		{"terminal with -v", true, true, false, true},
		{"no terminal", false, false, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var tty, stderr bytes.Buffer
			n := &notice{stderr: &stderr, terminal: func() (io.WriteCloser, error) {
				if !tt.terminal {
					return nil, errors.New("no terminal")
				}
				return nopCloser{&tty}, nil
			}}
			for range 3 { // three skipped tests, one notice
				n.tell(line, tt.verbose)
			}
			for _, w := range []struct {
				name string
				buf  *bytes.Buffer
				want bool
			}{{"terminal", &tty, tt.tty}, {"stderr", &stderr, tt.onStderr}} {
				want := ""
				if w.want {
					want = line + "\n"
				}
				if got := w.buf.String(); got != want {
					t.Errorf("%s got %q, want %q", w.name, got, want)
				}
			}
		})
	}
}

func TestPackageOf(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "store", "etcd")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := packageOf(sub); got != "./store/etcd" {
		t.Errorf("packageOf(%s) = %q, want ./store/etcd", sub, got)
	}
	if got := packageOf(root); got != "./" {
		t.Errorf("packageOf(module root) = %q, want ./", got)
	}
}
