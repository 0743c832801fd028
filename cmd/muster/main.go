// Command muster runs the incident-response bot: on Slack and Teams when
// their credentials are configured, otherwise on the local console.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"
	_ "time/tzdata" // time zones for working hours, also in a container without them

	"github.com/muster-bot/muster/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tuneGC(os.Getenv)
	stopProfile := profileCPU(os.Getenv("MUSTER_CPU_PROFILE"), os.Stderr)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stopProfile()
	os.Exit(code)
}

// run is main without the process: it returns the exit code, so tests can
// call it with their own input, output and environment. The command line is
// read whole before the config: a mistake in it is reported as such (exit
// 2), never as whatever the config would have said.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	inv, err := parseArgs(args, getenv)
	if err != nil {
		var ue *usageError
		if !errors.As(err, &ue) {
			fmt.Fprintf(stderr, "muster: %v\n", err)
			return 2
		}
		fmt.Fprintf(stderr, "muster: %s\n", ue.msg)
		if ue.command != "" {
			fmt.Fprintf(stderr, "Run 'muster help %s' for its usage.\n", ue.command)
		} else {
			fmt.Fprintln(stderr, "Run 'muster help' for usage.")
		}
		return 2
	}
	switch inv.command {
	case "help":
		topic := ""
		if len(inv.args) > 0 {
			topic = inv.args[0]
		}
		fmt.Fprint(stdout, usageText(topic))
		return 0
	case "version":
		fmt.Fprint(stdout, versionText(debug.ReadBuildInfo()))
		return 0
	}
	cfg, err := config.Load(inv.config, getenv, checkCommands)
	if err != nil {
		fmt.Fprintf(stderr, "muster: %v\n", err)
		return 1
	}
	if inv.logFormat != "" {
		cfg.Log.Format = inv.logFormat
	}
	mode := inv.command
	switch mode {
	case "simulate":
		return simulate(cfg, inv.simulate, stdout, stderr)
	case "drill":
		err := drill(ctx, cfg, inv.args[0], Options{Stdout: stdout, Stderr: stderr, Getenv: getenv, Now: time.Now})
		if err != nil {
			fmt.Fprintf(stderr, "muster: drill: %v\n", err)
			return 1
		}
		return 0
	case "check-config":
		where := inv.config
		if where == "" {
			where = "the defaults (no --config given)"
		}
		fmt.Fprintf(stdout, "%s: OK — %d severities (default %s), %d roles\n", where, len(cfg.Severities), cfg.DefaultSeverity, len(cfg.Roles))
		// Valid for the console, which serves its pages on loopback
		// whatever http.listen says; `serve` would stop here.
		if err := cfg.PagesRefused(cfg.HTTP.Listen); err != nil {
			fmt.Fprintf(stdout, "Note: `muster serve` would refuse to start: %v\n", err)
		}
		return 0
	case "":
		mode = "serve"
		if !cfg.SlackEnabled() && !cfg.TeamsEnabled() {
			mode = "console"
		}
	}
	app, err := New(cfg, Options{Console: mode == "console", Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: getenv})
	if err != nil {
		fmt.Fprintf(stderr, "muster: %v\n", err)
		return 1
	}
	err = app.Run(ctx)
	if cerr := app.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "muster: %v\n", err)
		return 1
	}
	return 0
}
