// Package fakeslack is a stateful fake of the Slack Web API and of Slack's
// Socket Mode endpoint, for tests that run the real bot (slack-go) against a
// local httptest server speaking Slack's wire format.
//
// Every Server is independent (no package-level state), so tests using it can
// run in parallel. All methods are safe for concurrent use.
//
// Routes on the test server:
//
//	/api/{method}          the Web API (URL() points here, for slack.OptionAPIURL)
//	/ws?ticket=…           the Socket Mode websocket (handed out by apps.connections.open)
//	/upload/v1/{file_id}   upload URLs from files.getUploadURLExternal
//	/response/{id}         response_url endpoints (ResponseURL)
//
// Web API methods: auth.test, users.info, users.lookupByEmail, conversations.create, .info,
// .invite, .setTopic, .setPurpose, chat.postMessage, .update, .postEphemeral,
// pins.add, views.open, files.getUploadURLExternal, .completeUploadExternal
// and apps.connections.open. Others answer 404, which slack-go reports as a
// StatusCodeError. Calls need a token ("Authorization: Bearer" or a token
// argument): none gives not_authed, an "xapp-" token not_allowed_token_type,
// anything but "xoxb-"/"xoxp-" invalid_auth.
//
// Where Slack's behaviour is not documented the fake picks one and says so
// on the method: conversations.invite is all-or-nothing, a thread_ts naming
// a reply stands for its parent's thread, a user id as a channel means the
// bot's direct-message channel with that user.
package fakeslack

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"
)

// The identity of the bot and workspace the fake answers for.
const (
	BotUserID = "UBOT"
	BotID     = "BBOT"
	BotName   = "muster"
	TeamID    = "T0001"
	TeamName  = "Muster Test"
	AppID     = "A0001"
)

// Channel is a conversation as the fake knows it. Direct messages have an id
// starting with "D" and no name.
type Channel struct {
	ID      string
	Name    string
	Private bool
	Topic   string
	Purpose string
	Members []string
}

// Message is a message posted to a channel, with its current content (after
// any chat.update). User is the recipient of an ephemeral message, or the
// author of a message added with AddMessage; it is empty for the bot's own
// messages.
type Message struct {
	Channel   string
	TS        string
	ThreadTS  string
	User      string
	Text      string
	Blocks    json.RawMessage
	Ephemeral bool
	Updates   int  // chat.update calls that changed it
	Pinned    bool // pins.add
}

// Response is one POST to a response_url.
type Response struct {
	ID   string
	Body json.RawMessage
}

// File is a file uploaded through files.getUploadURLExternal and the upload URL.
// Completed is set by files.completeUploadExternal, which also sets Channel
// (empty if the file was not shared) and ThreadTS.
type File struct {
	ID             string
	Name           string
	Title          string
	Length         int // the length announced to files.getUploadURLExternal
	Content        []byte
	Uploaded       bool
	Channel        string
	ThreadTS       string
	InitialComment string
	Completed      bool
}

// Call is one Web API call. Params holds the form or JSON body fields (nested
// JSON values as their JSON text), without the token.
type Call struct {
	Method string
	Params map[string]string
	Status int
	Error  string
}

// Failure describes an injected failure. Status 0 (or 200) answers HTTP 200
// with {"ok":false,"error":Error}; 429 answers {"ok":false,"error":"ratelimited"}
// with a Retry-After header when RetryAfter > 0; any other status answers that
// status with a short text body.
type Failure struct {
	Status     int
	RetryAfter int
	Error      string
}

// Ack is a Socket Mode acknowledgement written by the client.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage
}

type user struct {
	id, name string
	email    string
	deleted  bool
	bot      bool
}

type message struct {
	Message
	author string // user id of the author; BotUserID for the bot's messages
}

type pendingFailure struct {
	f         Failure
	remaining int
}

// Server is a fake Slack. Create it with New and stop it with Close.
type Server struct {
	srv *httptest.Server

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced whenever acks or connections change
	closed    bool
	users     map[string]*user
	channels  map[string]*Channel
	dms       map[string]string // user id -> DM channel id
	messages  []*message
	byTS      map[string]*message // channel + "\x00" + ts → message, so a long run stays fast
	responses []Response
	views     []json.RawMessage
	files     []*File
	calls     []Call
	failures  map[string][]*pendingFailure
	seq       map[byte]int // next number per id prefix (C, D, F, V)
	tsSeq     int

	// Socket Mode
	appToken     string
	tickets      map[string]bool
	current      *wsConn
	live         map[*wsConn]bool
	connected    int
	acks         []Ack
	pingInterval time.Duration
	connectWait  time.Duration
}

// New starts a fake Slack on 127.0.0.1. The bot user (BotUserID) exists and
// is known to users.info.
func New() *Server {
	s := &Server{
		changed:      make(chan struct{}),
		users:        map[string]*user{BotUserID: {id: BotUserID, name: BotName, bot: true}},
		channels:     map[string]*Channel{},
		dms:          map[string]string{},
		failures:     map[string][]*pendingFailure{},
		seq:          map[byte]int{},
		tickets:      map[string]bool{},
		live:         map[*wsConn]bool{},
		pingInterval: 5 * time.Second,
		connectWait:  5 * time.Second,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/ws", s.serveWebsocket)
	mux.HandleFunc("/upload/v1/", s.serveUpload)
	mux.HandleFunc("/response/", s.serveResponseURL)
	s.srv = httptest.NewServer(mux)
	return s
}

// URL is the Web API base URL, ending in "/", for slack.OptionAPIURL.
func (s *Server) URL() string { return s.srv.URL + "/api/" }

// Close closes open websocket connections and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	conns := make([]*wsConn, 0, len(s.live))
	for c := range s.live {
		conns = append(conns, c)
	}
	s.current = nil
	s.broadcastLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	s.srv.Close()
}

