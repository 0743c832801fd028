package config

import (
	"slices"
	"strings"

	"github.com/robfig/cron/v3"
)

// DefaultDigestSchedule is when the weekly digest goes out unless
// digest.schedule says otherwise: Monday 09:00 in the configured timezone.
const DefaultDigestSchedule = "0 9 * * 1"

// digestPlatforms are the platforms a digest can be posted on.
var digestPlatforms = []string{"slack", "teams", "console"}

// Digest configures the weekly digest: the past week's incidents, times
// against the four weeks before, postmortems not yet published and
// overdue action items, posted to one channel.
type Digest struct {
	// Schedule is a cron schedule (five fields) in timezone, default
	// DefaultDigestSchedule.
	Schedule string `yaml:"schedule"`
	// Channel is the room it is posted in (a Slack channel id, a Teams
	// conversation id, a console room); none sends no digest.
	Channel string `yaml:"channel"`
	// Platform is where Channel is: slack, teams or console; default the
	// one platform running (Slack when both are).
	Platform string `yaml:"platform"`
}

// DigestPlatform is the platform the digest goes to on a process that
// runs the given platforms: the configured one, else the only one, else
// Slack.
func (c *Config) DigestPlatform(running []string) string {
	if c.Digest.Platform != "" {
		return c.Digest.Platform
	}
	if len(running) == 1 {
		return running[0]
	}
	return "slack"
}

func validateDigest(c *Config, r *report) {
	d := &c.Digest
	if strings.TrimSpace(d.Schedule) == "" {
		d.Schedule = DefaultDigestSchedule
	}
	if _, err := cron.ParseStandard(d.Schedule); err != nil {
		r.addf("digest.schedule", "%q is not a cron schedule such as %q (Mondays at 09:00 in timezone): %v", d.Schedule, DefaultDigestSchedule, err)
	}
	if d.Platform != "" && !slices.Contains(digestPlatforms, d.Platform) {
		r.addf("digest.platform", "%q is not a platform; choose one of %s", d.Platform, strings.Join(digestPlatforms, ", "))
	}
}
