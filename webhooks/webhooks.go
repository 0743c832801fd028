// Package webhooks tells other systems (status pages, ticket systems) of
// every state change of an incident: a signed JSON POST per change to each
// configured URL. The timeline is the outbox: each change it delivers is
// an entry written in the same transaction as the change itself, and how
// far each URL got in each incident is kept in the store. So a restart or
// an endpoint that is down loses nothing; per incident, changes arrive in
// order, and a change is retried (with backoff) until it is accepted.
//
// Each URL has its own queue and goroutine: a receiver that is down or
// hangs delays only its own deliveries.
package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/redact"
)

// Store is what delivery reads and where it keeps its place; *store.DB
// satisfies it, and so does the etcd store's view fenced by the lead
// (etcd.DB.Fenced), through which the leader runs delivery.
type Store interface {
	Incident(ctx context.Context, id int) (*muster.Incident, error)
	Incidents(ctx context.Context, openOnly bool) ([]*muster.Incident, error)
	EntriesAfter(ctx context.Context, id, after, limit int) ([]muster.Entry, error)
	Setting(ctx context.Context, key string) (string, error)
	SetSetting(ctx context.Context, key, value string) error
}

// eventName names the timeline entries that are state changes.
func eventName(k muster.EntryKind) (string, bool) {
	switch k {
	case muster.EntryDeclared, muster.EntrySeverity, muster.EntryStatus, muster.EntryUpdate, muster.EntryResolved, muster.EntryReopened:
		return string(k), true
	case muster.EntryRole, muster.EntryHandoff:
		return "role", true
	case muster.EntryService:
		return "service", true
	}
	return "", false
}

// Event is the JSON body of a delivery.
type Event struct {
	Event string    `json:"event"` // declared, severity, status, role, service, update, resolved, reopened
	At    time.Time `json:"at"`
	Actor *User     `json:"actor,omitempty"` // absent for the bot itself
	// Text is the entry's text, with each mention of a person written
	// "@name" (or "@id" when the name is unknown); Mentions lists them.
	Text     string       `json:"text"`
	Mentions []User       `json:"mentions,omitempty"`
	Seq      int          `json:"seq"` // position in the incident's timeline: deliveries of one incident come in this order
	Incident IncidentInfo `json:"incident"`
}

