package fakeslack

import "time"

// SetConnectWait shortens how long Send and Disconnect wait for a
// connection, for tests of the no-connection case.
func (s *Server) SetConnectWait(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.connectWait = d
}
