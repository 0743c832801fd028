package slack

import (
	"os"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

type manifest struct {
	Features struct {
		SlashCommands []struct {
			Command      string `yaml:"command"`
			URL          string `yaml:"url"`
			ShouldEscape bool   `yaml:"should_escape"`
		} `yaml:"slash_commands"`
	} `yaml:"features"`
	OAuth struct {
		Scopes struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		Events struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			Enabled    bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		SocketMode bool `yaml:"socket_mode_enabled"`
	} `yaml:"settings"`
}

// TestManifests checks that the shipped app manifests ask for every scope
// and event the code uses, and route to the endpoints it serves.
func TestManifests(t *testing.T) {
	scopes := []string{
		"commands", "chat:write", "chat:write.public", "channels:manage", "groups:write",
		"channels:history", "groups:history", "reactions:read", "pins:read",
		"users:read", "users:read.email", "usergroups:read", "files:write", "im:write",
	}
	events := []string{"message.channels", "message.groups", "reaction_added", "pin_added"}
	for _, tt := range []struct {
		file   string
		socket bool
	}{{"../../deploy/slack-app-manifest.yaml", false}, {"../../deploy/slack-app-manifest-socket-mode.yaml", true}} {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			var m manifest
			if err := yaml.Unmarshal(raw, &m); err != nil {
				t.Fatalf("parse: %v", err)
			}
			for _, s := range scopes {
				if !slices.Contains(m.OAuth.Scopes.Bot, s) {
					t.Errorf("bot scope %s is missing", s)
				}
			}
			for _, e := range events {
				if !slices.Contains(m.Settings.Events.BotEvents, e) {
					t.Errorf("bot event %s is missing", e)
				}
			}
			if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/incident" || !m.Features.SlashCommands[0].ShouldEscape {
				t.Errorf("slash commands = %+v, want /incident with should_escape", m.Features.SlashCommands)
			}
			if !m.Settings.Interactivity.Enabled || m.Settings.SocketMode != tt.socket {
				t.Errorf("interactivity %v, socket mode %v", m.Settings.Interactivity.Enabled, m.Settings.SocketMode)
			}
			urls := []string{m.Features.SlashCommands[0].URL, m.Settings.Events.RequestURL, m.Settings.Interactivity.RequestURL}
			want := []string{"https://muster.example.com/slack/commands", "https://muster.example.com/slack/events", "https://muster.example.com/slack/interactions"}
			if tt.socket {
				want = []string{"", "", ""}
			}
			if !slices.Equal(urls, want) {
				t.Errorf("request URLs = %v, want %v", urls, want)
			}
		})
	}
}
