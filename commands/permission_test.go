package commands_test

import (
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/commands"
	"github.com/muster-bot/muster/templates"
)

// TestPermissions: by default resolve, reopen and handoff are the IC's
// (anyone's while there is none); a refusal names who may, and changes
// nothing; `permissions:` changes it command by command.
func TestPermissions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		perms   muster.Permissions // nil: the defaults
		setup   []string           // run by alice on INC-1 after declaring
		user    string
		command string
		refused bool
	}{
		{name: "resolve with no IC", user: "bob", command: "resolve"},
		{name: "resolve by the IC", setup: []string{"ic"}, user: "alice", command: "resolve"},
		{name: "resolve by someone else", setup: []string{"ic"}, user: "bob", command: "resolve", refused: true},
		{name: "status resolved is a resolve", setup: []string{"ic"}, user: "bob", command: "status resolved", refused: true},
		{name: "reopen by someone else", setup: []string{"ic", "resolve"}, user: "bob", command: "reopen", refused: true},
		{name: "status investigating on a resolved incident is a reopen", setup: []string{"ic", "resolve"}, user: "bob", command: "status investigating", refused: true},
		{name: "handoff by someone else", setup: []string{"ic"}, user: "bob", command: "handoff @carol", refused: true},
		{name: "taking the held IC role is a handoff", setup: []string{"ic"}, user: "bob", command: "ic", refused: true},
		{name: "giving the held IC role away is a handoff", setup: []string{"ic"}, user: "bob", command: "role ic @carol", refused: true},
		{name: "handoff by the IC", setup: []string{"ic"}, user: "alice", command: "handoff @bob"},
		{name: "taking an empty role", setup: []string{"ic"}, user: "bob", command: "comms"},
		{name: "an update is anyone's", setup: []string{"ic"}, user: "bob", command: "update Rolled back"},
		{name: "configured: severity for IC and comms, refused", perms: muster.Permissions{"severity": {"ic", "comms"}},
			setup: []string{"ic", "comms @bob"}, user: "carol", command: "severity sev1", refused: true},
		{name: "configured: severity for IC and comms, comms may", perms: muster.Permissions{"severity": {"ic", "comms"}},
			setup: []string{"ic", "comms @bob"}, user: "bob", command: "severity sev1"},
		{name: "configured: the IC holds an empty comms seat", perms: muster.Permissions{"severity": {"comms"}},
			setup: []string{"ic"}, user: "alice", command: "severity sev1"},
		{name: "configured: resolve for anyone", perms: muster.Permissions{"resolve": {muster.AnyRole}},
			setup: []string{"ic"}, user: "bob", command: "resolve"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.perms != nil {
				pm, err := templates.New("")
				if err != nil {
					t.Fatal(err)
				}
				e.cmds = commands.New(e.db, pm, commands.Config{
					Severities: muster.DefaultSeverities(), DefaultSeverity: "SEV3", Roles: muster.DefaultRoles(),
					Permissions: muster.DefaultPermissions().With(tc.perms),
				}, func() time.Time { return e.now })
			}
			e.must("alice", 0, "declare Checkout is down")
			for _, text := range tc.setup {
				e.must("alice", 1, text)
			}
			before := e.incident(1)
			entries := len(e.timeline(1))
			_, err := e.run(tc.user, 1, tc.command)
			if !tc.refused {
				if err != nil {
					t.Fatalf("%s by %s: %v", tc.command, tc.user, err)
				}
				return
			}
			msg := muster.ErrorMessage(err)
			if muster.ErrorCode(err) != muster.EINVALID || !strings.Contains(msg, "Only the") || !strings.Contains(msg, "<@alice>") {
				t.Fatalf("%s by %s: %v, want a refusal naming the IC", tc.command, tc.user, err)
			}
			after := e.incident(1)
			if after.Status != before.Status || after.Roles[muster.RoleIC] != before.Roles[muster.RoleIC] || after.Severity != before.Severity || len(e.timeline(1)) != entries {
				t.Errorf("a refused %s changed the incident: %+v → %+v", tc.command, before, after)
			}
		})
	}
}

func TestCheckPermissions(t *testing.T) {
	if problems := commands.CheckPermissions(muster.Permissions{"resolve": {"ic"}, "severity": {"ic", "comms"}, "update": {"any"}}, muster.DefaultRoles()); len(problems) != 0 {
		t.Errorf("good permissions: %v", problems)
	}
	for perm, want := range map[string]string{
		"resolv":  "is not a command",
		"sev":     "is an alias; set the permission for `severity`",
		"declare": "acts on no incident",
		"reopen":  `"captain" is not a role`,
		"handoff": "lists no role",
	} {
		roles := []string{"ic"}
		switch perm {
		case "reopen":
			roles = []string{"ic", "captain"}
		case "handoff":
			roles = nil
		}
		problems := commands.CheckPermissions(muster.Permissions{perm: roles}, muster.DefaultRoles())
		if !strings.Contains(problems[perm], want) {
			t.Errorf("permissions.%s: %q, want it to say %q", perm, problems[perm], want)
		}
	}
}
