package config_test

import (
	"strings"
	"testing"

	"github.com/muster-bot/muster/config"
)

// TestAlertTokenNeedsWhere: ALERT_TOKEN alone turns on the Grafana and
// generic alert hooks, which declare where the alertmanager section says,
// so it asks for that place as ALERTMANAGER_TOKEN does.
func TestAlertTokenNeedsWhere(t *testing.T) {
	_, err := config.Parse([]byte("alertmanager:\n  platform: email\n"), "muster.yaml", env(map[string]string{"ALERT_TOKEN": "t"}))
	if err == nil || !strings.Contains(err.Error(), "alertmanager.platform") || !strings.Contains(err.Error(), "alertmanager.room") {
		t.Errorf("error %v, want alertmanager.platform and alertmanager.room named", err)
	}
	c := mustParse(t, "alertmanager:\n  platform: slack\n  room: C1\n", map[string]string{"ALERT_TOKEN": "t"})
	if c.Alertmanager.AlertToken != "t" || c.Alertmanager.Token != "" {
		t.Errorf("tokens %q %q", c.Alertmanager.AlertToken, c.Alertmanager.Token)
	}
}
