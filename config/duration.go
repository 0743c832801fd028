package config

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written in YAML as a Go duration string:
// "90s", "30m", "4h", "1h30m". An empty value means zero.
type Duration struct{ time.Duration }

// UnmarshalYAML accepts a Go duration string, "0", or an empty value.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a duration such as 30m, found %s", kindName(n))
	}
	s := strings.TrimSpace(n.Value)
	if s == "" || n.ShortTag() == "!!null" {
		d.Duration = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration (examples: 30m, 1h, 90s)", n.Value)
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes the duration back in the form UnmarshalYAML reads.
func (d Duration) MarshalYAML() (any, error) {
	return d.String(), nil
}
