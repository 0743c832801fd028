package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/muster-bot/muster/internal/suggest"
)

// invocation is a command line, read: the command, its arguments and every
// flag's value.
type invocation struct {
	command   string   // "" when none was given
	args      []string // after the command; only help takes one
	config    string
	logFormat string
	version   bool // --version
	help      bool // -h or --help
	simulate  simulateOptions
}

// command is one of muster's commands, as the usage text shows it.
type command struct {
	name     string
	synopsis string // what follows the name in "Usage: muster <name> …"
	summary  string // one line for the list of commands
	about    string // what `muster help <name>` adds to the summary
	maxArgs  int
	flags    func(*flag.FlagSet, *invocation) // its own flags; nil for none
}

// subcommands are muster's commands, in the order the usage lists them.
var subcommands = []command{
	{name: "serve", synopsis: "[flags]", summary: "serve on the configured chat platforms (Slack, Teams)",
		about: "Refuses to start when no chat platform's credentials are set, rather than\nfalling back to the local console. Stops cleanly on SIGTERM or Ctrl-C."},
	{name: "console", synopsis: "[flags] [< script]", summary: "start the local console, even when chat credentials are set",
		about: "Reads lines from standard input, typed or piped: /incident commands,\n:controls (:help lists them) and messages. Exits at the end of the input."},
	{name: "check-config", synopsis: "[flags]", summary: "validate the configuration and exit",
		about: "Reports every unknown key and bad value with its file and line, and exits 1\nif there is one."},
	{name: "simulate", synopsis: "[flags]", summary: "print who would be reminded or escalated when during an incident",
		about: "A dry run of an incident's reminders, from the config and the real reminder\nlogic. Example:\n\n  muster simulate --config muster.yaml --severity sev1 --for 3h --updates 0:20,1:10",
		flags: func(fs *flag.FlagSet, inv *invocation) { inv.simulate.register(fs) }},
	{name: "drill", synopsis: "[flags] <scenario.yaml>", summary: "play a scripted game day on the console and print its postmortem and cadence record",
		about: "Runs the console in this process with a store of its own (removed at the end),\nno webhooks and no digest, and feeds it the scenario's steps: say (a line as\nsomeone), wait (time passes on the drill's clock, with every reminder it\nbrings), alert (as POST /hooks/alert would) and expect (text the console must\nhave printed; the run fails without it). A scenario declares drills only.\nExample:\n\n  muster drill --config muster.yaml examples/drills/checkout-outage.yaml", maxArgs: 1},
	{name: "version", synopsis: "", summary: "print the version, the Go version and the store schema"},
	{name: "help", synopsis: "[command]", summary: "print the usage, or one command's: muster help simulate", maxArgs: 1},
}

// commandNames lists the commands' names.
func commandNames() []string {
	names := make([]string, len(subcommands))
	for i, c := range subcommands {
		names[i] = c.name
	}
	return names
}

// findCommand returns the command called name.
func findCommand(name string) (command, bool) {
	for _, c := range subcommands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// globalFlags are the flags of every command.
func globalFlags(fs *flag.FlagSet, inv *invocation, getenv func(string) string) {
	fs.StringVar(&inv.config, "config", getenv("MUSTER_CONFIG"), "path of the YAML `file` to read (env MUSTER_CONFIG); without one, the defaults")
	fs.StringVar(&inv.logFormat, "log-format", "", "log `format`: json, or console (for people to read); overrides log.format")
	fs.BoolVar(&inv.version, "version", false, "print the version and exit, as the version command does")
}

// usageError is a mistake on the command line: exit code 2.
type usageError struct {
	msg     string
	command string // whose usage to point at; "" for muster's
}

func (e *usageError) Error() string { return e.msg }

// parseArgs reads a command line. Flags go before or after the command, in
// any order, so that `muster serve --config m.yaml` and
// `muster --config m.yaml serve` are the same. A help request is returned
// as the help command; every mistake is a *usageError.
func parseArgs(args []string, getenv func(string) string) (*invocation, error) {
	name := findCommandWord(args, getenv)
	cmd, ok := findCommand(name)
	if name != "" && !ok {
		msg := fmt.Sprintf("unknown command %q", name)
		if s := suggest.Closest(name, commandNames()); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		return nil, &usageError{msg: msg + "; the commands are " + strings.Join(commandNames(), ", ")}
	}
	inv := &invocation{command: name}
	fs := newFlagSet(name)
	globalFlags(fs, inv, getenv)
	if cmd.flags != nil {
		cmd.flags(fs, inv)
	}
	positional, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		inv.help = true
	} else if err != nil {
		return nil, &usageError{msg: flagMistake(err, name), command: name}
	}
	if name != "" {
		positional = positional[1:] // the command word itself
	}
	inv.args = positional
	switch {
	case inv.help:
		inv.args, inv.command = nil, "help"
		if name != "" && name != "help" {
			inv.args = []string{name}
		}
	case inv.version:
		inv.command, inv.args = "version", nil
	}
	if final, _ := findCommand(inv.command); len(inv.args) > final.maxArgs {
		what := inv.command + " takes no arguments"
		if final.maxArgs > 0 {
			what = inv.command + " takes one argument"
		}
		return nil, &usageError{msg: fmt.Sprintf("%s; got %q", what, strings.Join(inv.args, " ")), command: inv.command}
	}
	if inv.command == "drill" && len(inv.args) == 0 {
		return nil, &usageError{msg: "drill needs a scenario file, e.g. muster drill examples/drills/checkout-outage.yaml", command: "drill"}
	}
	if inv.command == "help" && len(inv.args) == 1 {
		if _, ok := findCommand(inv.args[0]); !ok {
			return nil, &usageError{msg: fmt.Sprintf("no command %q to help with; the commands are %s", inv.args[0], strings.Join(commandNames(), ", "))}
		}
	}
	if f := inv.logFormat; f != "" && f != "json" && f != "console" {
		return nil, &usageError{msg: fmt.Sprintf("--log-format must be json or console, not %q", f), command: name}
	}
	return inv, nil
}

