package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/bot/console"
	"github.com/muster-bot/muster/config"
	"github.com/muster-bot/muster/templates"
)

// errExpectation is a scenario's expect that the console did not print.
var errExpectation = errors.New("an expectation was not met")

// drill plays a scenario on the console in this process: its own store
// in a temporary directory (a game day leaves nothing in the real one),
// no webhooks and no digest, the pages on 127.0.0.1, and a clock that
// moves only when the scenario waits, so a two-hour game day plays in
// seconds with every reminder it would have had. At the end it prints
// each incident's postmortem draft and cadence record.
func drill(ctx context.Context, cfg *config.Config, path string, opts Options) error {
	sc, err := loadScenario(path)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "muster-drill-")
	if err != nil {
		return fmt.Errorf("make the drill's store: %w", err)
	}
	defer os.RemoveAll(dir)
	cfg.Store = config.Store{Backend: "bbolt", Path: filepath.Join(dir, "muster.db")}
	// A game day reaches nothing outside this process: its incidents
	// are numbered from INC-1 again, so a tracker issue or a Statuspage
	// incident found by its key could be a real incident's.
	cfg.Webhooks.URLs, cfg.Digest.Channel, cfg.Templates.ExportDir = nil, "", ""
	cfg.Trackers.Jira, cfg.Trackers.GitHub = config.JiraTracker{}, config.GitHubTracker{}
	cfg.StatusPage.Atlassian = config.Atlassian{}
	cfg.PagerDuty.APIToken, cfg.Opsgenie.APIKey = "", ""
	for i := range cfg.Services {
		cfg.Services[i].PagerDuty, cfg.Services[i].Opsgenie = nil, nil
	}
	start := sc.Start
	if start.IsZero() {
		start = opts.Now().UTC().Truncate(time.Minute)
	}
	transcript := &syncBuffer{}
	out := opts.Stdout
	opts.Console, opts.Stdin = true, strings.NewReader("")
	opts.Stdout = io.MultiWriter(out, transcript)
	opts.Now = func() time.Time { return start }
	if opts.Listener == nil {
		// A port of its own: a muster console may be running beside it.
		if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
			opts.Listener = ln
		}
	}
	a, err := New(cfg, opts)
	if err != nil {
		return err
	}
	defer a.Close()
	title := sc.Name
	if title == "" {
		title = filepath.Base(path)
	}
	fmt.Fprintf(out, "%s · %s — %d steps from %s\n", muster.DrillMark, title, len(sc.Steps), start.Format("2006-01-02 15:04 MST"))
	stopPages := a.consolePages()
	defer stopPages()
	played := a.play(ctx, sc, transcript)
	if err := a.drillRecord(ctx, out); err != nil {
		return errors.Join(played, err)
	}
	return played
}

// play runs the steps in order, and stops at the first expectation the
// console did not meet. An expect looks in what was printed since the
// previous expect matched, so expectations also check the order.
func (a *App) play(ctx context.Context, sc *scenario, transcript *syncBuffer) error {
	seen, speaker := 0, ""
	line := func(text string) { a.console.Line(ctx, text, a.bot, a.bot) }
	for i, st := range sc.Steps {
		switch {
		case st.Say != nil:
			if st.Say.As != "" && st.Say.As != speaker {
				line(":as " + st.Say.As)
				speaker = st.Say.As
			}
			if st.Say.Room != "" {
				line(":room " + st.Say.Room)
			}
			line(st.Say.Text)
		case st.wait > 0:
			line(":wait " + st.Wait)
		case st.Alert != nil:
			if err := a.bot.Alert(ctx, drillAlert(*st.Alert, a.clock.Now())); err != nil {
				fmt.Fprintf(a.opts.Stdout, "⚠️ step %d (line %d): the alert was refused: %v\n", i+1, st.Line, err)
			}
		case st.Expect != "":
			text := transcript.String()
			at := strings.Index(text[seen:], st.Expect)
			if at < 0 {
				fmt.Fprintf(a.opts.Stdout, "✗ step %d (line %d): expected %q; the console did not print it\n", i+1, st.Line, st.Expect)
				return fmt.Errorf("step %d (line %d): %w: %q", i+1, st.Line, errExpectation, st.Expect)
			}
			seen += at + len(st.Expect)
			fmt.Fprintf(a.opts.Stdout, "✓ %s\n", st.Expect)
		}
	}
	return nil
}

