package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/config"
)

// simulateOptions are the flags of `muster simulate`.
type simulateOptions struct {
	severity string // "": the config's default_severity
	length   time.Duration
	updates  string
	icAfter  time.Duration
	services string // "checkout,payments": the incident's services
}

// register defines the flags on fs, which also holds the global ones: a
// flag of either kind goes anywhere on the command line.
func (o *simulateOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.severity, "severity", "", "the incident's severity `name` (default: the config's default_severity)")
	fs.DurationVar(&o.length, "for", 3*time.Hour, "how long the incident lasts")
	fs.StringVar(&o.updates, "updates", "", "when status updates are posted, as `offsets` from the declaration: 0:20,1:10 or 20m,1h10m")
	fs.DurationVar(&o.icAfter, "ic-after", 0, "when someone takes the Incident Commander role; negative: never")
	fs.StringVar(&o.services, "services", "", "the incident's services, `names` of the catalog (checkout,payments): shows whom declaring would page")
}

// simulate prints, from the real config and the real reminder logic, who
// would be reminded or escalated when during an incident: a dry run of the
// cadence before an incident tests it.
//
//	muster simulate --severity sev1 --for 3h --updates 0:20,1:10 [--ic-after 10m] [--services checkout]
func simulate(cfg *config.Config, opts simulateOptions, stdout, stderr io.Writer) int {
	sevName := opts.severity
	if sevName == "" {
		sevName = cfg.DefaultSeverity
	}
	ladder := cfg.SeverityLadder()
	sev, _, ok := ladder.Find(sevName)
	if !ok {
		fmt.Fprintf(stderr, "muster simulate: %q is not a severity; choose one of %s\n", sevName, strings.Join(ladder.Names(), ", "))
		return 2
	}
	if opts.length <= 0 || opts.length > 30*24*time.Hour {
		fmt.Fprintf(stderr, "muster simulate: --for must be between 1s and 30 days\n")
		return 2
	}
	at, err := offsets(opts.updates)
	if err != nil {
		fmt.Fprintf(stderr, "muster simulate: --updates: %v\n", err)
		return 2
	}
	catalog := cfg.ServiceCatalog(nil)
	var services muster.Services
	if opts.services != "" {
		names, err := catalog.Lookup(strings.Split(opts.services, ","))
		if err != nil {
			fmt.Fprintf(stderr, "muster simulate: --services: %s\n", muster.ErrorMessage(err))
			return 2
		}
		for _, name := range names {
			svc, _ := catalog.Find(name)
			services = append(services, svc)
		}
	}
	out := simulation(cfg, sev, opts.length, at, opts.icAfter)
	if opts.services != "" {
		// The paging line goes right after the declaration, its moment.
		head, rest, _ := strings.Cut(out, "\n")
		first, rest, _ := strings.Cut(rest, "\n")
		out = head + "\n" + first + "\n" + wouldPage(ladder, sev, services, cfg.Reminders.Tick.Duration) + "\n" + rest
	}
	fmt.Fprintln(stdout, out)
	return 0
}

// wouldPage says whom declaring an incident of sev affecting services
// would page, and when: the leader sends the page at its next check, and
// retries a failing one until pageGiveUp; a severity that does not page
// names the upgrade that would.
func wouldPage(ladder muster.Severities, sev muster.Severity, services muster.Services, tick time.Duration) string {
	if !sev.Page {
		upgrade := ""
		for _, s := range ladder {
			if s.Page {
				upgrade = s.Name
			}
		}
		if upgrade == "" {
			return fmt.Sprintf("  0:00  pages nobody: %s has page: false (no severity pages; `page <service>` still does)", sev.Name)
		}
		return fmt.Sprintf("  0:00  pages nobody: %s has page: false (an upgrade to %s would, and `page <service>` does)", sev.Name, upgrade)
	}
	var parts []string
	for _, svc := range services {
		var how []string
		if pd := svc.PagerDuty; pd != nil {
			how = append(how, fmt.Sprintf("PagerDuty (%s, escalation policy %s)", sev.PagerDutySeverity, cmp.Or(pd.EscalationPolicy, "none given")))
		}
		if og := svc.Opsgenie; og != nil {
			how = append(how, fmt.Sprintf("Opsgenie (team %s)", og.Team))
		}
		if len(how) == 0 {
			how = append(how, "nobody: no pagerduty or opsgenie configured")
		}
		parts = append(parts, svc.Name+" through "+strings.Join(how, " and "))
	}
	return "  0:00  would page the on-call of " + strings.Join(parts, "; ") +
		fmt.Sprintf("\n        (within %s, at the next check; who is on call is invited; a failing page is retried until 0:%02d, then given up; resolving resolves it)",
			muster.FormatDuration(tick), pageGiveUpMinutes)
}

