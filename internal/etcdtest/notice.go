package etcdtest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// skipNotice says once per test binary that its etcd tests were skipped.
// t.Skip alone is silent: `go test ./...` shows a passing package's output
// only with -v, so a machine without etcd would pass the high-availability
// tests without a word. The notice goes to the terminal, which the go
// command does not capture; without one (CI, a pipe from a script that has
// no terminal) to stderr, which -v and a failing package show. Package
// state because "once per test binary" is the point.
var skipNotice = &notice{terminal: openTerminal, stderr: os.Stderr}

// notice writes one line, once.
type notice struct {
	once     sync.Once
	terminal func() (io.WriteCloser, error)
	stderr   io.Writer
}

// tell writes line, the first time only: to the terminal unless verbose
// (with -v, stderr is shown, and the terminal would show it twice).
func (n *notice) tell(line string, verbose bool) {
	n.once.Do(func() {
		if !verbose {
			if tty, err := n.terminal(); err == nil {
				defer tty.Close()
				fmt.Fprintln(tty, line)
				return
			}
		}
		fmt.Fprintln(n.stderr, line)
	})
}

func openTerminal() (io.WriteCloser, error) {
	return os.OpenFile("/dev/tty", os.O_WRONLY, 0)
}

// skippedLine is the notice for the tests of the package in dir.
func skippedLine(dir string) string {
	return fmt.Sprintf("etcdtest: %s: etcd tests SKIPPED, no etcd binary found; install one with `apt-get install etcd-server` (or set %s to its path). %s=1 fails them instead.", packageOf(dir), binEnv, requireEnv)
}

// packageOf names the package whose tests run in dir (the go command runs
// a test binary in its package's directory): its path in the module, or
// dir itself outside one.
func packageOf(dir string) string {
	for root := dir; ; {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			rel, err := filepath.Rel(root, dir)
			if err != nil || rel == "." {
				return "./"
			}
			return "./" + filepath.ToSlash(rel)
		}
		parent := filepath.Dir(root)
		if parent == root {
			return dir
		}
		root = parent
	}
}

// noteSkipped tells, once, that the etcd tests of this binary are skipped.
func noteSkipped(verbose bool) {
	dir, err := os.Getwd()
	if err != nil {
		dir = "this package"
	}
	skipNotice.tell(skippedLine(dir), verbose)
}
