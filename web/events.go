package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/muster-bot/muster"
)

// Live updates: GET /incidents/<n>/events streams an open incident's new
// timeline entries and its status, severity and roles as server-sent
// events. It polls the store rather than subscribing, so that it needs
// nothing of the replicas or the store but what the page reads, and each
// connection lives a bounded time: the browser's EventSource reconnects
// with Last-Event-ID and goes on where it stopped.
const (
	livePoll  = time.Second
	liveFor   = 5 * time.Minute
	liveWrite = 10 * time.Second // a client that reads nothing for this long is cut off
	liveBatch = 200              // entries read per poll; a backlog drains over several
)

// liveEntry is an entry as the page's script shows it: already formatted,
// so that the page and its live additions read the same.
type liveEntry struct {
	Seq     int    `json:"seq"`
	Kind    string `json:"kind"`
	At      string `json:"at"`
	When    string `json:"when"`
	Actor   string `json:"actor,omitempty"`
	Text    string `json:"text"`
	Key     bool   `json:"key,omitempty"`
	Deleted bool   `json:"deleted,omitempty"`
}

// liveState is what the page's badges and roles table show.
type liveState struct {
	Status   string    `json:"status"`
	Severity string    `json:"severity"`
	SevClass string    `json:"sevclass"`
	Roles    []roleRow `json:"roles"`
}

// events serves GET /incidents/<n>/events.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	inc, _, err := s.lookup(r)
	if err != nil {
		http.Error(w, s.message(r, err), status(err))
		return
	}
	after, err := lastEventID(r)
	if err != nil {
		http.Error(w, s.message(r, err), status(err))
		return
	}
	if !inc.Open() {
		// 204 tells an EventSource to stop reconnecting: nothing more
		// will come of a resolved incident.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "This server cannot stream events.", http.StatusInternalServerError)
		return
	}
	// The server gives every request a short read and write deadline; a
	// stream lifts both (the read deadline, left, would cancel the request
	// when it passes) and instead bounds each write and its own lifetime.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	ctx, cancel := context.WithTimeout(r.Context(), s.liveFor)
	defer cancel()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // a buffering proxy would hold the events back
	w.WriteHeader(http.StatusOK)
	// retry: how long the browser waits before reconnecting.
	if _, err := fmt.Fprintf(w, "retry: %d\n\n", s.livePoll.Milliseconds()*3); err != nil {
		return
	}
	var last liveState
	who := s.viewer(r) // once: the store is read every tick, the people not
	ticker := time.NewTicker(s.livePoll)
	defer ticker.Stop()
	for {
		var more bool
		more, after, last, err = s.liveStep(ctx, w, inc.ID, after, last, who)
		if err == nil {
			_ = rc.SetWriteDeadline(time.Now().Add(liveWrite))
			flusher.Flush()
		}
		if err != nil || !more {
			if err != nil && ctx.Err() == nil && status(err) == http.StatusInternalServerError {
				s.log.Error().Err(err).Str("path", r.URL.Path).Msg("live incident events")
			}
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-s.stopping:
			return
		case <-ticker.C:
		}
	}
}

// liveStep writes the entries after seq after and the incident's state
// when it changed. more is false once the incident is closed, or no longer
// visible to the viewer: the stream then ends.
func (s *Server) liveStep(ctx context.Context, w http.ResponseWriter, id, after int, last liveState, who []muster.Event) (more bool, _ int, _ liveState, _ error) {
	inc, err := s.store.Incident(ctx, id)
	if err != nil {
		return false, after, last, err
	}
	if !inc.AdmitsAnyOf(who) {
		return false, after, last, nil
	}
	entries, err := s.store.EntriesAfter(ctx, id, after, liveBatch)
	if err != nil {
		return false, after, last, err
	}
	for _, e := range entries {
		if err := writeEvent(w, "entry", strconv.Itoa(e.Seq), s.liveEntry(e)); err != nil {
			return false, after, last, err
		}
		after = e.Seq
	}
	state := liveState{Status: string(inc.Status), Severity: inc.Severity, SevClass: s.sevClass(inc.Severity), Roles: s.roleRows(inc)}
	for i := range state.Roles {
		if state.Roles[i].Holder != "" {
			state.Roles[i].Holder = s.who(state.Roles[i].Holder)
		}
	}
	if !state.equal(last) {
		if err := writeEvent(w, "incident", "", state); err != nil {
			return false, after, last, err
		}
	}
	// A closed incident ends the stream once its last entries are out.
	if !inc.Open() && len(entries) < liveBatch {
		return false, after, state, writeEvent(w, "end", "", struct{}{})
	}
	return true, after, state, nil
}

func (a liveState) equal(b liveState) bool {
	return a.Status == b.Status && a.Severity == b.Severity && slices.Equal(a.Roles, b.Roles)
}

func (s *Server) liveEntry(e muster.Entry) liveEntry {
	le := liveEntry{Seq: e.Seq, Kind: string(e.Kind), At: e.At.UTC().Format(time.RFC3339), When: e.At.UTC().Format(timeLayout),
		Text: muster.ReplaceMentions(e.Text, s.who), Key: e.Key, Deleted: e.Deleted()}
	if e.Actor != "" {
		le.Actor = s.who(e.Actor)
	}
	return le
}

// writeEvent writes one server-sent event. JSON has no raw newline, so
// the data is one line.
func writeEvent(w http.ResponseWriter, event, id string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", event, err)
	}
	if id != "" {
		if _, err := fmt.Fprintf(w, "id: %s\n", id); err != nil {
			return fmt.Errorf("write %s event: %w", event, err)
		}
	}
	if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
		return fmt.Errorf("write %s event: %w", event, err)
	}
	return nil
}

// lastEventID is where the stream starts: the Last-Event-ID a reconnecting
// EventSource sends, else ?after= of the page that opened it.
func lastEventID(r *http.Request) (int, error) {
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, muster.Errorf(muster.EINVALID, "Last-Event-ID %q is not an entry number; give a whole number of 0 or more.", v)
		}
		return n, nil
	}
	return intParam(r, "after", 0)
}