// pageGiveUpMinutes is how long the bot retries a page (bot.pageGiveUp).
const pageGiveUpMinutes = 15

// simulation steps through the incident at the scheduler's tick.
func simulation(cfg *config.Config, sev muster.Severity, length time.Duration, updates []time.Duration, icAfter time.Duration) string {
	var b strings.Builder
	cadence := "no update reminders"
	if sev.UpdateEvery > 0 {
		cadence = fmt.Sprintf("an update every %s, escalation after %d unanswered reminders", muster.FormatDuration(sev.UpdateEvery), max(sev.EscalateAfter, 1))
	}
	fmt.Fprintf(&b, "%s (%s) for %s, checked every %s:\n", sev.Name, cadence, muster.FormatDuration(length), muster.FormatDuration(cfg.Reminders.Tick.Duration))
	t0 := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	inc, _, _ := muster.NewIncident("Simulated incident", sev, false, "declarer", t0)
	line := func(at time.Time, format string, args ...any) {
		d := at.Sub(t0)
		fmt.Fprintf(&b, "  %d:%02d  %s\n", int(d.Hours()), int(d.Minutes())%60, fmt.Sprintf(format, args...))
	}
	line(t0, "declared")
	next := 0
	tick := cfg.Reminders.Tick.Duration
	for now := t0; !now.After(t0.Add(length)); now = now.Add(tick) {
		if icAfter >= 0 && inc.Roles[muster.RoleIC] == "" && !now.Before(t0.Add(icAfter)) {
			inc.Roles = map[string]string{muster.RoleIC: "ic"}
			line(now, "the Incident Commander takes the role")
		}
		for next < len(updates) && !now.Before(t0.Add(updates[next])) {
			inc.PostUpdate("update", "comms", now)
			line(now, "status update posted")
			next++
		}
		for _, nag := range bot.Due(inc, sev, cfg.Reminders.NoICAfter.Duration, now) {
			since := muster.FormatDuration(now.Sub(inc.Reminder.LastUpdate))
			switch nag {
			case bot.NagNoIC:
				line(now, "👤 reminder to the declarer: nobody is Incident Commander yet")
			case bot.NagUpdate:
				line(now, "⏰ reminder to %s: no update for %s", who(inc), since)
			case bot.NagEscalate:
				to := "the IC and " + who(inc)
				if inc.Roles["comms"] == "" {
					to = "the IC"
				}
				line(now, "🚨 escalation to %s, noted in the announcement channel: no update for %s", to, since)
			}
			bot.Claim(inc, sev, nag, now)
		}
	}
	line(t0.Add(length), "resolved: reminders stop")
	return strings.TrimRight(b.String(), "\n")
}

// who is reminded: the Comms lead, the IC while nobody took Comms, the
// declarer while nobody took any role.
func who(inc *muster.Incident) string {
	switch {
	case inc.Roles["comms"] != "":
		return "the Comms lead"
	case inc.Roles[muster.RoleIC] != "":
		return "the IC (who holds Comms)"
	}
	return "the declarer"
}

// offsets reads "0:20,1:10" or "20m,1h10m".
func offsets(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if h, m, ok := strings.Cut(f, ":"); ok {
			hours, herr := strconv.Atoi(h)
			mins, merr := strconv.Atoi(m)
			if herr != nil || merr != nil || hours < 0 || mins < 0 || mins > 59 {
				return nil, fmt.Errorf("%q is not h:mm", f)
			}
			out = append(out, time.Duration(hours)*time.Hour+time.Duration(mins)*time.Minute)
			continue
		}
		d, err := time.ParseDuration(f)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("%q is neither h:mm nor a duration such as 1h10m", f)
		}
		out = append(out, d)
	}
	for i := 1; i < len(out); i++ {
		if out[i] < out[i-1] {
			return nil, fmt.Errorf("the offsets must be in order")
		}
	}
	return out, nil
}