// User is a person: the chat platform's user id, and the display name
// when it is known.
type User struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// IncidentInfo is the incident as it was right after the event: a
// delivery that comes late (a receiver that was down) still tells the
// state the event left, not the state at delivery.
type IncidentInfo struct {
	ID       int    `json:"id"`
	Ref      string `json:"ref"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	Status   string `json:"status"`
	IC       *User  `json:"ic,omitempty"`
	// Services are the affected services, as the catalog names them;
	// always a list, empty when none.
	Services []string `json:"services"`
	// Drill is true for a game-day incident, so that a receiver (a
	// ticket system, a pager) can leave it be; absent otherwise.
	Drill bool `json:"drill,omitempty"`
}

// SignatureHeader carries "sha256=" + hex(HMAC-SHA256(secret, timestamp +
// "." + body)); TimestampHeader the Unix time it was signed at.
const (
	SignatureHeader = "X-Muster-Signature"
	TimestampHeader = "X-Muster-Timestamp"
)

// Config is what a Deliverer sends, where, and how.
type Config struct {
	URLs   []string
	Secret string
	// Client sends the requests; nil is a client with a 10 s timeout.
	Client *http.Client
	// Names gives a user id's display name, "" when unknown; nil: none
	// are known, and users are sent by id alone.
	Names func(ctx context.Context, id string) string
	// Every is how often each URL's queue looks for new events; 0 is 1s.
	Every time.Duration
}

// Deliverer sends the events.
type Deliverer struct {
	queues []*queue
	secret []byte
	client *http.Client
	names  func(ctx context.Context, id string) string
	every  time.Duration
	now    func() time.Time
	log    zerolog.Logger
}

// queue is one URL's delivery: its goroutine alone touches it.
type queue struct {
	d     *Deliverer
	index int    // the URL's place in the config, which names its cursors
	url   string // where to send
	shown string // url as logs and errors show it, without its tokens
	// retry holds, per incident, when to try again after a failure and
	// how long the last wait was. In memory: a restart retries at once.
	retry map[int]backoff
	// states holds, per incident, its state as of the cursor, so that a
	// timeline is replayed once per process, not once per delivery.
	states map[int]state
	// watch holds the incidents the next step reads besides the open
	// ones: those open at the last step (their resolve is still to be
	// sent) and those with more to send than one step sends.
	watch map[int]bool
	// swept is when the queue last read every incident; zero before.
	swept time.Time
}

// sweepEvery is how often a queue reads every incident, for what happens
// to one neither open nor watched (a role or a service changed on an
// incident resolved long ago, a change made while no replica led). The
// steps between read the open and watched ones alone, so that a long
// history costs delivery nothing every second.
const sweepEvery = time.Hour

type backoff struct {
	at   time.Time
	wait time.Duration
}

// New returns a deliverer for cfg.URLs, signing with cfg.Secret.
func New(cfg Config, now func() time.Time, log zerolog.Logger) *Deliverer {
	d := &Deliverer{secret: []byte(cfg.Secret), client: cfg.Client, names: cfg.Names, every: cfg.Every, now: now, log: log}
	if d.client == nil {
		d.client = &http.Client{Timeout: 10 * time.Second}
	}
	if d.every <= 0 {
		d.every = time.Second
	}
	for i, u := range cfg.URLs {
		d.queues = append(d.queues, &queue{d: d, index: i, url: u, shown: redact.URL(u), retry: map[int]backoff{}, states: map[int]state{}})
	}
	return d
}

// Run delivers the events db holds to every URL, each on its own
// goroutine, until ctx is done. It keeps its place in db: the leader
// passes its fenced store, so that a replica that lost the lead moves no
// cursor.
func (d *Deliverer) Run(ctx context.Context, db Store) {
	var wg sync.WaitGroup
	for _, q := range d.queues {
		wg.Go(func() { q.run(ctx, db) })
	}
	wg.Wait()
}

func (q *queue) run(ctx context.Context, db Store) {
	t := time.NewTicker(q.d.every)
	defer t.Stop()
	for {
		q.step(ctx, db)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Step delivers what is pending in db now, to every URL at once, and
// returns when each is done.
func (d *Deliverer) Step(ctx context.Context, db Store) {
	var wg sync.WaitGroup
	for _, q := range d.queues {
		wg.Go(func() { q.step(ctx, db) })
	}
	wg.Wait()
}

// step delivers what is pending for the queue's URL, incident by
// incident. Private incidents are never sent out.
func (q *queue) step(ctx context.Context, db Store) {
	log := q.d.log.With().Int("webhook", q.index).Str("url", q.shown).Logger()
	now := q.d.now()
	sweep := q.swept.IsZero() || now.Sub(q.swept) >= sweepEvery
	incidents, err := q.incidents(ctx, db, sweep)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn().Err(err).Msg("webhook delivery: list incidents")
		}
		return
	}
	if sweep {
		q.swept = now
	}
	watch := map[int]bool{}
	for _, inc := range incidents {
		if inc.Private {
			continue
		}
		more, err := q.deliver(ctx, db, inc)
		if err != nil && ctx.Err() == nil {
			log.Warn().Err(err).Str("incident", inc.Ref()).Msg("webhook delivery failed; will retry")
		}
		if inc.Open() || more || err != nil {
			watch[inc.ID] = true
		}
	}
	q.watch = watch
}

// incidents are what a step reads: every incident when it sweeps, else
// the open ones and those watched.
func (q *queue) incidents(ctx context.Context, db Store, sweep bool) ([]*muster.Incident, error) {
	if sweep {
		return db.Incidents(ctx, false)
	}
	list, err := db.Incidents(ctx, true)
	if err != nil {
		return nil, err
	}
	seen := map[int]bool{}
	for _, inc := range list {
		seen[inc.ID] = true
	}
	for id := range q.watch {
		if seen[id] {
			continue
		}
		inc, err := db.Incident(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("read watched INC-%d: %w", id, err)
		}
		list = append(list, inc)
	}
	return list, nil
}

// deliver sends what inc holds after the queue's cursor, at most a batch;
// more reports that a full batch was read, so more may wait.
func (q *queue) deliver(ctx context.Context, db Store, inc *muster.Incident) (more bool, err error) {
	key := fmt.Sprintf("webhook.%d.%d", q.index, inc.ID)
	now := q.d.now()
	if b, ok := q.retry[inc.ID]; ok && now.Before(b.at) {
		return true, nil // waits for its retry
	}
	raw, err := db.Setting(ctx, key)
	if err != nil {
		return false, err
	}
	cursor, _ := strconv.Atoi(raw)
	entries, err := db.EntriesAfter(ctx, inc.ID, cursor, deliveryBatch)
	if err != nil || len(entries) == 0 {
		return false, err
	}
	st, err := q.stateAt(ctx, db, inc, cursor)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		next := st
		next.apply(e, inc)
		if name, ok := eventName(e.Kind); ok {
			if err := q.post(ctx, q.d.event(ctx, name, e, inc, next)); err != nil {
				b := q.retry[inc.ID]
				b.wait = min(max(2*b.wait, time.Second), 5*time.Minute)
				b.at = now.Add(b.wait)
				q.retry[inc.ID] = b
				return true, err
			}
		}
		if err := db.SetSetting(ctx, key, strconv.Itoa(e.Seq)); err != nil {
			return true, err
		}
		st = next
		q.states[inc.ID] = st
	}
	delete(q.retry, inc.ID)
	return len(entries) == deliveryBatch, nil
}

// deliveryBatch is how many entries of one incident a step reads.
const deliveryBatch = 100

// stateAt is the incident's state right after entry seq: kept from the
// last delivery, or replayed from the start of the timeline.
func (q *queue) stateAt(ctx context.Context, db Store, inc *muster.Incident, seq int) (state, error) {
	if st, ok := q.states[inc.ID]; ok && st.seq == seq {
		return st, nil
	}
	var st state
	for after := 0; after < seq; {
		entries, err := db.EntriesAfter(ctx, inc.ID, after, min(seq-after, 1000))
		if err != nil {
			return state{}, fmt.Errorf("replay the timeline of %s: %w", inc.Ref(), err)
		}
		if len(entries) == 0 {
			break
		}
		for _, e := range entries {
			if e.Seq <= seq {
				st.apply(e, inc)
			}
		}
		after = entries[len(entries)-1].Seq
	}
	st.seq = seq
	q.states[inc.ID] = st
	return st, nil
}

// state is what an incident's events tell of it as of one entry.
type state struct {
	seq      int
	severity string
	status   muster.Status
	ic       string
	services []string
	// severities and roles count the severity and role entries so far:
	// the incident's SeverityLog and RoleLog hold one change per such
	// entry, in the same order, so the count finds the entry's change.
	severities, roles int
}

// apply moves st past entry e of incident inc.
func (st *state) apply(e muster.Entry, inc *muster.Incident) {
	st.seq = e.Seq
	st.services = muster.ServicesAfter(st.services, e)
	switch e.Kind {
	case muster.EntryDeclared:
		st.severity, st.status, st.ic = inc.Severity, muster.StatusInvestigating, ""
		if len(inc.SeverityLog) > 0 {
			st.severity = inc.SeverityLog[0].From
		}
	case muster.EntrySeverity:
		if st.severities < len(inc.SeverityLog) {
			st.severity = inc.SeverityLog[st.severities].To
		}
		st.severities++
	case muster.EntryRole, muster.EntryHandoff:
		if st.roles < len(inc.RoleLog) {
			if c := inc.RoleLog[st.roles]; c.Role == muster.RoleIC {
				st.ic = c.User
			}
		}
		st.roles++
	case muster.EntryStatus:
		// The entry says "Status changed from X to Y" and nothing else
		// records Y.
		if i := strings.LastIndex(e.Text, " to "); i >= 0 {
			if s, err := muster.ParseStatus(e.Text[i+len(" to "):]); err == nil {
				st.status = s
			}
		}
	case muster.EntryResolved:
		st.status = muster.StatusResolved
	case muster.EntryReopened:
		st.status = muster.StatusInvestigating
	}
}

// event is the body sent for entry e, with the incident as st describes
// it and people by id and name rather than in chat markup.
func (d *Deliverer) event(ctx context.Context, name string, e muster.Entry, inc *muster.Incident, st state) Event {
	ev := Event{
		Event: name, At: e.At, Actor: d.user(ctx, e.Actor), Seq: e.Seq,
		Incident: IncidentInfo{ID: inc.ID, Ref: inc.Ref(), Title: inc.Title, Severity: st.severity, Status: string(st.status), IC: d.user(ctx, st.ic),
			Services: append([]string{}, st.services...), Drill: inc.Drill},
	}
	seen := map[string]bool{}
	ev.Text = muster.ReplaceMentions(e.Text, func(id string) string {
		u := d.user(ctx, id)
		if !seen[id] {
			seen[id] = true
			ev.Mentions = append(ev.Mentions, *u)
		}
		if u.Name != "" {
			return "@" + u.Name
		}
		return "@" + id
	})
	return ev
}

// user is the person with id, named when the name is known; nil for "".
func (d *Deliverer) user(ctx context.Context, id string) *User {
	if id == "" {
		return nil
	}
	u := &User{ID: id}
	if d.names != nil {
		u.Name = strings.Join(strings.Fields(d.names(ctx, id)), " ")
	}
	return u
}

func (q *queue) post(ctx context.Context, ev Event) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	ts := strconv.FormatInt(q.d.now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, q.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook %s: %w", q.shown, redactErr(err, q.shown))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(TimestampHeader, ts)
	req.Header.Set(SignatureHeader, Sign(q.d.secret, ts, body))
	resp, err := q.d.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", q.shown, redactErr(err, q.shown))
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook %s: HTTP %d", q.shown, resp.StatusCode)
	}
	return nil
}

// redactErr replaces the URL net/http puts in its errors (the whole URL,
// tokens included) with shown.
func redactErr(err error, shown string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: shown, Err: ue.Err}
	}
	return err
}

// Sign is the signature receivers check: "sha256=" + hex of the
// HMAC-SHA256 of timestamp + "." + body.
func Sign(secret []byte, ts string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
