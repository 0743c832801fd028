package slack

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	goslack "github.com/slack-go/slack"

	"github.com/muster-bot/muster"
)

// Post sends msg to a channel and returns its ts. A message with a file
// (the postmortem draft) is followed by the file, uploaded into the
// message's thread.
func (p *Platform) Post(ctx context.Context, room string, msg muster.Message) (string, error) {
	fallback, blocks := render(msg)
	opts := []goslack.MsgOption{goslack.MsgOptionText(fallback, false), goslack.MsgOptionBlocks(blocks...)}
	if msg.Thread != "" {
		opts = append(opts, goslack.MsgOptionTS(msg.Thread))
	}
	var ts string
	err := p.call(ctx, "chat.postMessage", func(ctx context.Context) (err error) {
		_, ts, err = p.api.PostMessageContext(ctx, room, opts...)
		return err
	})
	if err != nil {
		return "", err
	}
	if msg.File != nil {
		if err := p.upload(ctx, room, ts, msg.File); err != nil {
			return ts, err
		}
	}
	return ts, nil
}

func (p *Platform) upload(ctx context.Context, room, thread string, f *muster.File) error {
	return p.call(ctx, "files.upload", func(ctx context.Context) error {
		_, err := p.api.UploadFileContext(ctx, goslack.UploadFileParameters{
			Channel: room, ThreadTimestamp: thread, Filename: f.Name, Title: defuse(f.Title),
			Content: string(f.Content), FileSize: len(f.Content),
		})
		return err
	})
}

// Update replaces a message the bot posted (the war-room header).
func (p *Platform) Update(ctx context.Context, room, id string, msg muster.Message) error {
	fallback, blocks := render(msg)
	return p.call(ctx, "chat.update", func(ctx context.Context) error {
		_, _, _, err := p.api.UpdateMessageContext(ctx, room, id, goslack.MsgOptionText(fallback, false), goslack.MsgOptionBlocks(blocks...))
		return err
	})
}

// Reply answers the sender of ev alone (a slash command's first answer
// rides in its acknowledgement instead: see runCommand): through the
// response_url of a slash command or a click when there is one (it works
// in any channel, even one the bot is not in), else as an ephemeral
// message, else, when the bot cannot post in that channel, as a direct
// message.
func (p *Platform) Reply(ctx context.Context, ev muster.Event, msg muster.Message) error {
	if ev.ReplyTo != "" {
		err := p.call(ctx, "response_url", func(ctx context.Context) error {
			return goslack.PostWebhookCustomHTTPContext(ctx, ev.ReplyTo, p.cfg.HTTPClient, ephemeral(msg))
		})
		if err == nil {
			return nil
		}
		p.log.Warn().Err(err).Msg("reply through response_url failed; trying an ephemeral message")
	}
	fallback, blocks := render(msg)
	err := p.call(ctx, "chat.postEphemeral", func(ctx context.Context) error {
		_, err := p.api.PostEphemeralContext(ctx, ev.Room, ev.User, goslack.MsgOptionText(fallback, false), goslack.MsgOptionBlocks(blocks...))
		return err
	})
	if err == nil || ev.Room == ev.User {
		return err
	}
	_, derr := p.Post(ctx, ev.User, msg) // a DM from the app
	if derr != nil {
		return errors.Join(err, derr)
	}
	return nil
}

// CreateRoom creates a channel. A taken name is a conflict, so the bot
// tries the next suffix.
func (p *Platform) CreateRoom(ctx context.Context, name string, private bool) (string, error) {
	var ch *goslack.Channel
	err := p.call(ctx, "conversations.create", func(ctx context.Context) (err error) {
		ch, err = p.api.CreateConversationContext(ctx, goslack.CreateConversationParams{ChannelName: name, IsPrivate: private})
		return err
	})
	if err != nil {
		return "", err
	}
	return ch.ID, nil
}

