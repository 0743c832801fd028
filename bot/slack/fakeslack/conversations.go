package fakeslack

import (
	"slices"
	"strings"
	"unicode/utf8"
)

const (
	maxChannelName = 80
	maxTopic       = 250
	created        = 1700000000 // the "created" time of every channel
)

func (s *Server) authTest(params) (map[string]any, error) {
	return map[string]any{
		"url":                   "https://muster-test.slack.com/",
		"team":                  TeamName,
		"user":                  BotName,
		"team_id":               TeamID,
		"user_id":               BotUserID,
		"bot_id":                BotID,
		"is_enterprise_install": false,
	}, nil
}

func (s *Server) usersInfo(p params) (map[string]any, error) {
	u, ok := s.users[p["user"]]
	if !ok {
		return nil, slackErr("user_not_found")
	}
	return userJSON(u), nil
}

// usersLookupByEmail finds the user with an e-mail address. Slack does
// not say whether the match ignores case; the fake ignores it, as mail
// does for the domain and most servers for the whole address.
func (s *Server) usersLookupByEmail(p params) (map[string]any, error) {
	for _, u := range s.users {
		if u.email != "" && strings.EqualFold(u.email, p["email"]) {
			return userJSON(u), nil
		}
	}
	return nil, slackErr("users_not_found")
}

// userJSON is a user as users.info and users.lookupByEmail answer.
func userJSON(u *user) map[string]any {
	profile := map[string]any{"real_name": u.name, "display_name": u.name}
	if u.bot {
		profile["bot_id"] = BotID
	}
	if u.email != "" {
		profile["email"] = u.email
	}
	return map[string]any{"user": map[string]any{
		"id":        u.id,
		"team_id":   TeamID,
		"name":      u.name,
		"real_name": u.name,
		"deleted":   u.deleted,
		"is_bot":    u.bot,
		"profile":   profile,
	}}
}

// validChannelName checks Slack's rules for channel names and returns the
// error code for a bad one, or "".
func validChannelName(name string) string {
	switch {
	case name == "":
		return "invalid_name_required"
	case utf8.RuneCountInString(name) > maxChannelName:
		return "invalid_name_maxlength"
	}
	onlyPunct := true
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			onlyPunct = false
		case r == '-' || r == '_':
		default:
			return "invalid_name_specials"
		}
	}
	if onlyPunct {
		return "invalid_name_punctuation"
	}
	return ""
}

func (s *Server) conversationsCreate(p params) (map[string]any, error) {
	name := p["name"]
	if code := validChannelName(name); code != "" {
		return nil, slackErr(code)
	}
	if s.channelByNameLocked(name) != nil {
		return nil, slackErr("name_taken")
	}
	c := &Channel{ID: s.nextIDLocked('C'), Name: name, Private: p["is_private"] == "true", Members: []string{BotUserID}}
	s.channels[c.ID] = c
	return map[string]any{"channel": s.channelJSONLocked(c)}, nil
}

func (s *Server) conversationsInfo(p params) (map[string]any, error) {
	c := s.channelLocked(p["channel"], false)
	if c == nil {
		return nil, slackErr("channel_not_found")
	}
	return map[string]any{"channel": s.channelJSONLocked(c)}, nil
}

// conversationsInvite invites users to a channel. Like Slack, a call with
// any bad user fails with the first error (in the order given), and lists
// every failure in "errors" as {"user","ok":false,"error"}. The fake makes
// such a call all-or-nothing: nobody is invited. With force=true the valid
// users are invited, the call succeeds and "errors" lists the others.
func (s *Server) conversationsInvite(p params) (map[string]any, error) {
	c := s.channelLocked(p["channel"], false)
	if c == nil {
		return nil, slackErr("channel_not_found")
	}
	if _, dm := s.dmUserLocked(c.ID); dm {
		return nil, slackErr("method_not_supported_for_channel_type")
	}
	var ids []string
	for id := range strings.SplitSeq(p["users"], ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, slackErr("no_user")
	}
	var add []string
	var errs []map[string]any
	for _, id := range ids {
		code := ""
		u, known := s.users[id]
		switch {
		case id == BotUserID:
			code = "cant_invite_self"
		case !known:
			code = "user_not_found"
		case u.deleted:
			code = "user_is_deactivated"
		case slices.Contains(c.Members, id) || slices.Contains(add, id):
			code = "already_in_channel"
		}
		if code != "" {
			errs = append(errs, map[string]any{"user": id, "ok": false, "error": code})
			continue
		}
		add = append(add, id)
	}
	if len(errs) > 0 && p["force"] != "true" {
		return nil, &apiError{code: errs[0]["error"].(string), extra: map[string]any{"errors": errs}}
	}
	c.Members = append(c.Members, add...)
	res := map[string]any{"channel": s.channelJSONLocked(c)}
	if len(errs) > 0 {
		res["errors"] = errs
	}
	return res, nil
}

func (s *Server) setTopicOrPurpose(p params, field string) (map[string]any, error) {
	c := s.channelLocked(p["channel"], false)
	if c == nil {
		return nil, slackErr("channel_not_found")
	}
	v := p[field]
	if utf8.RuneCountInString(v) > maxTopic {
		return nil, slackErr("too_long")
	}
	if field == "topic" {
		c.Topic = v
	} else {
		c.Purpose = v
	}
	return map[string]any{"channel": s.channelJSONLocked(c)}, nil
}

// channelLocked finds a channel by id, by "#name", or, if openDM, by a user
// id, which stands for the bot's direct-message channel with that user
// (opened on first use). It returns nil if there is none.
func (s *Server) channelLocked(ref string, openDM bool) *Channel {
	if c, ok := s.channels[ref]; ok {
		return c
	}
	if name, ok := strings.CutPrefix(ref, "#"); ok {
		return s.channelByNameLocked(name)
	}
	if !openDM {
		return nil
	}
	if id, ok := s.dms[ref]; ok {
		return s.channels[id]
	}
	if _, ok := s.users[ref]; !ok || ref == BotUserID {
		return nil
	}
	c := &Channel{ID: s.nextIDLocked('D'), Private: true, Members: []string{BotUserID, ref}}
	s.channels[c.ID] = c
	s.dms[ref] = c.ID
	return c
}

// dmUserLocked returns the user a direct-message channel is with.
func (s *Server) dmUserLocked(channelID string) (string, bool) {
	for u, id := range s.dms {
		if id == channelID {
			return u, true
		}
	}
	return "", false
}

// channelJSONLocked renders a channel like conversations.create/info do.
func (s *Server) channelJSONLocked(c *Channel) map[string]any {
	textField := func(v string) map[string]any {
		m := map[string]any{"value": v, "creator": "", "last_set": 0}
		if v != "" {
			m["creator"], m["last_set"] = BotUserID, created
		}
		return m
	}
	_, dm := s.dmUserLocked(c.ID)
	out := map[string]any{
		"id":          c.ID,
		"created":     created,
		"is_channel":  !dm,
		"is_group":    false,
		"is_im":       dm,
		"is_mpim":     false,
		"is_private":  c.Private,
		"is_archived": false,
		"is_general":  false,
		"is_shared":   false,
		"is_member":   slices.Contains(c.Members, BotUserID),
		"num_members": len(c.Members),
	}
	if dm {
		other, _ := s.dmUserLocked(c.ID)
		out["user"] = other
		return out
	}
	out["name"] = c.Name
	out["name_normalized"] = c.Name
	out["creator"] = BotUserID
	out["topic"] = textField(c.Topic)
	out["purpose"] = textField(c.Purpose)
	return out
}
