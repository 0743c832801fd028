package main

// A damaged or busy store stops the real binary at start-up with exit 1
// and one line naming the file, what is wrong and what to do: no crash,
// no goroutine dump.

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	bolt "go.etcd.io/bbolt"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/config"
	"github.com/muster-bot/muster/store"
)

// runToExit runs `muster serve` on h's store and returns its exit code and
// output, for a process expected to stop by itself at start-up.
func (h *musterHost) runToExit() (int, string) {
	t := h.t
	t.Helper()
	cfg := fmt.Sprintf("http:\n  listen: 127.0.0.1:%d\nstore:\n  path: %s\n", freePort(t), h.storePath)
	cfgPath := filepath.Join(h.dir, "exit.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.bin, "serve")
	cmd.Env = []string{"SLACK_BOT_TOKEN=xoxb-test", "SLACK_SIGNING_SECRET=" + procSecret, "SLACK_API_URL=" + h.slackAPIURL(), "MUSTER_CONFIG=" + cfgPath}
	// A muster that hangs is asked for its goroutines, to say where.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGQUIT) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("muster did not stop in 20s:\n%s", out)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, string(out)
}

// fillStore writes incidents with timelines into the store at path and,
// as a schema 5 muster crashing would have, leaves n more messages of the
// last one in its message log alone (the format is in
// store/migrate5to6.go), the file marked schema 5.
func fillStore(t *testing.T, path string, logged int) {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	var inc *muster.Incident
	for i := range 4 {
		var first muster.Entry
		inc, first, _ = muster.NewIncident(fmt.Sprintf("Incident %d", i), muster.DefaultSeverities()[1], false, "UALICE", now)
		if err := db.Create(ctx, inc, first); err != nil {
			t.Fatal(err)
		}
		for j := range 60 {
			e := muster.Entry{Kind: muster.EntryMessage, At: now, Actor: "UALICE", Text: strings.Repeat("words ", 20), MessageID: fmt.Sprintf("%d.%d", i, j)}
			if _, _, err := db.Append(ctx, inc.ID, "", e); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if logged == 0 {
		return
	}
	var log []byte
	for j := range logged {
		e := muster.Entry{Seq: 62 + j, Kind: muster.EntryMessage, At: now, Actor: "UALICE", Text: fmt.Sprint("late ", j), MessageID: fmt.Sprintf("late.%d", j)}
		js, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		p := append(binary.BigEndian.AppendUint64(nil, uint64(inc.ID)), js...)
		log = binary.BigEndian.AppendUint32(log, uint32(len(p)))
		log = binary.BigEndian.AppendUint32(log, crc32.Checksum(p, crc32.MakeTable(crc32.Castagnoli)))
		log = append(log, p...)
	}
	if err := os.WriteFile(path+".wal", append(log, make([]byte, 4096)...), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint64(nil, 5))
	}); err != nil {
		t.Fatal(err)
	}
}

func TestDamagedStoreStopsStartUp(t *testing.T) {
	h := newMusterHost(t, "")
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
		want   []string
	}{
		{"truncated", func(t *testing.T, path string) {
			if err := os.Truncate(path, 3*4096); err != nil {
				t.Fatal(err)
			}
		}, []string{"is damaged: file is 12288 bytes but its header says", "restore it from a backup"}},
		{"pages overwritten", func(t *testing.T, path string) {
			// Every page after the two headers: which pages a start-up
			// reads depends on how the writes were batched, so damage
			// to a few of them may go unnoticed until they are read.
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			overwrite(t, path, 2*4096, make([]byte, fi.Size()-2*4096), 0xA5)
		}, []string{"is damaged", "restore it from a backup"}},
		{"root page overwritten", func(t *testing.T, path string) {
			// The root bucket's page, named by the newer header: its page
			// header is kept, so bbolt follows the garbage after it.
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			root := func(off int) (uint64, uint64) {
				m := b[off+16:]
				return binary.NativeEndian.Uint64(m[16:]), binary.NativeEndian.Uint64(m[48:]) // root page, txid
			}
			r0, tx0 := root(0)
			r1, tx1 := root(4096)
			if tx1 > tx0 {
				r0 = r1
			}
			overwrite(t, path, int64(r0)*4096+16, make([]byte, 4096-16), 0xA5)
		}, []string{"is damaged: reading it failed", "restore it from a backup"}},
		{"log record damaged in the middle", func(t *testing.T, path string) {
			b, err := os.ReadFile(path + ".wal")
			if err != nil {
				t.Fatal(err)
			}
			off := 0
			for range 4 { // the fifth of twenty records
				off += 8 + int(binary.BigEndian.Uint32(b[off:]))
			}
			overwrite(t, path+".wal", int64(off+20), []byte{'#'}, 0)
		}, []string{".wal is damaged", "15 acknowledged messages", "aside"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.storePath = filepath.Join(t.TempDir(), "data", "muster.db")
			fillStore(t, h.storePath, 20)
			tc.damage(t, h.storePath)
			code, out := h.runToExit()
			t.Logf("exit %d: %s", code, out)
			if code != 1 || !strings.Contains(out, h.storePath) {
				t.Errorf("exit %d, output:\n%s\nwant exit 1 and the store's path", code, out)
			}
			for _, s := range tc.want {
				if !strings.Contains(out, s) {
					t.Errorf("output does not say %q:\n%s", s, out)
				}
			}
			for _, s := range []string{"goroutine", "SIGBUS", "SIGSEGV", "panic"} {
				if strings.Contains(out, s) {
					t.Errorf("output holds %q:\n%s", s, out)
				}
			}
		})
	}
}

// TestStoreInUse: a second muster on the store of a running one says who
// holds the file, and exits 1.
func TestStoreInUse(t *testing.T) {
	h := newMusterHost(t, "")
	h.start()
	code, out := h.runToExit()
	want := "store " + h.storePath + " is in use by another muster process (bbolt file lock); stop it or use another store.path"
	if code != 1 || !strings.Contains(out, want) {
		t.Errorf("exit %d, output:\n%s\nwant exit 1 and %q", code, out, want)
	}
}

// overwrite writes b into the file at path from off; a non-zero fill
// fills b with it first.
func overwrite(t *testing.T, path string, off int64, b []byte, fill byte) {
	t.Helper()
	if fill != 0 {
		for i := range b {
			b[i] = fill
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// TestTornLogIsLogged: a message log whose last record a crash cut short
// starts, and says at warn level how many records it dropped.
func TestTornLogIsLogged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "muster.db")
	fillStore(t, path, 20)
	b, err := os.ReadFile(path + ".wal")
	if err != nil {
		t.Fatal(err)
	}
	off := 0
	for range 19 { // the last of twenty records
		off += 8 + int(binary.BigEndian.Uint32(b[off:]))
	}
	overwrite(t, path+".wal", int64(off+20), []byte{'#'}, 0)
	logs := &lockedBuffer{}
	db, _, err := openStore(context.Background(), config.Store{Path: path}, zerolog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	out := logs.String()
	if !strings.Contains(out, `"level":"warn"`) || !strings.Contains(out, `"records":1`) || !strings.Contains(out, path+".wal") {
		t.Errorf("no warning with the count of dropped records:\n%s", out)
	}
}
