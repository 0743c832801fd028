package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// scenario is a scripted game day for `muster drill`: people's lines,
// alerts, time passing, and what the console must have printed.
//
//	name: Checkout outage
//	start: 2026-12-07T09:00:00Z
//	steps:
//	  - say: {as: alice, text: "/incident declare drill sev2 Checkout slow"}
//	  - wait: 65m
//	  - alert: {title: "Payments 5xx above 5%", severity: sev1, service: payments}
//	  - expect: "needs a status update"
type scenario struct {
	Name string `yaml:"name"`
	// Start is when the game day begins on the drill's clock; zero: now.
	Start time.Time `yaml:"start"`
	Steps []step    `yaml:"steps"`
}

// step is one step: exactly one of its fields is set. Line is where it
// is in the file, for the messages about it.
type step struct {
	Say    *sayStep   `yaml:"say"`
	Wait   string     `yaml:"wait"`
	Alert  *alertStep `yaml:"alert"`
	Expect string     `yaml:"expect"`
	Line   int        `yaml:"-"`
	wait   time.Duration
}

// sayStep is a console line said by someone, in a room: a /incident
// command, a :control such as `:press I'll be Comms`, or a message.
type sayStep struct {
	As   string `yaml:"as"`   // who says it; empty: whoever spoke last
	Room string `yaml:"room"` // where (INC-n or a room name); empty: where the speaker is
	Text string `yaml:"text"`
}

// alertStep is an alert as the generic alert hook (/hooks/alert) takes
// it, with severity as a severity's name (sev1).
type alertStep struct {
	Title    string            `yaml:"title"`
	Severity string            `yaml:"severity"`
	Service  string            `yaml:"service"`
	Labels   map[string]string `yaml:"labels"`
	Group    string            `yaml:"group"`    // alerts of one group declare once; default title and service
	Resolved bool              `yaml:"resolved"` // the group resolved
}

// loadScenario reads and checks a scenario file, naming the line of
// every mistake.
func loadScenario(path string) (*scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the scenario: %w", err)
	}
	var doc struct {
		Name  string      `yaml:"name"`
		Start time.Time   `yaml:"start"`
		Steps []yaml.Node `yaml:"steps"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sc := &scenario{Name: doc.Name, Start: doc.Start}
	var problems []error
	for i, n := range doc.Steps {
		st, err := decodeStep(&n)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s:%d: step %d: %w", path, n.Line, i+1, err))
			continue
		}
		sc.Steps = append(sc.Steps, st)
	}
	if len(doc.Steps) == 0 {
		problems = append(problems, fmt.Errorf("%s: no steps; a scenario lists steps: say, wait, alert, expect", path))
	}
	return sc, errors.Join(problems...)
}

func decodeStep(n *yaml.Node) (step, error) {
	var st step
	var probe bytes.Buffer
	enc := yaml.NewEncoder(&probe)
	if err := enc.Encode(n); err != nil {
		return st, err
	}
	dec := yaml.NewDecoder(&probe)
	dec.KnownFields(true)
	if err := dec.Decode(&st); err != nil {
		return st, fmt.Errorf("%v (a step is one of say, wait, alert, expect)", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	st.Line = n.Line
	set := 0
	for _, on := range []bool{st.Say != nil, st.Wait != "", st.Alert != nil, st.Expect != ""} {
		if on {
			set++
		}
	}
	if set != 1 {
		return st, errors.New("a step is exactly one of say, wait, alert, expect")
	}
	switch {
	case st.Say != nil:
		if strings.TrimSpace(st.Say.Text) == "" {
			return st, errors.New("say needs text, e.g. {as: alice, text: \"/incident ic\"}")
		}
		if isDeclare(st.Say.Text) && !declaresDrill(st.Say.Text) {
			return st, fmt.Errorf("%q declares a real incident; a scenario declares drills only: `/incident declare drill …`", st.Say.Text)
		}
	case st.Wait != "":
		d, err := time.ParseDuration(st.Wait)
		if err != nil || d <= 0 {
			return st, fmt.Errorf("wait %q is not a duration such as 10m or 1h30m", st.Wait)
		}
		st.wait = d
	case st.Alert != nil:
		if strings.TrimSpace(st.Alert.Title) == "" {
			return st, errors.New("an alert needs a title, e.g. {title: \"Checkout 5xx above 5%\", severity: sev1}")
		}
	}
	return st, nil
}

// isDeclare reports whether a console line is `/incident declare …`.
func isDeclare(line string) bool {
	f := strings.Fields(line)
	if len(f) == 0 || f[0] != "/incident" {
		return false // a message, or a control: nothing declared
	}
	f = f[1:]
	if len(f) > 0 && strings.EqualFold(f[0], "incident") {
		f = f[1:]
	}
	return len(f) > 0 && strings.EqualFold(f[0], "declare")
}

func declaresDrill(line string) bool {
	_, rest, _ := strings.Cut(strings.ToLower(line), "declare")
	f := strings.Fields(rest)
	return len(f) > 0 && f[0] == "drill"
}
