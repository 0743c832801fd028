package faketeams

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Channel is a channel of a team, as Graph describes it.
type Channel struct {
	ID             string `json:"id"`
	DisplayName    string `json:"displayName"`
	Description    string `json:"description,omitempty"`
	MembershipType string `json:"membershipType"`
}

// Member is a member of a team, as the connector's members call lists it.
type Member struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Email and UserPrincipalName are what the roster tells of a member
	// of a Microsoft Entra tenant (TeamsChannelAccount).
	Email             string `json:"email,omitempty"`
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
}

type team struct {
	channels []Channel
	members  []Member
}

// maxChannelName is Graph's limit on displayName, in characters.
const maxChannelName = 50

// GraphURL is the fake of https://graph.microsoft.com/v1.0.
func (s *Server) GraphURL() string { return s.URL() + "/graph/v1.0" }

// AddTeam makes a team with no channels; teamID is what Graph calls the team
// id (the Microsoft 365 group id). Adding it again changes nothing.
func (s *Server) AddTeam(teamID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.teamLocked(teamID)
}

func (s *Server) teamLocked(teamID string) *team {
	t := s.teams[teamID]
	if t == nil {
		t = &team{}
		s.teams[teamID] = t
	}
	return t
}

// AddChannel adds a standard channel to a team (made if needed), so the
// connector accepts conversations in it.
func (s *Server) AddChannel(teamID, channelID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.teamLocked(teamID)
	t.channels = append(t.channels, Channel{ID: channelID, DisplayName: name, MembershipType: "standard"})
	s.channels[channelID] = teamID
}

// AddMember adds a member to a team; the connector lists them for every
// conversation in the team's channels.
func (s *Server) AddMember(teamID, userID, name string) {
	s.AddPerson(teamID, Member{ID: userID, Name: name})
}

// AddPerson puts m, with its e-mail and user principal name, on the
// team's roster.
func (s *Server) AddPerson(teamID string, m Member) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.teamLocked(teamID)
	t.members = append(t.members, m)
}

// Channels returns the team's channels in the order they were made.
func (s *Server) Channels(teamID string) []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.teams[teamID]; t != nil {
		return append([]Channel(nil), t.channels...)
	}
	return nil
}

func graphError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		"innerError": map[string]any{"date": time.Now().UTC().Format(time.RFC3339), "request-id": randomHex(8)},
	}})
}

// handleCreateChannel is POST /teams/{team-id}/channels. Real Graph's answer
// to a duplicate displayName is unverified; this fake refuses it, compared
// case-insensitively, with 400 NameAlreadyExists.
func (s *Server) handleCreateChannel(w http.ResponseWriter, r *http.Request, args []string) {
	if !s.authorized(r, GraphScope) {
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty or not valid for Microsoft Graph.")
		return
	}
	var in struct {
		DisplayName    string `json:"displayName"`
		Description    string `json:"description"`
		MembershipType string `json:"membershipType"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		graphError(w, http.StatusBadRequest, "BadRequest", "Invalid request body: "+err.Error())
		return
	}
	if in.MembershipType == "" {
		in.MembershipType = "standard"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.teams[args[0]]
	switch {
	case t == nil:
		graphError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("No team found with Group Id %s", args[0]))
		return
	case strings.TrimSpace(in.DisplayName) == "":
		graphError(w, http.StatusBadRequest, "BadRequest", "displayName is required.")
		return
	case utf8.RuneCountInString(in.DisplayName) > maxChannelName:
		graphError(w, http.StatusBadRequest, "BadRequest",
			fmt.Sprintf("Channel name cannot be longer than %d characters.", maxChannelName))
		return
	case in.MembershipType != "standard" && in.MembershipType != "private" && in.MembershipType != "shared":
		graphError(w, http.StatusBadRequest, "BadRequest", "Invalid membershipType "+in.MembershipType)
		return
	}
	for _, c := range t.channels {
		if strings.EqualFold(c.DisplayName, in.DisplayName) {
			graphError(w, http.StatusBadRequest, "NameAlreadyExists", "Channel name already existed, please use other name.")
			return
		}
	}
	c := Channel{
		ID:             "19:" + randomHex(16) + "@thread.tacv2",
		DisplayName:    in.DisplayName,
		Description:    in.Description,
		MembershipType: in.MembershipType,
	}
	t.channels = append(t.channels, c)
	s.channels[c.ID] = args[0]
	writeJSON(w, http.StatusCreated, map[string]any{
		"@odata.context":      s.GraphURL() + "/$metadata#teams('" + args[0] + "')/channels/$entity",
		"id":                  c.ID,
		"displayName":         c.DisplayName,
		"description":         c.Description,
		"membershipType":      c.MembershipType,
		"createdDateTime":     time.Now().UTC().Format(time.RFC3339Nano),
		"isFavoriteByDefault": false,
	})
}

// handleListChannels is GET /teams/{team-id}/channels.
func (s *Server) handleListChannels(w http.ResponseWriter, r *http.Request, args []string) {
	if !s.authorized(r, GraphScope) {
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty or not valid for Microsoft Graph.")
		return
	}
	s.mu.Lock()
	t := s.teams[args[0]]
	var list []Channel
	if t != nil {
		list = append([]Channel{}, t.channels...)
	}
	s.mu.Unlock()
	if t == nil {
		graphError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("No team found with Group Id %s", args[0]))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": list})
}