// Invite brings people into a channel. User ids are invited one by one, so
// that one deactivated account does not keep the others out; a user group
// (S…) is expanded to its members; a channel (C…) is told where the war
// room is. Everyone who could not be reached is named in the error.
func (p *Platform) Invite(ctx context.Context, room string, ids []string) error {
	var failed []string
	var users []string
	for _, id := range ids {
		switch {
		case strings.HasPrefix(id, "S"):
			var members []string
			err := p.call(ctx, "usergroups.users.list", func(ctx context.Context) (err error) {
				members, err = p.api.GetUserGroupMembersContext(ctx, id)
				return err
			})
			if err != nil {
				failed = append(failed, fmt.Sprintf("<!subteam^%s> (%s)", id, slackError(err)))
			}
			users = append(users, members...)
		case strings.HasPrefix(id, "C") || strings.HasPrefix(id, "G"):
			// A private war room is not named in another channel: that
			// would tell its members that a private incident exists.
			private, err := p.isPrivate(ctx, room)
			if err != nil || private {
				if err != nil {
					failed = append(failed, fmt.Sprintf("<#%s> (not told: %s)", id, slackError(err)))
				}
				continue
			}
			if _, err := p.Post(ctx, id, muster.Message{Text: fmt.Sprintf("🚨 Responders wanted in <#%s>.", room)}); err != nil {
				failed = append(failed, fmt.Sprintf("<#%s> (%s)", id, slackError(err)))
			}
		default:
			users = append(users, id)
		}
	}
	for _, u := range users {
		err := p.call(ctx, "conversations.invite", func(ctx context.Context) error {
			_, err := p.api.InviteUsersToConversationContext(ctx, room, u)
			return err
		})
		switch code := slackError(err); {
		case err == nil, code == "already_in_channel", code == "cant_invite_self":
		default:
			failed = append(failed, fmt.Sprintf("%s (%s)", muster.Mention(u), code))
		}
	}
	if len(failed) > 0 {
		return muster.Errorf(muster.EINVALID, "could not invite %s.", strings.Join(failed, ", "))
	}
	return nil
}

// isPrivate asks Slack whether a channel is private.
func (p *Platform) isPrivate(ctx context.Context, room string) (bool, error) {
	var ch *goslack.Channel
	err := p.call(ctx, "conversations.info", func(ctx context.Context) (err error) {
		ch, err = p.api.GetConversationInfoContext(ctx, &goslack.GetConversationInfoInput{ChannelID: room})
		return err
	})
	if err != nil {
		return false, err
	}
	return ch.IsPrivate, nil
}

// SetTopic sets a channel's topic, cut to Slack's 250 characters. The
// topic holds the title, so its special mentions are defused.
func (p *Platform) SetTopic(ctx context.Context, room, topic string) error {
	topic = truncateRunes(defuse(topic), 250)
	return p.call(ctx, "conversations.setTopic", func(ctx context.Context) error {
		_, err := p.api.SetTopicOfConversationContext(ctx, room, topic)
		return err
	})
}

// DirectMessage writes to one person: posting to a user id opens the
// conversation between the app and them.
func (p *Platform) DirectMessage(ctx context.Context, user string, msg muster.Message) error {
	_, err := p.Post(ctx, user, msg)
	return err
}

// AnnounceRoom is the stakeholders' channel.
func (p *Platform) AnnounceRoom() string { return p.cfg.AnnounceChannel }

// RoomLink is Slack's channel mention, which renders as a link.
func (p *Platform) RoomLink(room, name string) string { return "<#" + room + ">" }

// RoomURL is a channel's web address, which works for anyone in the
// workspace (Slack redirects to the app or the browser): a page links
// the war room with it.
func (p *Platform) RoomURL(room string) string {
	return "https://slack.com/app_redirect?channel=" + url.QueryEscape(room)
}

// LookupUser checks a mentioned user. The /incident command is registered
// with escaping on, so Slack sends mentions as user ids; a bare name means
// the person typed it without picking them from Slack's list.
func (p *Platform) LookupUser(ctx context.Context, ref string) (string, error) {
	if !looksLikeUserID(ref) {
		return "", muster.Errorf(muster.EINVALID, "Slack did not recognise @%s as a person: type @ and pick them from the list.", ref)
	}
	var u *goslack.User
	err := p.call(ctx, "users.info", func(ctx context.Context) (err error) {
		u, err = p.api.GetUserInfoContext(ctx, ref)
		return err
	})
	if slackError(err) == "user_not_found" {
		return "", muster.Errorf(muster.EINVALID, "%s is not a member of this workspace.", muster.Mention(ref))
	}
	if err != nil {
		return "", err
	}
	if u.Deleted {
		return "", muster.Errorf(muster.EINVALID, "%s's account is deactivated; pick someone else.", muster.Mention(ref))
	}
	return u.ID, nil
}

// DisplayName is how a person is called in the workspace (display name,
// else real name), for readers outside Slack such as webhook receivers;
// "" when Slack does not say. Names are kept once learned: people rename
// themselves rarely, and a stale name is harmless where an id is useless.
func (p *Platform) DisplayName(ctx context.Context, id string) string {
	if !looksLikeUserID(id) {
		return ""
	}
	if v, ok := p.names.Load(id); ok {
		return v.(string)
	}
	var u *goslack.User
	err := p.call(ctx, "users.info", func(ctx context.Context) (err error) {
		u, err = p.api.GetUserInfoContext(ctx, id)
		return err
	})
	if err != nil {
		return ""
	}
	name := u.Profile.DisplayName
	if name == "" {
		name = u.RealName
	}
	if name == "" {
		name = u.Name
	}
	p.names.Store(id, name)
	return name
}

func looksLikeUserID(s string) bool {
	if len(s) < 3 || (s[0] != 'U' && s[0] != 'W') {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
