package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/commands"
	"github.com/muster-bot/muster/store"
	"github.com/muster-bot/muster/templates"
)

// t0 is when every test's clock starts: 3 AM, as incidents like it.
var t0 = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

const (
	platformName = "fake"
	lobby        = "lobby"    // an ordinary room where people type commands
	announceRoom = "announce" // the stakeholders' room
)

// Compile-time checks that the fake offers every capability the bot looks for.
var (
	_ bot.Platform    = (*fakePlatform)(nil)
	_ bot.RoomCreator = (*fakePlatform)(nil)
	_ bot.Inviter     = (*fakePlatform)(nil)
	_ bot.Topicker    = (*fakePlatform)(nil)
	_ bot.Announcer   = (*fakePlatform)(nil)
)

// fakeClock is the time every part of the bot reads. Tests move it; nothing
// sleeps.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// call is one call the bot made on the fake platform. Err is what the
// fake answered; failed calls are recorded too.
type call struct {
	Method  string // Post, Update, Private, CreateRoom, Invite, SetTopic
	Room    string // room posted to, updated, invited to; for CreateRoom the new id
	ID      string // id returned by Post, or the message id given to Update
	User    string // Private's user
	Msg     muster.Message
	Name    string // CreateRoom's name
	Private bool   // CreateRoom's private flag
	Users   []string
	Topic   string
	Err     error
}

// fakePlatform records what the bot asks of a chat platform. It can be told
// to fail a method (in one room or everywhere) and that room names are
// taken.
type fakePlatform struct {
	mu    sync.Mutex
	calls []call
	seq   int
	taken map[string]bool             // room names in use; CreateRoom adds to it
	fails map[string]map[string]error // method → room ("" for any) → error
	// afterPost, when set, runs after each successful Post (outside the
	// lock), as a person who acts on a message the moment it shows.
	afterPost func(room, id string, msg muster.Message)
	// emails are the users' e-mail addresses the platform tells (as
	// Slack's users.info does); a user not in it has none.
	emails map[string]string
}

func (f *fakePlatform) UserEmail(ctx context.Context, user string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.emails[user], nil
}

func newFakePlatform() *fakePlatform {
	return &fakePlatform{taken: map[string]bool{}, fails: map[string]map[string]error{}}
}

// fail makes method fail with err, in room only or, with room "", everywhere,
// until heal is called.
func (f *fakePlatform) fail(method, room string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails[method] == nil {
		f.fails[method] = map[string]error{}
	}
	f.fails[method][room] = err
}

func (f *fakePlatform) heal(method string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.fails, method)
}

func (f *fakePlatform) take(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.taken[name] = true
}

// record stores c after deciding whether it fails. Callers hold f.mu.
func (f *fakePlatform) record(c call) error {
	if errs := f.fails[c.Method]; errs != nil {
		if err, ok := errs[c.Room]; ok {
			c.Err = err
		} else if err, ok := errs[""]; ok {
			c.Err = err
		}
	}
	f.calls = append(f.calls, c)
	return c.Err
}

func (f *fakePlatform) Post(ctx context.Context, room string, msg muster.Message) (string, error) {
	f.mu.Lock()
	f.seq++
	id := fmt.Sprintf("m%d", f.seq)
	err := f.record(call{Method: "Post", Room: room, ID: id, Msg: msg})
	after := f.afterPost
	f.mu.Unlock()
	if err != nil {
		return "", err
	}
	if after != nil {
		after(room, id, msg)
	}
	return id, nil
}

func (f *fakePlatform) Update(ctx context.Context, room, id string, msg muster.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record(call{Method: "Update", Room: room, ID: id, Msg: msg})
}

func (f *fakePlatform) Reply(ctx context.Context, ev muster.Event, msg muster.Message) error {
	room, user := ev.Room, ev.User
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record(call{Method: "Private", Room: room, User: user, Msg: msg})
}

