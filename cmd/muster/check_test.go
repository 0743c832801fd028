package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/muster-bot/muster/config"
)

// TestPermissionsConfigErrors: unknown commands or roles in permissions
// are config errors with their line, found at start-up.
func TestPermissionsConfigErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "muster.yaml")
	text := "log:\n  level: info\npermissions:\n  resolve: [ic]\n  resolv: [ic]\n  severity: [ic, captain]\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(path, nil, checkCommands)
	if err == nil {
		t.Fatal("Load accepted permissions for an unknown command and role")
	}
	for _, want := range []string{
		path + ":5: permissions.resolv: \"resolv\" is not a command",
		path + ":6: permissions.severity: \"captain\" is not a role",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "permissions.resolve:") {
		t.Errorf("a good permission was reported:\n%v", err)
	}
}
