package main

import (
	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/commands"
	"github.com/muster-bot/muster/config"
)

// checkCommands validates the settings that only the commands can judge,
// so that they are reported with their lines like every other problem:
// role keys that would shadow a command, and permissions for unknown
// commands or roles.
func checkCommands(c *config.Config, problem func(key, msg string)) {
	if err := commands.CheckRoles(c.RoleList()); err != nil {
		problem("roles", muster.ErrorMessage(err))
	}
	for name, msg := range commands.CheckPermissions(c.Permissions, c.RoleList()) {
		problem("permissions."+name, msg)
	}
}