func (f *fakePlatform) CreateRoom(ctx context.Context, name string, private bool) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.taken[name] {
		c := call{Method: "CreateRoom", Name: name, Private: private, Err: muster.Errorf(muster.ECONFLICT, "The name %s is taken.", name)}
		f.calls = append(f.calls, c)
		return "", c.Err
	}
	f.seq++
	id := fmt.Sprintf("C%d", f.seq)
	if err := f.record(call{Method: "CreateRoom", Room: id, Name: name, Private: private}); err != nil {
		return "", err
	}
	f.taken[name] = true
	return id, nil
}

func (f *fakePlatform) Invite(ctx context.Context, room string, users []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record(call{Method: "Invite", Room: room, Users: slices.Clone(users)})
}

func (f *fakePlatform) SetTopic(ctx context.Context, room, topic string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record(call{Method: "SetTopic", Room: room, Topic: topic})
}

func (f *fakePlatform) AnnounceRoom() string { return announceRoom }

// mark is the number of calls so far, for since.
func (f *fakePlatform) mark() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// since returns the calls made after mark.
func (f *fakePlatform) since(mark int) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls[mark:])
}

// ok returns the successful calls of method in room ("" for any room).
func (f *fakePlatform) ok(method, room string) []call {
	var out []call
	for _, c := range f.since(0) {
		if c.Method == method && c.Err == nil && (room == "" || c.Room == room) {
			out = append(out, c)
		}
	}
	return out
}

// posted returns the texts successfully posted in room that start with
// prefix: "⏰" for update reminders, "🚨" for escalations, "👤" for the
// no-IC nag.
func (f *fakePlatform) posted(room, prefix string) []string {
	var out []string
	for _, c := range f.ok("Post", room) {
		if strings.HasPrefix(c.Msg.Text, prefix) {
			out = append(out, c.Msg.Text)
		}
	}
	return out
}

// harness is a bot over a real store in a temp dir, the real commands and
// templates, a fake clock and a fake platform.
type harness struct {
	tb    testing.TB
	ctx   context.Context
	path  string
	cfg   bot.Config
	clock *fakeClock
	fp    *fakePlatform
	db    *store.DB
	bot   *bot.Bot
	logs  *syncBuffer // what the bot logged, at info and above
	// catalog is the commands' service catalog; set it, then restart.
	catalog muster.Services
}

// syncBuffer is a log written from the bot's goroutines and read by tests.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testSeverities is the default ladder with pager groups on SEV1 and SEV2,
// so that declaring pulls them in.
func testSeverities() muster.Severities {
	sevs := muster.DefaultSeverities()
	sevs[0].Notify = []string{"oncall-sre", "standing-1"}
	sevs[1].Notify = []string{"oncall-sre"}
	return sevs
}

// newHarness builds the bot; opts adjust its config first. By default the
// no-IC nag is off, so tests of the update reminder see only that.
func newHarness(tb testing.TB, opts ...func(*bot.Config)) *harness {
	tb.Helper()
	cfg := bot.Config{
		Severities: testSeverities(),
		Roles:      muster.DefaultRoles(),
		RoomPrefix: "inc",
		Responders: []string{"standing-1", "standing-2"},
	}
	for _, o := range opts {
		o(&cfg)
	}
	h := &harness{
		tb:    tb,
		ctx:   context.Background(),
		path:  filepath.Join(tb.TempDir(), "muster.db"),
		cfg:   cfg,
		clock: &fakeClock{t: t0},
		fp:    newFakePlatform(),
		logs:  &syncBuffer{},
	}
	h.open()
	return h
}

