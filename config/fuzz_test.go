package config_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/config"
)

// FuzzParse checks that no file makes Parse panic, that a rejected file
// gets problems a person can act on, and that an accepted one holds what
// the rest of muster relies on. Run it with
//
//	go test -run '^$' -fuzz FuzzParse ./config/
//
// Seeds: the shipped files, testdata/*.yaml and testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"../config.example.yaml", "../demo.yaml", "testdata/many-problems.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("severities: &a [*a]\n"))
	f.Add([]byte("severities:\n  - &s {name: SEV1, <<: *s}\n"))
	f.Add([]byte("roles: [{key: ic, name: IC, short: ic}]\n---\n"))
	f.Add([]byte("services:\n  - {name: checkout, keywords: [cart], pagerduty: {routing_key_env: PD_KEY}, opsgenie: {team: t}}\n  - {name: Checkout}\n" +
		"statuspage: {components: [{name: Shop, services: [checkout, nope]}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse(data, "fuzz.yaml", env(secrets))
		if err != nil {
			var cfgErr *config.Error
			if !errors.As(err, &cfgErr) || len(cfgErr.Problems) == 0 {
				t.Fatalf("Parse error %v (%T) is not a *config.Error with problems", err, err)
			}
			for _, p := range cfgErr.Problems {
				if p.File == "" || p.Msg == "" {
					t.Errorf("problem without file or message: %#v", p)
				}
			}
			noSecrets(t, data, err.Error())
			return
		}
		ladder := c.SeverityLadder()
		if _, _, ok := ladder.Find(c.DefaultSeverity); !ok || len(ladder) == 0 {
			t.Errorf("accepted default severity %q outside the ladder %v", c.DefaultSeverity, ladder.Names())
		}
		if roles := c.RoleList(); len(roles) == 0 || roles[0].Key != muster.RoleIC {
			t.Errorf("accepted roles %v without the IC first", roles.Keys())
		}
		for _, s := range ladder {
			if s.UpdateEvery < 0 || s.EscalateAfter < 1 {
				t.Errorf("accepted severity %+v", s)
			}
		}
		noSecrets(t, data, fmt.Sprintf("%+v", c.Redacted()))
	})
}

func noSecrets(tb testing.TB, input []byte, out string) {
	tb.Helper()
	for name, secret := range secrets {
		if strings.Contains(out, secret) && !bytes.Contains(input, []byte(secret)) {
			tb.Errorf("output shows %s: %s", name, out)
		}
	}
}