// broadcastLocked wakes everyone waiting on s.changed. Call with s.mu held.
func (s *Server) broadcastLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// nextIDLocked returns the next free id with the prefix, e.g. "C0001".
func (s *Server) nextIDLocked(prefix byte) string {
	for {
		s.seq[prefix]++
		id := fmt.Sprintf("%c%04d", prefix, s.seq[prefix])
		if _, taken := s.channels[id]; !taken {
			return id
		}
	}
}

// nextTSLocked returns a strictly increasing message timestamp.
func (s *Server) nextTSLocked() string {
	s.tsSeq++
	micros := s.tsSeq * 100
	return fmt.Sprintf("%d.%06d", 1700000000+micros/1000000, micros%1000000)
}

// AddUser adds a user known to users.info and invitable to channels.
func (s *Server) AddUser(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = &user{id: id, name: name}
}

// SetEmail gives a user an e-mail address, found by users.lookupByEmail.
func (s *Server) SetEmail(id, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[id]; ok {
		u.email = email
		return
	}
	s.users[id] = &user{id: id, name: id, email: email}
}

// DeactivateUser marks a user deleted: users.info reports deleted:true and
// inviting the user fails with user_is_deactivated.
func (s *Server) DeactivateUser(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[id]; ok {
		u.deleted = true
		return
	}
	s.users[id] = &user{id: id, name: id, deleted: true}
}

// AddChannel adds an existing channel. The bot is its first member, so it can
// post there and invite to it.
func (s *Server) AddChannel(id, name string, private bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[id] = &Channel{ID: id, Name: name, Private: private, Members: []string{BotUserID}}
}

// JoinChannel makes a user a member of a channel without an API call (for
// already_in_channel and postEphemeral set-ups). It does nothing for an
// unknown channel or a user already in it.
func (s *Server) JoinChannel(channelID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[channelID]
	if !ok || slices.Contains(c.Members, userID) {
		return
	}
	c.Members = append(c.Members, userID)
}

// AddMessage adds a message written by a user (not the bot) and returns its
// ts, e.g. to start a thread under it or to check cant_update_message.
func (s *Server) AddMessage(channelID, userID, text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.nextTSLocked()
	s.addMessageLocked(&message{
		Message: Message{Channel: channelID, TS: ts, User: userID, Text: text},
		author:  userID,
	})
	return ts
}

// Channel returns a copy of the channel with that id.
func (s *Server) Channel(id string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[id]
	if !ok {
		return Channel{}, false
	}
	return copyChannel(c), true
}

// ChannelByName returns a copy of the channel with that name.
func (s *Server) ChannelByName(name string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.channelByNameLocked(name); c != nil {
		return copyChannel(c), true
	}
	return Channel{}, false
}

func (s *Server) channelByNameLocked(name string) *Channel {
	for _, c := range s.channels {
		if c.Name != "" && c.Name == name {
			return c
		}
	}
	return nil
}

// Messages returns the messages of a channel in post order. A user id stands
// for the bot's direct-message channel with that user.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if dm, ok := s.dms[channel]; ok {
		channel = dm
	}
	var out []Message
	for _, m := range s.messages {
		if m.Channel == channel {
			c := m.Message
			c.Blocks = append(json.RawMessage(nil), m.Blocks...)
			out = append(out, c)
		}
	}
	return out
}

// Responses returns the posts to response URLs, in order.
func (s *Server) Responses() []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Response(nil), s.responses...)
}

// ResponseURL returns a response_url on this server; what is posted to it is
// recorded in Responses under id.
func (s *Server) ResponseURL(id string) string { return s.srv.URL + "/response/" + id }

// Views returns the views opened with views.open (the "view" objects sent).
func (s *Server) Views() []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]json.RawMessage(nil), s.views...)
}

// Files returns the files announced with files.getUploadURLExternal, in order.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]File, len(s.files))
	for i, f := range s.files {
		out[i] = *f
		out[i].Content = append([]byte(nil), f.Content...)
	}
	return out
}

// Calls returns every Web API call, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		out[i] = c
		out[i].Params = maps.Clone(c.Params)
	}
	return out
}

// CallsTo returns the calls to one method, in order.
func (s *Server) CallsTo(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Method == method {
			c.Params = maps.Clone(c.Params)
			out = append(out, c)
		}
	}
	return out
}

// Fail makes the next `times` calls to method fail with f, before any other
// handling (authentication included). Failures queue up in the order given.
func (s *Server) Fail(method string, times int, f Failure) {
	if times <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = append(s.failures[method], &pendingFailure{f: f, remaining: times})
}

// Heal drops the failures still queued for method: Slack is back.
func (s *Server) Heal(method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.failures, method)
}

func copyChannel(c *Channel) Channel {
	out := *c
	out.Members = append([]string(nil), c.Members...)
	return out
}