// open opens the store and builds a bot over it with the current platform.
func (h *harness) open() {
	h.tb.Helper()
	db, err := store.Open(h.path)
	if err != nil {
		h.tb.Fatalf("store.Open: %v", err)
	}
	h.tb.Cleanup(func() { _ = db.Close() })
	pm, err := templates.New("")
	if err != nil {
		h.tb.Fatalf("templates.New: %v", err)
	}
	cmds := commands.New(db, pm, commands.Config{
		Severities:      h.cfg.Severities,
		DefaultSeverity: "SEV3",
		Roles:           h.cfg.Roles,
		Services:        h.catalog,
		Files:           h.cfg.Tracker.Files,
	}, h.clock.Now)
	h.db = db
	h.bot = bot.New(db, cmds, h.cfg, zerolog.New(h.logs).Level(zerolog.InfoLevel), h.clock.Now)
	h.bot.Register(platformName, h.fp)
}

// restart closes the store and starts a new bot on the same file, with a
// new platform that remembers nothing, as after a process restart.
func (h *harness) restart() {
	h.tb.Helper()
	if err := h.db.Close(); err != nil {
		h.tb.Fatalf("close store: %v", err)
	}
	h.fp = newFakePlatform()
	h.open()
}

// at moves the clock to t0+d.
func (h *harness) at(d time.Duration) { h.clock.Set(t0.Add(d)) }

// handle delivers ev from the fake platform and fails the test on error.
func (h *harness) handle(ev muster.Event) {
	h.tb.Helper()
	if err := h.try(ev); err != nil {
		h.tb.Fatalf("Handle(%s %q): %v", ev.Kind, ev.Text, err)
	}
}

func (h *harness) try(ev muster.Event) error {
	ev.Platform = platformName
	return h.bot.Handle(h.ctx, ev)
}

// command runs `/incident text` as user in room.
func (h *harness) command(user, room, text string) {
	h.tb.Helper()
	h.handle(muster.Event{Kind: muster.EventCommand, User: user, Room: room, Text: text})
}

// declare has alice declare an incident from the lobby with the given
// arguments and returns it as stored.
func (h *harness) declare(args string) *muster.Incident {
	h.tb.Helper()
	h.command("alice", lobby, "declare "+args)
	all, err := h.db.Incidents(h.ctx, false)
	if err != nil {
		h.tb.Fatalf("list incidents: %v", err)
	}
	if len(all) == 0 {
		h.tb.Fatalf("declare %s: no incident stored", args)
	}
	return all[len(all)-1]
}

// tick runs the reminders at the clock's time.
func (h *harness) tick() error { return h.bot.Tick(h.ctx, h.clock.Now()) }

// mustTick runs the reminders at t0+d and fails the test on error.
func (h *harness) mustTick(d time.Duration) {
	h.tb.Helper()
	h.at(d)
	if err := h.tick(); err != nil {
		h.tb.Fatalf("Tick at +%s: %v", d, err)
	}
}

func (h *harness) incident(id int) *muster.Incident {
	h.tb.Helper()
	inc, err := h.db.Incident(h.ctx, id)
	if err != nil {
		h.tb.Fatalf("read INC-%d: %v", id, err)
	}
	return inc
}

func (h *harness) timeline(id int) []muster.Entry {
	h.tb.Helper()
	entries, err := h.db.Timeline(h.ctx, id)
	if err != nil {
		h.tb.Fatalf("read timeline of INC-%d: %v", id, err)
	}
	return entries
}

// entries returns the timeline entries of incident id of the given kind.
func (h *harness) entries(id int, kind muster.EntryKind) []muster.Entry {
	h.tb.Helper()
	var out []muster.Entry
	for _, e := range h.timeline(id) {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// snapshot is every incident and timeline in the store, to show that a
// rejected command changed nothing.
func (h *harness) snapshot() string {
	h.tb.Helper()
	all, err := h.db.Incidents(h.ctx, false)
	if err != nil {
		h.tb.Fatalf("list incidents: %v", err)
	}
	var b strings.Builder
	for _, inc := range all {
		v, err := json.Marshal(struct {
			Incident *muster.Incident
			Timeline []muster.Entry
		}{inc, h.timeline(inc.ID)})
		if err != nil {
			h.tb.Fatalf("encode snapshot: %v", err)
		}
		b.Write(v)
		b.WriteByte('\n')
	}
	return b.String()
}
