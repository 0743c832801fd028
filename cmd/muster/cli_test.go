package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/muster-bot/muster/store"
	"github.com/muster-bot/muster/store/etcd"
)

// schemaLine is the store schema as `muster version` prints it.
var schemaLine = fmt.Sprintf("store schema %d (bbolt), %d (etcd)", store.SchemaVersion, etcd.SchemaVersion)

// runArgs runs muster with args and no environment, in an empty working
// directory, and returns the exit code, stdout and stderr.
func runArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errs bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errs, func(string) string { return "" })
	return code, out.String(), errs.String()
}

// exampleConfig is the absolute path of config.example.yaml.
func exampleConfig(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFlagsBeforeOrAfterCommand: `muster serve --config m.yaml` and
// `muster --config m.yaml serve` are the same, for every command, and a
// command's own flags mix with the global ones in any order.
func TestFlagsBeforeOrAfterCommand(t *testing.T) {
	env := func(string) string { return "" }
	for _, tt := range []struct {
		name  string
		forms [][]string
	}{
		{"serve", [][]string{
			{"--config", "m.yaml", "serve"}, {"serve", "--config", "m.yaml"}, {"serve", "--config=m.yaml"}, {"-config", "m.yaml", "serve"}}},
		{"console", [][]string{
			{"--config", "m.yaml", "--log-format", "console", "console"}, {"console", "--log-format", "console", "--config", "m.yaml"}, {"--log-format", "console", "console", "--config", "m.yaml"}}},
		{"check-config", [][]string{
			{"--config", "m.yaml", "check-config"}, {"check-config", "--config", "m.yaml"}}},
		{"simulate", [][]string{
			{"--config", "m.yaml", "simulate", "--severity", "sev1", "--for", "2h", "--updates", "0:20"},
			{"simulate", "--severity", "sev1", "--config", "m.yaml", "--for", "2h", "--updates", "0:20"},
			{"simulate", "--for", "2h", "--updates", "0:20", "--severity", "sev1", "--config", "m.yaml"},
			{"--severity", "sev1", "--for", "2h", "simulate", "--updates=0:20", "--config", "m.yaml"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var first *invocation
			for _, args := range tt.forms {
				inv, err := parseArgs(args, env)
				if err != nil {
					t.Fatalf("muster %s: %v", strings.Join(args, " "), err)
				}
				if inv.command != tt.name || inv.config != "m.yaml" || len(inv.args) != 0 {
					t.Errorf("muster %s: command %q, config %q, args %q", strings.Join(args, " "), inv.command, inv.config, inv.args)
				}
				if first == nil {
					first = inv
				} else if inv.logFormat != first.logFormat || inv.simulate != first.simulate {
					t.Errorf("muster %s reads as %+v, but %+v in the first form", strings.Join(args, " "), *inv, *first)
				}
			}
		})
	}
}

// TestCommandsTakeTheirConfigAfterTheCommand runs the commands with the
// config after the command word, which used to be "one command at a time".
func TestCommandsTakeTheirConfigAfterTheCommand(t *testing.T) {
	example := exampleConfig(t)
	t.Chdir(t.TempDir())
	if code, out, errs := runArgs(t, "check-config", "--config", example); code != 0 || !strings.Contains(out, example+": OK") {
		t.Errorf("check-config --config: exit %d\n%s%s", code, out, errs)
	}
	// serve reads the config (and then finds no chat platform in it).
	if code, _, errs := runArgs(t, "serve", "--config", example); code != 1 || !strings.Contains(errs, "no chat platform is configured") {
		t.Errorf("serve --config: exit %d, want 1 for want of a chat platform:\n%s", code, errs)
	}
	// The console with its config after the command, to the end of input.
	dir := t.TempDir()
	cfg := filepath.Join(dir, "m.yaml")
	if err := os.WriteFile(cfg, []byte("http:\n  listen: 127.0.0.1:0\nstore:\n  path: "+filepath.Join(dir, "m.db")+"\nconsole:\n  user: alice\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	code := run(context.Background(), []string{"console", "--config", cfg}, strings.NewReader("/incident declare sev2 Search is slow\n"), &out, &errs, func(string) string { return "" })
	if code != 0 || !strings.Contains(out.String(), "#inc-1-search-is-slow") {
		t.Errorf("console --config: exit %d\n%s%s", code, out.String(), errs.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "m.db")); err != nil {
		t.Errorf("the console did not use the store of --config given after the command: %v", err)
	}
}

// TestSimulateFlagsAnyOrder: the simulation is the same whichever order its
// own and the global flags come in.
func TestSimulateFlagsAnyOrder(t *testing.T) {
	example := exampleConfig(t)
	t.Chdir(t.TempDir())
	var want string
	for i, args := range [][]string{
		{"--config", example, "simulate", "--severity", "sev1", "--for", "3h", "--updates", "0:20,1:10"},
		{"simulate", "--severity", "sev1", "--config", example, "--for", "3h", "--updates", "0:20,1:10"},
		{"simulate", "--updates", "0:20,1:10", "--for", "3h", "--config", example, "--severity", "sev1"},
		{"--severity", "sev1", "simulate", "--config", example, "--for", "3h", "--updates", "0:20,1:10"},
	} {
		code, out, errs := runArgs(t, args...)
		if code != 0 {
			t.Fatalf("muster %s: exit %d: %s", strings.Join(args, " "), code, errs)
		}
		if i == 0 {
			want = out
			if !strings.Contains(out, "SEV1") {
				t.Fatalf("simulation of sev1 does not name SEV1:\n%s", out)
			}
		} else if out != want {
			t.Errorf("muster %s:\n%s\nwant, as with the flags in the first order:\n%s", strings.Join(args, " "), out, want)
		}
	}
}

// TestCommandLineMistakes: every mistake on the command line is exit 2 with
// a message about the command line, found before any config is read: the
// config paths here do not exist.
func TestCommandLineMistakes(t *testing.T) {
	t.Chdir(t.TempDir())
	missing := filepath.Join(t.TempDir(), "does-not-exist.yaml")
	all := "serve, console, check-config, simulate, drill, version, help"
	for _, tt := range []struct {
		name string
		args []string
		want []string // in stderr
	}{
		{"stray argument after serve", []string{"serve", "extra", "--config", missing}, []string{`serve takes no arguments; got "extra"`, "muster help serve"}},
		{"stray argument after the flags", []string{"--config", missing, "check-config", "now"}, []string{`check-config takes no arguments; got "now"`}},
		{"two commands", []string{"serve", "console", "--config", missing}, []string{`serve takes no arguments; got "console"`}},
		{"unknown command", []string{"frobnicate", "--config", missing}, []string{`unknown command "frobnicate"`, all}},
		{"misspelt command", []string{"serv"}, []string{`unknown command "serv" (did you mean serve?)`, all}},
		{"help on an unknown command", []string{"help", "frobnicate"}, []string{`no command "frobnicate"`, all}},
		{"unknown flag", []string{"serve", "--bogus", "--config", missing}, []string{"unknown flag --bogus", "muster help serve"}},
		{"another command's flag", []string{"serve", "--severity", "sev1", "--config", missing}, []string{"--severity is a flag of simulate, not of serve"}},
		{"a command's flag without it", []string{"--severity", "sev1"}, []string{"--severity is a flag of simulate; give the command"}},
		{"flag without its value", []string{"simulate", "--config"}, []string{"flag needs an argument: -config"}},
		{"bad duration", []string{"simulate", "--for", "soon", "--config", missing}, []string{`invalid value "soon" for flag -for`}},
		{"bad log format", []string{"serve", "--log-format", "xml", "--config", missing}, []string{`--log-format must be json or console, not "xml"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runArgs(t, tt.args...)
			if code != 2 {
				t.Errorf("muster %s: exit %d, want 2", strings.Join(tt.args, " "), code)
			}
			for _, w := range tt.want {
				if !strings.Contains(errs, w) {
					t.Errorf("muster %s: stderr lacks %q:\n%s", strings.Join(tt.args, " "), w, errs)
				}
			}
			if strings.Contains(errs, "does-not-exist") || strings.Contains(errs, "read config") {
				t.Errorf("muster %s: the config was read before the command line was checked:\n%s", strings.Join(tt.args, " "), errs)
			}
			if out != "" {
				t.Errorf("muster %s: wrote to stdout:\n%s", strings.Join(tt.args, " "), out)
			}
		})
	}
}

// TestHelp: `muster help`, `-h` and `--help` print the usage on stdout and
// exit 0; `muster help <command>` and `muster <command> -h` that command's.
func TestHelp(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, tt := range []struct {
		args []string
		want []string
		not  []string
	}{
		{[]string{"help"}, []string{"Usage: muster [command] [flags]", "serve ", "console ", "check-config ", "simulate ", "version ", "help ", "--config file", "--log-format format", "Flags go before or after the command"}, []string{"--severity"}},
		{[]string{"-h"}, []string{"Usage: muster [command] [flags]"}, nil},
		{[]string{"--help"}, []string{"Usage: muster [command] [flags]"}, nil},
		{[]string{"help", "simulate"}, []string{"Usage: muster simulate [flags]", "--severity name", "--for duration", "--updates offsets", "--ic-after duration", "Global flags:", "--config file"}, []string{"check-config "}},
		{[]string{"simulate", "--help"}, []string{"Usage: muster simulate [flags]", "--severity name"}, nil},
		{[]string{"serve", "-h", "--config", "nowhere.yaml"}, []string{"Usage: muster serve [flags]", "--config file"}, []string{"--severity"}},
		{[]string{"help", "console"}, []string{"Usage: muster console", "standard input"}, nil},
		{[]string{"help", "version"}, []string{"Usage: muster version\n"}, []string{"--config"}},
	} {
		code, out, errs := runArgs(t, tt.args...)
		if code != 0 || errs != "" {
			t.Errorf("muster %s: exit %d, stderr %q", strings.Join(tt.args, " "), code, errs)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("muster %s: usage lacks %q:\n%s", strings.Join(tt.args, " "), w, out)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(out, n) {
				t.Errorf("muster %s: usage has %q:\n%s", strings.Join(tt.args, " "), n, out)
			}
		}
	}
	// The usage lists every command there is.
	_, out, _ := runArgs(t, "help")
	for _, name := range commandNames() {
		if !strings.Contains(out, "\n  "+name+" ") {
			t.Errorf("muster help does not list %s:\n%s", name, out)
		}
	}
}

// TestVersion: `muster version` and `muster --version` print the version,
// the Go version and the store schema, and read no config.
func TestVersion(t *testing.T) {
	t.Chdir(t.TempDir())
	missing := filepath.Join(t.TempDir(), "does-not-exist.yaml")
	var outs []string
	for _, args := range [][]string{{"version"}, {"--version"}, {"version", "--config", missing}, {"serve", "--version"}} {
		code, out, errs := runArgs(t, args...)
		if code != 0 || errs != "" {
			t.Errorf("muster %s: exit %d, stderr %q", strings.Join(args, " "), code, errs)
		}
		for _, w := range []string{"muster ", runtime.Version(), schemaLine} {
			if !strings.Contains(out, w) {
				t.Errorf("muster %s: output lacks %q:\n%s", strings.Join(args, " "), w, out)
			}
		}
		outs = append(outs, out)
	}
	for _, out := range outs[1:] {
		if out != outs[0] {
			t.Errorf("the forms of version print differently: %q", outs)
		}
	}
}

func TestVersionText(t *testing.T) {
	info := func(version string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Path: "github.com/muster-bot/muster", Version: version}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	for _, tt := range []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{"release", info("v1.2.0"), true, "muster v1.2.0\nbuilt with go1.99.1 for "},
		{"checkout with a commit", info("(devel)", "vcs.revision", "075486a1234567890abcdef", "vcs.modified", "false"), true, "muster devel, commit 075486a12345\n"},
		{"checkout with changes", info("(devel)", "vcs.revision", "075486a1234567890abcdef", "vcs.modified", "true"), true, "muster devel, commit 075486a12345 with local changes\n"},
		{"checkout without vcs stamping", info("(devel)"), true, "muster devel\nbuilt with go1.99.1"},
		{"no build information", nil, false, "muster devel\nbuilt with " + runtime.Version()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := versionText(tt.info, tt.ok)
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("got:\n%s\nwant it to start with:\n%s", got, tt.want)
			}
			if !strings.HasSuffix(got, schemaLine+"\n") {
				t.Errorf("got:\n%s\nwithout the store schema last", got)
			}
		})
	}
}
