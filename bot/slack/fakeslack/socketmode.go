package fakeslack

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Socket Mode: apps.connections.open hands out a one-time ws:// URL; the
// websocket at /ws sends hello, then the frames given to Send, and records
// the acks the client writes back. The server pings every ping interval, as
// slack-go's socketmode client reconnects when pings stop.

const writeTimeout = 5 * time.Second

type wsConn struct {
	conn      *websocket.Conn
	writeMu   sync.Mutex    // gorilla allows one concurrent writer
	done      chan struct{} // closed when the read loop ends
	closeOnce sync.Once
}

func (c *wsConn) write(data []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.conn.WriteMessage(websocket.TextMessage, data)
}

func (c *wsConn) close() { c.closeOnce.Do(func() { _ = c.conn.Close() }) }

// SetAppToken sets the only token apps.connections.open accepts (otherwise
// invalid_auth). Until it is called, any "xapp-" token is accepted.
func (s *Server) SetAppToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appToken = token
}

// SetPingInterval sets how often the server pings each websocket (default
// 5 s); it applies to connections opened afterwards. Keep it below the
// client's socketmode.OptionPingInterval (default 30 s).
func (s *Server) SetPingInterval(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pingInterval = d
}

// Connected returns how many websocket connections have been opened so far.
func (s *Server) Connected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connected
}

// Acks returns the acknowledgements received so far, in order.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ack(nil), s.acks...)
}

// WaitAck waits up to timeout for the ack of an envelope (one received
// earlier counts).
func (s *Server) WaitAck(envelopeID string, timeout time.Duration) (Ack, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		for _, a := range s.acks {
			if a.EnvelopeID == envelopeID {
				s.mu.Unlock()
				return a, nil
			}
		}
		closed, changed := s.closed, s.changed
		s.mu.Unlock()
		if closed {
			return Ack{}, errors.New("fakeslack: server closed")
		}
		select {
		case <-changed:
		case <-timer.C:
			return Ack{}, fmt.Errorf("fakeslack: no ack for envelope %q within %s", envelopeID, timeout)
		}
	}
}

// Send writes one frame to the current connection, waiting (up to 5 s) for
// one if there is none. A []byte, json.RawMessage or string is sent as is
// (it should be JSON); anything else is marshalled to JSON.
func (s *Server) Send(envelope any) error {
	var data []byte
	switch v := envelope.(type) {
	case []byte:
		data = v
	case json.RawMessage:
		data = v
	case string:
		data = []byte(v)
	default:
		var err error
		if data, err = json.Marshal(v); err != nil {
			return fmt.Errorf("fakeslack: marshal envelope: %w", err)
		}
	}
	c, err := s.waitConn()
	if err != nil {
		return err
	}
	if err := c.write(data); err != nil {
		return fmt.Errorf("fakeslack: write frame: %w", err)
	}
	return nil
}

// Disconnect sends {"type":"disconnect","reason":reason} on the current
// connection (waiting for one like Send), then closes it, so that the client
// opens a new one. Frames sent afterwards go to the new connection.
func (s *Server) Disconnect(reason string) error {
	c, err := s.waitConn()
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.current == c {
		s.current = nil
	}
	s.mu.Unlock()
	frame, _ := json.Marshal(map[string]any{
		"type": "disconnect", "reason": reason, "debug_info": map[string]any{"host": "fakeslack"},
	})
	err = c.write(frame)
	if err == nil {
		// The client may already have hung up on reading the disconnect frame,
		// so a failed close frame is no error.
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, reason)
		_ = c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeTimeout))
	}
	// Give the client a moment to read the frames and hang up itself.
	select {
	case <-c.done:
	case <-time.After(time.Second):
	}
	c.close()
	if err != nil {
		return fmt.Errorf("fakeslack: disconnect: %w", err)
	}
	return nil
}

// waitConn returns the current connection, waiting up to s.connectWait.
func (s *Server) waitConn() (*wsConn, error) {
	s.mu.Lock()
	timer := time.NewTimer(s.connectWait)
	s.mu.Unlock()
	defer timer.Stop()
	for {
		s.mu.Lock()
		c, closed, changed := s.current, s.closed, s.changed
		s.mu.Unlock()
		switch {
		case closed:
			return nil, errors.New("fakeslack: server closed")
		case c != nil:
			return c, nil
		}
		select {
		case <-changed:
		case <-timer.C:
			return nil, errors.New("fakeslack: no Socket Mode connection")
		}
	}
}

func (s *Server) appsConnectionsOpen(params) (map[string]any, error) {
	s.seq['W']++
	ticket := fmt.Sprintf("ticket-%04d", s.seq['W'])
	s.tickets[ticket] = true
	url := "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/ws?ticket=" + ticket + "&app_id=" + AppID
	return map[string]any{"url": url}, nil
}

func (s *Server) serveWebsocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.tickets[ticket] && !s.closed
	delete(s.tickets, ticket)
	s.mu.Unlock()
	if !valid {
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	// slack-go sends Origin: https://api.slack.com, which the default check rejects.
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &wsConn{conn: conn, done: make(chan struct{})}
	defer c.close()

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.live[c] = true
	interval := s.pingInterval
	hello, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": len(s.live),
		"debug_info": map[string]any{
			"host": "fakeslack", "build_number": 1, "approximate_connection_time": 3600,
		},
		"connection_info": map[string]any{"app_id": AppID},
	})
	s.mu.Unlock()

	if err := c.write(hello); err == nil {
		s.mu.Lock()
		s.connected++
		s.current = c
		s.broadcastLocked()
		s.mu.Unlock()
		go c.ping(interval)
		s.readAcks(c)
	}
	close(c.done)

	s.mu.Lock()
	delete(s.live, c)
	if s.current == c {
		s.current = nil
	}
	s.broadcastLocked()
	s.mu.Unlock()
}

// ping pings the client every interval until the connection ends.
func (c *wsConn) ping(interval time.Duration) {
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			if c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)) != nil {
				return
			}
		}
	}
}

// readAcks records every frame with an envelope_id until the connection ends.
func (s *Server) readAcks(c *wsConn) {
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			continue
		}
		s.mu.Lock()
		s.acks = append(s.acks, Ack{EnvelopeID: ack.EnvelopeID, Payload: ack.Payload})
		s.broadcastLocked()
		s.mu.Unlock()
	}
}
