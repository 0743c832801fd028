package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConsoleLogFormatHasNoColourInFiles: --log-format console writes
// plain text where its output is not a terminal (a file, a pipe, a
// buffer), so that a log file holds no colour codes.
func TestConsoleLogFormatHasNoColourInFiles(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Log.Format = "console"
	file, err := os.Create(filepath.Join(t.TempDir(), "muster.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var buf bytes.Buffer
	for _, w := range []io.Writer{&buf, file} {
		log := newLogger(cfg, Options{Stderr: w})
		log.Info().Str("incident", "INC-1").Msg("declared")
	}
	written, err := os.ReadFile(file.Name())
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]string{"a buffer": buf.String(), "a file": string(written)} {
		if !strings.Contains(got, "declared") || !strings.Contains(got, "incident=INC-1") {
			t.Errorf("console log to %s = %q, want the message and its field", name, got)
		}
		if strings.Contains(got, "\x1b[") {
			t.Errorf("console log to %s has colour codes: %q", name, got)
		}
	}
}
