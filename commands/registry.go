package commands

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/suggest"
)

// command is one entry of the registry: the verb, how to use it, and what
// it does. Help is generated from these, so it cannot drift from the code.
type command struct {
	name          string
	aliases       []string
	usage         string // arguments after the verb, e.g. "<sevN>"
	summary       string
	needsIncident bool
	run           func(c *Runner, ctx context.Context, r *Request) (*Outcome, error)
}

type registry struct {
	commands []*command
	byName   map[string]*command
	// help is the text of `help`, written once: it is what every unknown
	// or malformed command leads to, so it is asked for far more often
	// than the registry changes (never, after start-up).
	help string
}

func newRegistry(roles muster.Roles) *registry {
	reg := &registry{byName: map[string]*command{}}
	reg.add(&command{name: "declare", usage: "[drill] [sevN] [private] [svc:<name>,…] <title>", summary: "declare a new incident and open its war room", run: (*Runner).declare})
	for _, role := range roles {
		reg.add(&command{name: role.Key, usage: "[@user]", summary: fmt.Sprintf("make someone (you, by default) the %s", role.Name), needsIncident: true, run: (*Runner).roleShortcut})
	}
	reg.add(&command{name: "role", usage: "<" + strings.Join(roles.Keys(), "|") + "> [@user]", summary: "assign a role (to you, by default)", needsIncident: true, run: (*Runner).role})
	reg.add(&command{name: "handoff", usage: "@user", summary: "hand the Incident Commander role over", needsIncident: true, run: (*Runner).handoff})
	reg.add(&command{name: "severity", aliases: []string{"sev"}, usage: "<sevN>", summary: "change the severity; the reminder cadence follows", needsIncident: true, run: (*Runner).setSeverity})
	reg.add(&command{name: "status", usage: "<investigating|identified|mitigated|resolved>", summary: "move the incident along its lifecycle", needsIncident: true, run: (*Runner).setStatus})
	reg.add(&command{name: "mitigate", summary: "shortcut for `status mitigated`", needsIncident: true, run: (*Runner).mitigate})
	reg.add(&command{name: "started", usage: "<HH:MM|RFC 3339 time|25m ago>", summary: "when impact began (default: when it was detected)", needsIncident: true, run: (*Runner).started})
	reg.add(&command{name: "detected", usage: "<HH:MM|RFC 3339 time|25m ago>", summary: "when the first signal came (default: the declaration)", needsIncident: true, run: (*Runner).detected})
	reg.add(&command{name: "update", usage: "<text>", summary: "post a status update to the room and stakeholders; resets the reminder", needsIncident: true, run: (*Runner).statusUpdate})
	reg.add(&command{name: "public", usage: "<text> | resolution", summary: "publish a customer-facing post to the status page (no mentions); `resolution` once resolved", needsIncident: true, run: (*Runner).public})
	reg.add(&command{name: "component", usage: "<name> <operational|degraded|partial|major>", summary: "set a status-page component's state for this incident", needsIncident: true, run: (*Runner).component})
	reg.add(&command{name: "service", aliases: []string{"services"}, usage: "<name>... | remove <name>...", summary: "add affected services (their owners are invited), or remove one named by mistake", needsIncident: true, run: (*Runner).service})
	reg.add(&command{name: "page", usage: "<service> [message]", summary: "page the service's on-call now (PagerDuty, Opsgenie)", needsIncident: true, run: (*Runner).page})
	reg.add(&command{name: "note", usage: "<text>", summary: "record a key event in the timeline", needsIncident: true, run: (*Runner).note})
	reg.add(&command{name: "action", usage: "<text> [@owner] [due YYYY-MM-DD] [p0|p1|p2] | done <n>", summary: "add an action item, or mark one done", needsIncident: true, run: (*Runner).action})
	reg.add(&command{name: "resolve", usage: "[false-alarm] [summary]", summary: "resolve: stop reminders, post the postmortem draft, announce; false-alarm when nothing was wrong", needsIncident: true, run: (*Runner).resolve})
	reg.add(&command{name: "reopen", summary: "back to investigating; reminders resume", needsIncident: true, run: (*Runner).reopen})
	reg.add(&command{name: "postmortem", usage: "[owner @user | publish]", summary: "post the postmortem draft again now; name its owner; publish it (the owner or the IC)", needsIncident: true, run: (*Runner).postmortem})
	reg.add(&command{name: "snooze", usage: "<duration>", summary: "silence reminders for a while (at most twice the cadence)", needsIncident: true, run: (*Runner).snooze})
	reg.add(&command{name: "show", summary: "summary of the incident", needsIncident: true, run: (*Runner).show})
	reg.add(&command{name: "list", usage: "[open|all]", summary: "list incidents", run: (*Runner).list})
	reg.add(&command{name: "stats", usage: "[7d|30d|90d] [drills]", summary: "times to detect, declare, acknowledge, mitigate and resolve, counts by severity, and alert accuracy, over a window; `drills` reports the drills instead", run: (*Runner).stats})
	reg.add(&command{name: "help", usage: "[command]", summary: "this help, or the usage of one command", run: (*Runner).help})
	reg.help = reg.helpText()
	return reg
}

