package config

import (
	"fmt"
	"strings"
)

// validateComponents checks statuspage.components: each needs a name
// people can type after `component`, and no two may share one.
func validateComponents(c *Config, r *report) {
	seen := map[string]int{}
	for i, comp := range c.StatusPage.Components {
		p := fmt.Sprintf("statuspage.components[%d].name", i)
		name := strings.Join(strings.Fields(comp.Name), " ")
		c.StatusPage.Components[i].Name = name
		if name == "" {
			r.addf(p, "every component needs a name, such as API or Checkout")
			continue
		}
		if j, dup := seen[strings.ToLower(name)]; dup {
			r.addf(p, "%q is already the name of statuspage.components[%d]; names are compared ignoring case", name, j)
			continue
		}
		seen[strings.ToLower(name)] = i
	}
}
