package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/muster-bot/muster/config"
)

// readme returns README.md.
func readme(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// envNames lists the environment variables config reads (its env tags).
func envNames(v reflect.Type) []string {
	var out []string
	for i := range v.NumField() {
		f := v.Field(i)
		if name := f.Tag.Get("env"); name != "" {
			out = append(out, name)
		}
		if f.Type.Kind() == reflect.Struct {
			out = append(out, envNames(f.Type)...)
		}
	}
	return out
}

// TestReadmeListsEveryEnvironmentVariable: the README's table of secrets
// has a row for every variable the config reads.
func TestReadmeListsEveryEnvironmentVariable(t *testing.T) {
	text := readme(t)
	names := envNames(reflect.TypeFor[config.Config]())
	if len(names) < 10 {
		t.Fatalf("found only %q in config's env tags", names)
	}
	for _, name := range names {
		if !strings.Contains(text, "\n| `"+name+"` |") {
			t.Errorf("README.md has no table row for %s", name)
		}
	}
}

// shellCommands returns the commands of the README's ```sh blocks, with
// continued lines joined and comments removed.
func shellCommands(text string) []string {
	var cmds []string
	in, cont := false, ""
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			in = trimmed == "```sh"
			continue
		}
		if !in {
			continue
		}
		if before, _, ok := strings.Cut(trimmed, " #"); ok {
			trimmed = strings.TrimSpace(before)
		}
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cont += strings.TrimSuffix(trimmed, "\\") + " "
			continue
		}
		if c := cont + trimmed; c != "" {
			cmds = append(cmds, c)
		}
		cont = ""
	}
	return cmds
}

// TestReadmeCommandsWork runs every muster command of the README's shell
// blocks as written, in a directory holding muster.yaml copied from
// config.example.yaml as the README says: each must read as a command line,
// and those that need no chat workspace must run and exit 0. Commands that
// serve a chat platform are only read, since they need real credentials.
func TestReadmeCommandsWork(t *testing.T) {
	text := readme(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range []string{"config.example.yaml", "demo.yaml", "examples/drills/checkout-outage.yaml"} {
		raw, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	var ran, read int
	for _, line := range shellCommands(text) {
		fields := strings.Fields(line)
		var args []string
		switch {
		case strings.HasPrefix(line, "cp config.example.yaml muster.yaml"):
			raw, _ := os.ReadFile("config.example.yaml")
			if err := os.WriteFile("muster.yaml", raw, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		case strings.HasPrefix(line, "go run ./cmd/muster-load"), strings.HasPrefix(line, "go build"):
			continue
		case strings.HasPrefix(line, "go run ./cmd/muster"):
			args = fields[3:]
		case fields[0] == "./muster":
			args = fields[1:]
		case strings.HasPrefix(line, "docker run "):
			i := -1 // the image: the last word muster, after --name muster
			for j, f := range fields {
				if f == "muster" {
					i = j
				}
			}
			if i < 0 {
				t.Errorf("README: %q runs no image named muster", line)
				continue
			}
			args = fields[i+1:]
		default:
			continue
		}
		stdin := ""
		if i := slices.Index(args, "<"); i >= 0 {
			raw, err := os.ReadFile(filepath.Join(root, args[i+1]))
			if err != nil {
				t.Errorf("README: %q: %v", line, err)
				continue
			}
			stdin, args = string(raw), args[:i]
		}
		inv, err := parseArgs(args, func(string) string { return "" })
		if err != nil {
			t.Errorf("README: %q: %v", line, err)
			continue
		}
		read++
		if inv.command == "serve" || strings.HasPrefix(line, "docker ") {
			continue
		}
		var out, errs bytes.Buffer
		if code := run(context.Background(), args, strings.NewReader(stdin), &out, &errs, func(string) string { return "" }); code != 0 {
			t.Errorf("README: %q: exit %d\n%s", line, code, errs.String())
		}
		ran++
	}
	if read < 8 || ran < 6 {
		t.Errorf("read %d muster commands in README.md and ran %d; the test no longer finds them", read, ran)
	}
}

// TestReadmeFirstIncident plays the README's first incident on the
// console, as a newcomer would type it, with the share channel the
// README names: it ends with the review invite, the owner's reminder and
// the published postmortem shared.
func TestReadmeFirstIncident(t *testing.T) {
	text := readme(t)
	i := strings.Index(text, "A first incident, line by line")
	if i < 0 {
		t.Fatal("README.md has no first incident")
	}
	block := text[i:]
	start := strings.Index(block, "```text\n")
	if start < 0 {
		t.Fatal("README.md's first incident has no ```text block")
	}
	block = block[start+len("```text\n"):]
	block = block[:strings.Index(block, "```")]

	dir := t.TempDir()
	cfg := filepath.Join(dir, "muster.yaml")
	raw := "postmortem: {share_channel: postmortems}\nhttp: {listen: \"127.0.0.1:0\"}\nstore: {path: " + filepath.Join(dir, "muster.db") + "}\n"
	if err := os.WriteFile(cfg, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"console", "--config", cfg}, strings.NewReader(block), &out, &errs, func(string) string { return "" }); code != 0 {
		t.Fatalf("exit %d\n%s", code, errs.String())
	}
	got := out.String()
	for _, want := range []string{
		"📅 Postmortem review of INC-1",
		"INC-1-review.ics",
		"📝 @alice the postmortem of INC-1 is still a draft",
		"📘 Postmortem of INC-1 published by @alice",
		"[#postmortems] muster: 📘 Postmortem: INC-1 · Checkout is returning 500s",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the README's first incident printed no %q", want)
		}
	}
}
