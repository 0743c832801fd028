package faketeams

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/schema"
)

// Posted is one message the bot sent through the connector.
type Posted struct {
	ID           string // the message id the connector returned
	Conversation string // as addressed, e.g. "19:…@thread.tacv2;messageid=1700000000000"
	ReplyTo      string // the activity id in the path of POST …/activities/{id}; "" otherwise
	Activity     json.RawMessage
	Updates      int // PUTs applied; Activity is the content after the last
}

// ServiceURL is the fake connector's serviceUrl, ending in "/" as Teams
// sends it in activities.
func (s *Server) ServiceURL() string { return s.URL() + "/connector/" }

// Activities returns the messages posted to the channel of
// conversationOrChannel (the part before ";messageid="), whatever thread
// they went to, in the order they were posted.
func (s *Server) Activities(conversationOrChannel string) []Posted {
	ch := channelOf(conversationOrChannel)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Posted
	for _, p := range s.posted {
		if channelOf(p.Conversation) == ch {
			c := *p
			c.Activity = slices.Clone(p.Activity)
			out = append(out, c)
		}
	}
	return out
}

func channelOf(conversationID string) string {
	ch, _, _ := strings.Cut(conversationID, ";messageid=")
	return ch
}

// connectorError answers as the Bot Connector does.
func connectorError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

// checkConnectorAuth answers 401 unless r carries a connector token.
func (s *Server) checkConnectorAuth(w http.ResponseWriter, r *http.Request) bool {
	if s.authorized(r, ConnectorScope) {
		return true
	}
	writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Authorization has been denied for this request."})
	return false
}

// readActivity reads an activity body, keeping its bytes as sent.
func readActivity(w http.ResponseWriter, r *http.Request) (json.RawMessage, bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		connectorError(w, http.StatusBadRequest, "BadArgument", "read body: "+err.Error())
		return nil, false
	}
	var a schema.Activity
	if err := json.Unmarshal(body, &a); err != nil {
		connectorError(w, http.StatusBadRequest, "BadSyntax", "Activity is not valid JSON: "+err.Error())
		return nil, false
	}
	if a.Type == "" {
		connectorError(w, http.StatusBadRequest, "BadArgument", "Activity must have a type.")
		return nil, false
	}
	return bytes.TrimSpace(body), true
}

func (s *Server) newIDLocked() string {
	s.nextID++
	return strconv.FormatInt(s.nextID, 10)
}

// handleCreateConversation is POST v3/conversations: a new thread in the
// channel named by channelData.channel.id, opened with the given activity.
func (s *Server) handleCreateConversation(w http.ResponseWriter, r *http.Request, _ []string) {
	if !s.checkConnectorAuth(w, r) {
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		connectorError(w, http.StatusBadRequest, "BadArgument", "read body: "+err.Error())
		return
	}
	var params schema.ConversationParameters
	var raw struct {
		Activity json.RawMessage `json:"activity"`
	}
	if err := json.Unmarshal(body, &params); err != nil {
		connectorError(w, http.StatusBadRequest, "BadSyntax", "ConversationParameters: "+err.Error())
		return
	}
	_ = json.Unmarshal(body, &raw)
	channel, _ := params.ChannelData["channel"].(map[string]any)
	channelID, _ := channel["id"].(string)
	switch {
	case channelID == "":
		connectorError(w, http.StatusBadRequest, "BadArgument", "channelData.channel.id is required to start a channel conversation.")
		return
	case len(bytes.TrimSpace(raw.Activity)) == 0 || params.Activity.Type == "":
		connectorError(w, http.StatusBadRequest, "BadArgument", "activity with a type is required.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.channels[channelID]; !ok {
		connectorError(w, http.StatusNotFound, "ConversationNotFound", "Conversation not found.")
		return
	}
	id := s.newIDLocked()
	conv := channelID + ";messageid=" + id
	s.posted = append(s.posted, &Posted{ID: id, Conversation: conv, Activity: slices.Clone(bytes.TrimSpace(raw.Activity))})
	writeJSON(w, http.StatusCreated, map[string]any{"id": conv, "activityId": id})
}

// handlePostActivity is POST v3/conversations/{id}/activities and
// POST v3/conversations/{id}/activities/{replyToId}.
func (s *Server) handlePostActivity(w http.ResponseWriter, r *http.Request, args []string) {
	if !s.checkConnectorAuth(w, r) {
		return
	}
	act, ok := readActivity(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.channels[channelOf(args[0])]; !ok {
		connectorError(w, http.StatusNotFound, "ConversationNotFound", "Conversation not found.")
		return
	}
	id := s.newIDLocked()
	s.posted = append(s.posted, &Posted{ID: id, Conversation: args[0], ReplyTo: args[1], Activity: slices.Clone(act)})
	writeJSON(w, http.StatusOK, map[string]any{"id": id})
}

// handlePutActivity is PUT v3/conversations/{id}/activities/{activityId}:
// replaces the content of a message posted in that channel.
func (s *Server) handlePutActivity(w http.ResponseWriter, r *http.Request, args []string) {
	if !s.checkConnectorAuth(w, r) {
		return
	}
	act, ok := readActivity(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := channelOf(args[0])
	for _, p := range s.posted {
		if p.ID == args[1] && channelOf(p.Conversation) == ch {
			p.Activity = slices.Clone(act)
			p.Updates++
			writeJSON(w, http.StatusOK, map[string]any{"id": p.ID})
			return
		}
	}
	connectorError(w, http.StatusNotFound, "ActivityNotFound", "Activity not found.")
}

// handleMembers is GET v3/conversations/{id}/members: the members of the
// channel's team.
// handlePagedMembers answers GET /v3/conversations/{id}/pagedmembers as
// the Bot Connector does: a page of the team's roster ({"members": …,
// "continuationToken": …}), pageSize between 50 and 500 (outside, moved
// to the nearer bound; default 200), the token naming the next page.
func (s *Server) handlePagedMembers(w http.ResponseWriter, r *http.Request, args []string) {
	if !s.checkConnectorAuth(w, r) {
		return
	}
	size := 200
	if v := r.URL.Query().Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			connectorError(w, http.StatusBadRequest, "BadArgument", "pageSize is not a number.")
			return
		}
		size = min(max(n, 50), 500)
	}
	from := 0
	if v := r.URL.Query().Get("continuationToken"); v != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(v, "page-"))
		if err != nil || n < 0 {
			connectorError(w, http.StatusBadRequest, "BadArgument", "continuationToken is not valid.")
			return
		}
		from = n
	}
	s.mu.Lock()
	teamID, ok := s.channels[channelOf(args[0])]
	var members []Member
	if ok {
		members = append(members, s.teams[teamID].members...)
	}
	s.mu.Unlock()
	if !ok {
		connectorError(w, http.StatusNotFound, "ConversationNotFound", "Conversation not found.")
		return
	}
	page := map[string]any{"members": []Member{}}
	if from < len(members) {
		to := min(from+size, len(members))
		page["members"] = members[from:to]
		if to < len(members) {
			page["continuationToken"] = "page-" + strconv.Itoa(to)
		}
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) handleMembers(w http.ResponseWriter, r *http.Request, args []string) {
	if !s.checkConnectorAuth(w, r) {
		return
	}
	s.mu.Lock()
	teamID, ok := s.channels[channelOf(args[0])]
	members := []Member{}
	if ok {
		members = append(members, s.teams[teamID].members...)
	}
	s.mu.Unlock()
	if !ok {
		connectorError(w, http.StatusNotFound, "ConversationNotFound", "Conversation not found.")
		return
	}
	writeJSON(w, http.StatusOK, members)
}