func (reg *registry) helpText() string {
	var b strings.Builder
	for _, cmd := range reg.commands {
		b.WriteString(cmd.usageLine() + " — " + cmd.summary + "\n")
	}
	b.WriteString("\nInside a war room the incident is implied; elsewhere name it first: `update INC-42 <text>`. " +
		"The Incident Commander holds every role nobody else has taken.")
	return b.String()
}

func (reg *registry) add(cmd *command) {
	reg.commands = append(reg.commands, cmd)
	for _, name := range append([]string{cmd.name}, cmd.aliases...) {
		reg.byName[name] = cmd
	}
}

func (reg *registry) lookup(verb string) (*command, bool) {
	cmd, ok := reg.byName[strings.ToLower(verb)]
	return cmd, ok
}

func (reg *registry) names() []string {
	names := make([]string, len(reg.commands))
	for i, cmd := range reg.commands {
		names[i] = cmd.name
	}
	return names
}

// unknown names the bad verb, suggests the closest one, and lists them all.
func (reg *registry) unknown(verb string) error {
	msg := fmt.Sprintf("`%s` is not a command.", verb)
	verbs := slices.Sorted(maps.Keys(reg.byName)) // sorted: ties resolve the same way every time
	if best := suggest.Closest(verb, verbs); best != "" {
		msg += fmt.Sprintf(" Did you mean `%s`?", best)
	}
	return muster.Errorf(muster.EINVALID, "%s Commands: %s. Type `help <command>` for its usage.", msg, strings.Join(reg.names(), ", "))
}

// usage is the one-line usage of cmd, for help and for malformed input.
func (cmd *command) usageLine() string {
	line := "`" + cmd.name
	if cmd.usage != "" {
		line += " " + cmd.usage
	}
	line += "`"
	if len(cmd.aliases) > 0 {
		line += " (alias `" + strings.Join(cmd.aliases, "`, `") + "`)"
	}
	return line
}

func (cmd *command) malformed(format string, args ...any) error {
	return muster.Errorf(muster.EINVALID, "%s Usage: %s", fmt.Sprintf(format, args...), cmd.usageLine())
}

// CheckRoles reports role keys that would shadow a command: each role key
// becomes a verb (`comms @alex`), so a role keyed "update" would hide the
// update command. The config cannot know the verbs; the wiring calls this.
func CheckRoles(roles muster.Roles) error {
	builtin := newRegistry(nil)
	var clashes []string
	for _, role := range roles {
		if _, ok := builtin.lookup(role.Key); ok {
			clashes = append(clashes, role.Key)
		}
	}
	if len(clashes) > 0 {
		return muster.Errorf(muster.EINVALID, "role keys %s are command names; rename them in roles[].key", strings.Join(clashes, ", "))
	}
	return nil
}