// findCommandWord returns the first argument that is not a flag or a
// flag's value, knowing every command's flags, so that a command's own
// flags may come before the command too.
func findCommandWord(args []string, getenv func(string) string) string {
	var all invocation
	fs := newFlagSet("")
	globalFlags(fs, &all, getenv)
	for _, c := range subcommands {
		if c.flags == nil {
			continue
		}
		// Through a set of its own: two commands may share a flag's name,
		// which defining it twice on fs would not allow.
		own := newFlagSet(c.name)
		c.flags(own, &all)
		own.VisitAll(func(f *flag.Flag) {
			if fs.Lookup(f.Name) == nil {
				fs.Var(f.Value, f.Name, f.Usage)
			}
		})
	}
	// A mistake is left to the full parse, which reports it in the
	// command's terms.
	positional, _ := parseFlags(fs, args)
	if len(positional) == 0 {
		return ""
	}
	return positional[0]
}

// newFlagSet returns a flag set that leaves the reporting of mistakes to
// its caller.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(strings.TrimSpace("muster "+name), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses flags wherever they are among args and returns the
// other arguments, in order. Everything after "--" is an argument.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return positional, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// flagMistake rewords the flag package's error for the command line's
// user: a flag of another command is named as such.
func flagMistake(err error, name string) string {
	msg := err.Error()
	undefined, ok := strings.CutPrefix(msg, "flag provided but not defined: -")
	if !ok {
		return msg
	}
	undefined = strings.TrimPrefix(undefined, "-")
	for _, c := range subcommands {
		if c.flags == nil || c.name == name {
			continue
		}
		var probe invocation
		fs := newFlagSet(c.name)
		c.flags(fs, &probe)
		if fs.Lookup(undefined) != nil {
			if name == "" {
				return fmt.Sprintf("--%s is a flag of %s; give the command: muster %s --%s …", undefined, c.name, c.name, undefined)
			}
			return fmt.Sprintf("--%s is a flag of %s, not of %s", undefined, c.name, name)
		}
	}
	return "unknown flag --" + undefined
}

// usageText is muster's usage, or one command's when name is not "".
func usageText(name string) string {
	var b strings.Builder
	var inv invocation
	global := newFlagSet("")
	globalFlags(global, &inv, func(string) string { return "" })
	cmd, ok := findCommand(name)
	if !ok {
		b.WriteString("Usage: muster [command] [flags]\n\n" +
			"muster is an incident-response bot for Slack and Microsoft Teams, with a\n" +
			"local console to try it on. Flags go before or after the command.\n\nCommands:\n")
		w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintf(w, "  (none)\tserve when chat credentials are set, else start the console\n")
		for _, c := range subcommands {
			fmt.Fprintf(w, "  %s\t%s\n", c.name, c.summary)
		}
		w.Flush()
		b.WriteString("\nFlags:\n")
		writeFlags(&b, global)
		b.WriteString("\nRun 'muster help <command>' for a command's own flags and details.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "Usage: muster %s", cmd.name)
	if cmd.synopsis != "" {
		b.WriteString(" " + cmd.synopsis)
	}
	fmt.Fprintf(&b, "\n\n%s%s.\n", strings.ToUpper(cmd.summary[:1]), cmd.summary[1:])
	if cmd.about != "" {
		b.WriteString("\n" + cmd.about + "\n")
	}
	if cmd.flags != nil {
		own := newFlagSet(cmd.name)
		cmd.flags(own, &inv)
		b.WriteString("\nFlags:\n")
		writeFlags(&b, own)
		b.WriteString("\nGlobal flags:\n")
	} else if cmd.name != "help" && cmd.name != "version" {
		b.WriteString("\nFlags:\n")
	}
	if cmd.name != "help" && cmd.name != "version" {
		writeFlags(&b, global)
	}
	return b.String()
}

// writeFlags lists a flag set's flags as --name value  usage (default).
func writeFlags(w io.Writer, fs *flag.FlagSet) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fs.VisitAll(func(f *flag.Flag) {
		value, usage := flag.UnquoteUsage(f)
		if value != "" {
			value = " " + value
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0s" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(tw, "  --%s%s\t%s\n", f.Name, value, usage)
	})
	tw.Flush()
}
