package main

import (
	"github.com/robfig/cron/v3"

	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/bot/console"
	"github.com/muster-bot/muster/bot/slack"
	"github.com/muster-bot/muster/bot/teams"
)

// digest is where and when the weekly digest goes, from the config
// (validated at load, so the schedule parses).
func (a *App) digest() bot.Digest {
	sched, err := cron.ParseStandard(a.cfg.Digest.Schedule)
	if err != nil {
		a.log.Error().Err(err).Str("schedule", a.cfg.Digest.Schedule).Msg("digest.schedule; sending Mondays at 09:00")
		sched, _ = cron.ParseStandard("0 9 * * 1")
	}
	var running []string
	for _, p := range []struct {
		name string
		on   bool
	}{{slack.Name, a.slack != nil}, {teams.Name, a.teams != nil}, {console.Name, a.console != nil}} {
		if p.on {
			running = append(running, p.name)
		}
	}
	return bot.Digest{Schedule: sched, Location: a.cfg.Location(), Platform: a.cfg.DigestPlatform(running), Channel: a.cfg.Digest.Channel}
}
