package fakeslack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

const maxMessageText = 40000

// content reads and checks a message's text and blocks (nil if absent or
// an empty array).
func content(p params) (text string, blocks json.RawMessage, err error) {
	text = p["text"]
	if raw, ok := p["blocks"]; ok && raw != "" {
		if blocks, err = parseBlocks(raw, maxMessageBlocks); err != nil {
			return "", nil, err
		}
	}
	if utf8.RuneCountInString(text) > maxMessageText {
		return "", nil, slackErr("msg_too_long")
	}
	return text, blocks, nil
}

// messageLocked finds a message of a channel by ts.
func (s *Server) messageLocked(channelID, ts string) *message {
	return s.byTS[channelID+"\x00"+ts]
}

// addMessageLocked keeps m, in post order and by channel and ts.
func (s *Server) addMessageLocked(m *message) {
	if s.byTS == nil {
		s.byTS = make(map[string]*message)
	}
	s.messages = append(s.messages, m)
	s.byTS[m.Channel+"\x00"+m.TS] = m
}

// threadLocked checks a thread_ts: it must name a (non-ephemeral) message
// of the channel. A reply's ts stands for its parent's thread.
func (s *Server) threadLocked(channelID, threadTS string) (string, error) {
	if threadTS == "" {
		return "", nil
	}
	parent := s.messageLocked(channelID, threadTS)
	if parent == nil || parent.Ephemeral {
		return "", slackErr("thread_not_found")
	}
	if parent.ThreadTS != "" {
		return parent.ThreadTS, nil
	}
	return threadTS, nil
}

func (s *Server) chatPostMessage(p params) (map[string]any, error) {
	c := s.channelLocked(p["channel"], true)
	if c == nil {
		return nil, slackErr("channel_not_found")
	}
	text, blocks, err := content(p)
	if err != nil {
		return nil, err
	}
	if text == "" && blocks == nil && p["attachments"] == "" {
		return nil, slackErr("no_text")
	}
	threadTS, err := s.threadLocked(c.ID, p["thread_ts"])
	if err != nil {
		return nil, err
	}
	m := &message{
		Message: Message{Channel: c.ID, TS: s.nextTSLocked(), ThreadTS: threadTS, Text: text, Blocks: blocks},
		author:  BotUserID,
	}
	s.addMessageLocked(m)
	return map[string]any{"channel": c.ID, "ts": m.TS, "message": messageJSON(m)}, nil
}

// chatUpdate replaces the text and/or blocks of one of the bot's messages.
// An argument left out keeps its old value; "blocks":"[]" removes blocks.
func (s *Server) chatUpdate(p params) (map[string]any, error) {
	c := s.channelLocked(p["channel"], false)
	if c == nil {
		return nil, slackErr("channel_not_found")
	}
	m := s.messageLocked(c.ID, p["ts"])
	if m == nil || m.Ephemeral {
		return nil, slackErr("message_not_found")
	}
	if m.author != BotUserID {
		return nil, slackErr("cant_update_message")
	}
	text, blocks, err := content(p)
	if err != nil {
		return nil, err
	}
	if _, ok := p["text"]; !ok {
		text = m.Text
	}
	if _, ok := p["blocks"]; !ok {
		blocks = m.Blocks
	}
	if text == "" && blocks == nil && p["attachments"] == "" {
		return nil, slackErr("no_text")
	}
	m.Text, m.Blocks = text, blocks
	m.Updates++
	return map[string]any{"channel": c.ID, "ts": m.TS, "text": m.Text, "message": messageJSON(m)}, nil
}

func (s *Server) chatPostEphemeral(p params) (map[string]any, error) {
	c := s.channelLocked(p["channel"], true)
	if c == nil {
		return nil, slackErr("channel_not_found")
	}
	userID := p["user"]
	if _, ok := s.users[userID]; !ok {
		return nil, slackErr("user_not_found")
	}
	if !slices.Contains(c.Members, userID) {
		return nil, slackErr("user_not_in_channel")
	}
	text, blocks, err := content(p)
	if err != nil {
		return nil, err
	}
	if text == "" && blocks == nil && p["attachments"] == "" {
		return nil, slackErr("no_text")
	}
	m := &message{
		Message: Message{Channel: c.ID, TS: s.nextTSLocked(), ThreadTS: p["thread_ts"], User: userID, Text: text, Blocks: blocks, Ephemeral: true},
		author:  BotUserID,
	}
	s.addMessageLocked(m)
	return map[string]any{"message_ts": m.TS}, nil
}

func (s *Server) pinsAdd(p params) (map[string]any, error) {
	c := s.channelLocked(p["channel"], false)
	if c == nil {
		return nil, slackErr("channel_not_found")
	}
	m := s.messageLocked(c.ID, p["timestamp"])
	if m == nil || m.Ephemeral {
		return nil, slackErr("message_not_found")
	}
	if m.Pinned {
		return nil, slackErr("already_pinned")
	}
	m.Pinned = true
	return map[string]any{}, nil
}

func messageJSON(m *message) map[string]any {
	out := map[string]any{"type": "message", "user": m.author, "text": m.Text, "ts": m.TS, "team": TeamID}
	if m.author == BotUserID {
		out["bot_id"], out["app_id"] = BotID, AppID
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.Blocks != nil {
		out["blocks"] = m.Blocks
	}
	if m.Updates > 0 {
		out["edited"] = map[string]any{"user": m.author, "ts": m.TS}
	}
	return out
}

// viewsOpen records a modal. The view must be a JSON object of type modal
// with a title and at most 100 valid blocks.
func (s *Server) viewsOpen(p params) (map[string]any, error) {
	if p["trigger_id"] == "" {
		return nil, slackErr("invalid_arguments")
	}
	var view map[string]json.RawMessage
	if err := json.Unmarshal([]byte(p["view"]), &view); err != nil {
		return nil, slackErr("invalid_arguments")
	}
	var typ string
	_ = json.Unmarshal(view["type"], &typ)
	if typ != "modal" || view["title"] == nil || view["blocks"] == nil {
		return nil, slackErr("invalid_arguments")
	}
	if _, err := parseBlocks(string(view["blocks"]), maxModalBlocks); err != nil {
		return nil, err
	}
	s.views = append(s.views, json.RawMessage(p["view"]))

	id := s.nextIDLocked('V')
	out := map[string]any{}
	for k, v := range view {
		out[k] = v
	}
	out["id"], out["team_id"], out["app_id"], out["bot_id"] = id, TeamID, AppID, BotID
	out["root_view_id"], out["hash"] = id, fmt.Sprintf("%d.%s", created, id)
	out["state"] = map[string]any{"values": map[string]any{}}
	return map[string]any{"view": out}, nil
}

// serveResponseURL records a JSON post to a response_url and answers
// {"ok":true}. Usage limits (5 posts in 30 minutes) are not enforced.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(r.Body)
	var obj map[string]json.RawMessage
	if err != nil || json.Unmarshal(body, &obj) != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.responses = append(s.responses, Response{ID: strings.TrimPrefix(r.URL.Path, "/response/"), Body: body})
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true}`))
}