// drillAlert is a scenario's alert as the generic alert hook would pass
// it on, declaring a drill: the console's lobby is where it lands.
func drillAlert(s alertStep, now time.Time) bot.Alert {
	group := s.Group
	if group == "" {
		group = s.Title + "\n" + s.Service
	}
	status := "firing"
	if s.Resolved {
		status = "resolved"
	}
	line := fmt.Sprintf("• [%s] %s", status, s.Title)
	if s.Service != "" {
		line += " (" + s.Service + ")"
	}
	keys := make([]string, 0, len(s.Labels))
	for k := range s.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		line += " " + k + "=" + s.Labels[k]
	}
	a := bot.Alert{
		Source: muster.SourceAlert, GroupKey: "drill:" + group, Firing: !s.Resolved, Severity: s.Severity,
		Title: s.Title, Lines: []string{line}, StartsAt: now, Key: fmt.Sprintf("drill:%s:%s:%d", group, status, now.UnixNano()),
		Platform: console.Name, Room: "lobby", Drill: true,
	}
	if s.Service != "" {
		a.Services = []string{s.Service}
	}
	return a
}

// drillRecord prints every incident's postmortem draft and cadence
// record, as they stand at the end of the game day.
func (a *App) drillRecord(ctx context.Context, out io.Writer) error {
	all, err := a.db.Incidents(ctx, false)
	if err != nil {
		return fmt.Errorf("list the drill's incidents: %w", err)
	}
	if len(all) == 0 {
		fmt.Fprintln(out, "\nNo incident was declared in this drill.")
		return nil
	}
	pm, err := templates.New(a.cfg.Templates.Dir)
	if err != nil {
		return fmt.Errorf("load the postmortem template: %w", err)
	}
	slices.SortFunc(all, func(x, y *muster.Incident) int { return x.ID - y.ID })
	now := a.clock.Now()
	ladder := a.cfg.SeverityLadder()
	for _, inc := range all {
		timeline, err := a.db.Timeline(ctx, inc.ID)
		if err != nil {
			return fmt.Errorf("read the timeline of %s: %w", inc.Ref(), err)
		}
		c := muster.MeasureCadence(inc, timeline, ladder, now)
		fmt.Fprintf(out, "\n══ %s %s — %s (%s) ══\n", muster.DrillMark, inc.Ref(), inc.Title, inc.Status)
		fmt.Fprintf(out, "Cadence record: %s\n", cadenceLine(c))
		var md bytes.Buffer
		if err := pm.Render(&md, templates.Data{Incident: inc, Timeline: timeline, Roles: a.cfg.RoleList(), Severities: ladder, Now: now}); err != nil {
			return fmt.Errorf("render the postmortem of %s: %w", inc.Ref(), err)
		}
		fmt.Fprintf(out, "── Postmortem draft ──\n%s", md.String())
	}
	return nil
}

// cadenceLine is the cadence record in one line.
func cadenceLine(c muster.Cadence) string {
	s := fmt.Sprintf("%d status updates", c.Updates)
	if c.Measured {
		s = fmt.Sprintf("%s (%s): %d due, %d on time, %d missed; longest stretch without an update %s", s, c.Rule, c.Due, c.OnTime, c.Missed, muster.FormatDuration(c.Longest))
	}
	return fmt.Sprintf("%s; reminders %d, escalations %d, snoozes %d", s, c.Reminders, c.Escalations, c.Snoozes)
}

// syncBuffer is a buffer written and read from several goroutines: the
// drill's transcript of the console, and the tests' logs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
