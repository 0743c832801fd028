package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	goslack "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/muster-bot/muster"
)

// maxSocketWork bounds the events recorded at once from the socket.
const maxSocketWork = 64

// RunSocketMode receives Slack's requests over Socket Mode until ctx is
// done: no public URL is needed. Every envelope is acknowledged, events
// only once their entry is durable, and envelopes slack-go cannot parse
// too, or Slack would redeliver them forever. slack-go reconnects by
// itself; a rejected app token ends the run with an error.
func (p *Platform) RunSocketMode(ctx context.Context, h muster.Handler) error {
	client := socketmode.New(p.api)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- client.RunContext(ctx) }()
	slots := make(chan struct{}, maxSocketWork)
	for {
		select {
		case <-ctx.Done():
			p.setConnected(false)
			return nil
		case err := <-runErr:
			p.setConnected(false)
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slack socket mode (check SLACK_APP_TOKEN): %w", err)
		case evt := <-client.Events:
			if err := p.socketEventSafely(ctx, client, evt, h, slots); err != nil {
				p.setConnected(false)
				return err
			}
		}
	}
}

// socketEventSafely is socketEvent, with a panic recovered and logged:
// the loop must go on receiving for the requests after it.
func (p *Platform) socketEventSafely(ctx context.Context, client *socketmode.Client, evt socketmode.Event, h muster.Handler, slots chan struct{}) (err error) {
	defer p.rescue(ctx, muster.Event{Kind: muster.EventKind(evt.Type)}, p.tell)
	return p.socketEvent(ctx, client, evt, h, slots)
}

// ignoredForeign acknowledges, and otherwise ignores, an envelope from
// another workspace than the one muster is installed in (see foreign),
// and reports whether it did. The ack keeps Slack from redelivering it.
func (p *Platform) ignoredForeign(client *socketmode.Client, evt socketmode.Event, from workspace) bool {
	why := p.foreign(from)
	if why == "" {
		return false
	}
	from.log(p.log.Info()).Str("type", string(evt.Type)).Str("reason", why).Msg("ignored a slack request from another workspace")
	p.ack(client, evt.Request, nil)
	return true
}

func (p *Platform) socketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event, h muster.Handler, slots chan struct{}) error {
	start := time.Now() // the real clock, for the Observe hook; cfg.Now is moved by tests
	acked := func(kind string, code int) { p.cfg.Observe(kind, code, time.Since(start)) }
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		p.log.Info().Msg("connecting to Slack over Socket Mode")
	case socketmode.EventTypeConnected, socketmode.EventTypeHello:
		p.setConnected(true)
	case socketmode.EventTypeDisconnect:
		p.setConnected(false)
		p.log.Info().Msg("Slack asked to reconnect")
	case socketmode.EventTypeConnectionError:
		p.setConnected(false)
		p.log.Warn().Interface("error", evt.Data).Msg("socket mode connection error; slack-go reconnects")
	case socketmode.EventTypeInvalidAuth:
		return errors.New("slack socket mode: Slack rejected SLACK_APP_TOKEN (invalid_auth); create an app-level token with connections:write")
	case socketmode.EventTypeErrorBadMessage:
		p.ackUnparsed(client, evt)
	case socketmode.EventTypeSlashCommand:
		cmd, _ := evt.Data.(goslack.SlashCommand)
		if p.ignoredForeign(client, evt, workspace{cmd.TeamID, cmd.EnterpriseID, cmd.APIAppID}) {
			return nil
		}
		p.work.Add(1)
		go func() { // the answer may ride in the ack, which must not hold up the loop
			defer p.work.Done()
			defer p.rescue(ctx, muster.Event{Kind: muster.EventCommand, User: cmd.UserID, Room: cmd.ChannelID, ReplyTo: cmd.ResponseURL}, p.tell)
			if resp := p.runCommand(cmd, h); resp != nil {
				p.ack(client, evt.Request, resp)
			} else {
				p.ack(client, evt.Request, nil) // not a nil *WebhookMessage, which would ack "null"
			}
			acked("command", http.StatusOK)
		}()
	case socketmode.EventTypeInteractive:
		ic, _ := evt.Data.(goslack.InteractionCallback)
		if p.ignoredForeign(client, evt, workspace{ic.Team.ID, ic.Enterprise.ID, ic.APIAppID}) {
			return nil
		}
		p.ack(client, evt.Request, p.interaction(ic, h))
		acked("interaction", http.StatusOK)
	case socketmode.EventTypeEventsAPI:
		parsed, _ := evt.Data.(slackevents.EventsAPIEvent)
		if p.ignoredForeign(client, evt, workspace{parsed.TeamID, parsed.EnterpriseID, parsed.APIAppID}) {
			return nil
		}
		ev, ok := p.callback(parsed)
		if !ok {
			p.ack(client, evt.Request, nil)
			acked("event", http.StatusOK)
			return nil
		}
		// Record concurrently, acknowledging each envelope once its entry
		// is durable; an error leaves it unacknowledged so Slack retries.
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		p.work.Add(1)
		go func() {
			defer func() { <-slots; p.work.Done() }()
			defer p.rescue(ctx, ev, p.tell) // unacknowledged: Slack redelivers it
			if err := h.Handle(ctx, ev); err != nil {
				p.log.Error().Err(err).Str("event_id", ev.ID).Msg("record slack event; Slack will retry")
				acked("event", http.StatusInternalServerError)
				return
			}
			p.ack(client, evt.Request, nil)
			acked("event", http.StatusOK)
		}()
	}
	return nil
}

func (p *Platform) ack(client *socketmode.Client, req *socketmode.Request, payload any) {
	if req == nil {
		return
	}
	var err error
	if payload != nil {
		err = client.Ack(*req, payload)
	} else {
		err = client.Ack(*req)
	}
	if err != nil {
		p.log.Warn().Err(err).Str("envelope", req.EnvelopeID).Msg("acknowledge socket mode envelope")
	}
}

// ackUnparsed acknowledges an envelope slack-go could not parse (an event
// type it does not know), reading its id from the raw frame.
func (p *Platform) ackUnparsed(client *socketmode.Client, evt socketmode.Event) {
	bad, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok {
		return
	}
	var frame struct {
		EnvelopeID string `json:"envelope_id"`
	}
	if json.Unmarshal(bad.Message, &frame) != nil || frame.EnvelopeID == "" {
		return
	}
	p.log.Debug().Err(bad.Cause).Str("envelope", frame.EnvelopeID).Msg("acknowledged an envelope slack-go cannot parse")
	p.ack(client, &socketmode.Request{EnvelopeID: frame.EnvelopeID}, nil)
}
