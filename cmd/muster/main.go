// Command muster runs the incident-response bot: on Slack and Teams when
// their credentials are configured, otherwise on the local console.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // time zones for working hours, also in a container without them

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/commands"
	"github.com/muster-bot/muster/config"
)

const usage = `Usage: muster [flags] [command]

Commands:
  (none)        serve on the configured chat platforms, or start the local
                console when no chat credentials are configured
  console       start the local console even when credentials are configured
  serve         serve on the configured chat platforms
  check-config  validate the configuration and exit
  simulate      print who would be reminded or escalated when, e.g.
                muster simulate --severity sev1 --for 3h --updates 0:20,1:10

Flags:
`

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
// call it with their own input, output and environment.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	flags := flag.NewFlagSet("muster", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprint(stderr, usage); flags.PrintDefaults() }
	configPath := flags.String("config", getenv("MUSTER_CONFIG"), "path of the YAML config (env MUSTER_CONFIG); empty uses the defaults")
	logFormat := flags.String("log-format", "", "json or console (overrides log.format)")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg, err := config.Load(*configPath, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "muster: %v\n", err)
		return 1
	}
	if err := commands.CheckRoles(cfg.RoleList()); err != nil {
		fmt.Fprintf(stderr, "muster: config: %s\n", muster.ErrorMessage(err))
		return 1
	}
	if *logFormat != "" {
		if *logFormat != "json" && *logFormat != "console" {
			fmt.Fprintf(stderr, "muster: --log-format must be json or console, not %q\n", *logFormat)
			return 2
		}
		cfg.Log.Format = *logFormat
	}
	mode := flags.Arg(0)
	if mode == "simulate" {
		return simulate(cfg, flags.Args()[1:], stdout, stderr)
	}
	if flags.NArg() > 1 {
		fmt.Fprintf(stderr, "muster: one command at a time, got %q\n", flags.Args())
		return 2
	}
	switch mode {
	case "check-config":
		where := *configPath
		if where == "" {
			where = "the defaults (no --config given)"
		}
		fmt.Fprintf(stdout, "%s: OK — %d severities (default %s), %d roles\n", where, len(cfg.Severities), cfg.DefaultSeverity, len(cfg.Roles))
		return 0
	case "":
		mode = "serve"
		if !cfg.SlackEnabled() && !cfg.TeamsEnabled() {
			mode = "console"
		}
	case "serve", "console":
	default:
		fmt.Fprintf(stderr, "muster: unknown command %q\n", mode)
		flags.Usage()
		return 2
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
