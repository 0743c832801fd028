package bot

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/commands"
)

// settle does what a command's private reply depends on, and returns the
// reply: a new incident's war room is opened first, so that the declarer
// is told where it is (or why there is none).
func (b *Bot) settle(ctx context.Context, p Platform, ev muster.Event, out *commands.Outcome) *muster.Message {
	if out.Happened != commands.Declared {
		return out.Reply
	}
	var told string
	out.Incident, told = b.openWarRoom(ctx, p, ev, out.Incident, out.Invite)
	if told == "" {
		return out.Reply
	}
	return &muster.Message{Text: told}
}

// deliver says what a command decided to say, after its reply. The change
// itself is already durable; a delivery step that fails is logged and,
// where people would otherwise not notice, reported in the room, and the
// rest goes on.
func (b *Bot) deliver(ctx context.Context, p Platform, ev muster.Event, req *commands.Request, out *commands.Outcome) {
	for _, err := range out.Warnings {
		b.log.Error().Err(err).Str("command", req.Call.Verb).Msg("command finished with a problem")
	}
	inc := out.Incident
	if inc == nil {
		return
	}
	room := workRoom(inc)
	if room == "" && !inc.Private {
		room = ev.Room
	}
	var failed error
	queued := false
	for _, msg := range out.Room {
		if room == "" {
			// A private incident without a room of its own: what would
			// go there goes to the sender alone, never to a more public
			// place.
			b.try(inc, "reply privately", func() error { return b.reply(ctx, p, ev, inc, msg) })
			continue
		}
		b.try(inc, "post in the war room", func() error {
			_, q, err := b.post(ctx, p, inc, room, msg, recordNone, false)
			if err != nil && failed == nil {
				failed, queued = err, q
			}
			return err
		})
		if msg.File != nil {
			b.try(inc, "export the postmortem draft", func() error { return b.export(inc, msg.File) })
		}
	}
	if room != "" && len(out.Room) > 0 && out.Happened != commands.Declared && ev.User != "" {
		// Tell the sender the truth: the change is saved either way, but
		// the room may not show it. Typed outside the war room, the
		// sender would otherwise see nothing happen.
		text := ""
		switch {
		case failed != nil:
			text = commands.PostFailed(inc, firstLine(out.Room[0]), b.link(p, inc), muster.ErrorMessage(failed), queued)
		case room != ev.Room && !inc.InRoom(ev):
			text = commands.Posted(firstLine(out.Room[0]), b.link(p, inc))
		}
		if text != "" {
			b.try(inc, "confirm privately", func() error { return b.reply(ctx, p, ev, inc, muster.Message{Text: text}) })
		}
	}
	if out.Happened == commands.Changed {
		b.refreshHeader(ctx, p, inc)
	}
	if len(out.Invite) > 0 && out.Happened != commands.Declared && inc.Room != "" {
		if inc.Private { // the invited become members, also outside the room
			b.try(inc, "record the invited", func() error {
				_, _, err := b.store.Update(ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
					i.Invite(out.Invite...)
					return nil, nil
				})
				return err
			})
		}
		b.invite(ctx, p, inc, out.Invite)
	}
	for _, msg := range out.Announce {
		b.announce(ctx, p, inc, msg)
	}
	b.mirrorIfBehind(ctx, inc)
	b.queuePages(ctx, inc)
	if out.Happened == commands.Changed {
		b.schedulePostmortem(ctx, inc, b.now())
	}
}

// reply answers the sender of ev alone. On a platform whose replies the
// whole room sees (Teams), an answer to a member about a private incident
// asked from outside its room goes to its room instead, and nowhere when
// it has none. (Anyone else is only ever told that there is no such
// incident, which may be said anywhere.)
func (b *Bot) reply(ctx context.Context, p Platform, ev muster.Event, inc *muster.Incident, msg muster.Message) error {
	if publicReply(p, ev, inc) {
		if inc.Room == "" {
			b.log.Info().Str("incident", inc.Ref()).Msg("answer about a private incident withheld: the platform has no private replies and the incident no room")
			return nil
		}
		ev.Room, ev.ReplyTo, ev.Thread = inc.Room, inc.Room, ""
	}
	return p.Reply(ctx, ev, msg)
}

// publicReply reports whether an answer to ev about inc would be seen by
// the whole room it was asked in, and may not be: see reply.
func publicReply(p Platform, ev muster.Event, inc *muster.Incident) bool {
	pr, ok := p.(PublicReplier)
	return ok && pr.RepliesArePublic() && inc != nil && inc.Private && !inc.InRoom(ev) && inc.Member(ev.User)
}

// openWarRoom opens the room of a new incident in named steps: make the
// room, record it, bring people in, post the header, announce; and
// returns what to tell the declarer: where to go, or why there is no
// room ("" when the declarer is in it).
func (b *Bot) openWarRoom(ctx context.Context, p Platform, ev muster.Event, inc *muster.Incident, notify []string) (_ *muster.Incident, told string) {
	room, name, err := b.roomFor(ctx, p, ev, inc)
	if err != nil {
		b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("create war room")
		told = commands.RoomFailed(inc, muster.ErrorMessage(err))
	}
	people := slices.Concat([]string{inc.Declarer}, notify, b.cfg.Responders)
	inc = b.recordRoom(ctx, ev, inc, room, name, people)
	if inc.Room != "" && name != "" {
		b.invite(ctx, p, inc, people)
		b.setTopic(ctx, p, inc)
	}
	if where := workRoom(inc); where != "" {
		msg := b.commands.Header(inc)
		header, _, err := b.post(ctx, p, inc, where, msg, recordHeader, false)
		if err != nil {
			b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("post war-room header")
		}
		if header != "" {
			b.sent.seed(headerKey(inc, where, header), headerDigest(msg))
		}
		inc = b.recordMessages(ctx, inc, header, b.announceDeclared(ctx, p, inc))
		// A button pressed on the header before its id was recorded
		// changed the incident but could not redraw it: redraw now (a
		// no-op when nothing changed).
		b.refreshHeader(ctx, p, inc)
	}
	if inc.Room != "" && !inc.InRoom(ev) {
		told = commands.RoomOpened(inc, b.link(p, inc))
	}
	return inc, told
}

// roomFor finds the room a new incident is worked in: a new war room, or
// the room it was declared in when its severity asks for none or the
// platform makes none. A private incident is worked only in a room of its
// own: when none can be made, it gets none (and an error), never the room
// it was declared in.
func (b *Bot) roomFor(ctx context.Context, p Platform, ev muster.Event, inc *muster.Incident) (room, name string, err error) {
	sev, _, _ := b.cfg.Severities.Find(inc.Severity)
	creator, canCreate := p.(RoomCreator)
	if inc.Private {
		if tr, ok := p.(ThreadRoomer); ok {
			if room = tr.ThreadRoom(ev); room == "" {
				return "", "", muster.Errorf(muster.EINVALID, "this platform keeps private incidents in the thread they were declared in, and this message has none")
			}
			return room, "", nil
		}
		if !canCreate {
			return "", "", muster.Errorf(muster.EINVALID, "this platform cannot open private rooms")
		}
		return b.createRoom(ctx, creator, ev.Platform, inc)
	}
	if !sev.WarRoom || !canCreate {
		return "", "", nil
	}
	if room, name, err = b.createRoom(ctx, creator, ev.Platform, inc); err != nil {
		return "", "", err
	}
	return room, name, nil
}

// recordRoom stores where the incident is worked and who was invited,
// which makes them members of a private incident.
func (b *Bot) recordRoom(ctx context.Context, ev muster.Event, inc *muster.Incident, room, name string, people []string) *muster.Incident {
	updated, _, err := b.store.Update(ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
		i.Platform, i.DeclaredIn = ev.Platform, ev.Room
		i.Room, i.RoomName = room, name
		if room != "" {
			i.Invite(people...)
		}
		return nil, nil
	})
	if err != nil {
		b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("record war room")
		return inc
	}
	return updated
}

// announceDeclared tells the stakeholders (never of a private incident)
// and returns the announcement's id, under which updates thread.
func (b *Bot) announceDeclared(ctx context.Context, p Platform, inc *muster.Incident) string {
	ar := b.announceRoom(p, inc)
	if ar == "" {
		return ""
	}
	id, _, err := b.post(ctx, p, inc, ar, b.commands.Announcement(inc, b.link(p, inc)), recordAnnouncement, false)
	if err != nil {
		b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("announce incident")
	}
	return id
}

// recordMessages stores the ids of the header and the announcement, so
// that the header is updated in place and updates thread under the
// announcement.
func (b *Bot) recordMessages(ctx context.Context, inc *muster.Incident, header, announcement string) *muster.Incident {
	if header == "" && announcement == "" {
		return inc
	}
	updated, _, err := b.store.Update(ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
		i.Header, i.Announcement = header, announcement
		return nil, nil
	})
	if err != nil {
		b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("record header and announcement ids")
		return inc
	}
	return updated
}

// createRoom tries the war-room name, then the name with -2, -3, … while
// the platform says it is taken.
func (b *Bot) createRoom(ctx context.Context, creator RoomCreator, platform string, inc *muster.Incident) (id, name string, err error) {
	prefix := b.cfg.RoomPrefix
	if p := b.cfg.RoomPrefixes[platform]; p != "" {
		prefix = p
	}
	if inc.Drill {
		prefix = DrillPrefix // a drill's room is never taken for a real one's
	}
	for suffix := 1; suffix <= 10; suffix++ {
		name = roomName(prefix, inc, b.cfg.RoomDate, suffix)
		id, err = creator.CreateRoom(ctx, name, inc.Private)
		if muster.ErrorCode(err) != muster.ECONFLICT {
			break
		}
	}
	if err != nil {
		return "", "", fmt.Errorf("create room %s: %w", name, err)
	}
	return id, name, nil
}

func (b *Bot) invite(ctx context.Context, p Platform, inc *muster.Incident, people []string) {
	inviter, ok := p.(Inviter)
	if !ok || inc.Room == "" {
		return
	}
	var unique []string
	for _, u := range people {
		if u != "" && !slices.Contains(unique, u) {
			unique = append(unique, u)
		}
	}
	if len(unique) == 0 {
		return
	}
	if err := inviter.Invite(ctx, inc.Room, unique); err != nil {
		b.log.Warn().Err(err).Str("incident", inc.Ref()).Msg("invite responders")
		b.try(inc, "report invite failure", func() error {
			_, err := p.Post(ctx, inc.Room, muster.Message{Text: commands.InviteFailed(muster.ErrorMessage(err))})
			return err
		})
	}
}

// refreshHeader redraws the header message and the topic in place.
func (b *Bot) refreshHeader(ctx context.Context, p Platform, inc *muster.Incident) {
	if room := workRoom(inc); inc.Header != "" && room != "" {
		header := b.commands.Header(inc)
		b.try(inc, "update the header", func() error {
			return b.sent.set(headerKey(inc, room, inc.Header), headerDigest(header), func() error {
				return p.Update(ctx, room, inc.Header, header)
			})
		})
	}
	b.setTopic(ctx, p, inc)
}

func headerKey(inc *muster.Incident, room, id string) string {
	return "header\x00" + inc.Platform + "\x00" + room + "\x00" + id
}

// headerDigest is a digest of the header as sent (muster.Message is plain
// data, so its encoding is faithful): kept for every war room the process
// has seen, it must stay small.
func headerDigest(header muster.Message) string {
	v, _ := json.Marshal(header)
	sum := sha256.Sum256(v)
	return string(sum[:])
}

func (b *Bot) setTopic(ctx context.Context, p Platform, inc *muster.Incident) {
	t, ok := p.(Topicker)
	if !ok || inc.Room == "" {
		return
	}
	topic := commands.Topic(inc)
	b.try(inc, "set the topic", func() error {
		return b.sent.set("topic\x00"+inc.Platform+"\x00"+inc.Room, topic, func() error { return t.SetTopic(ctx, inc.Room, topic) })
	})
}

// sent remembers what was last sent for each of a war room's topic and
// header, so that a change that leaves one as it was does not send it
// again. A topic, above all: Slack posts "set the channel topic" in the
// room every time, and allows a workspace only about twenty topic
// changes a minute. A header changes with most commands, but not with,
// say, a second update in the same minute.
type sent struct {
	items sync.Map // key → *sentItem
}

type sentItem struct {
	mu   sync.Mutex // one send in flight per item, so last is what the room shows
	last string
}

// set calls send unless value is the one last sent for key, and
// remembers it once sent. A process that restarts sends each once more.
// seed records value as sent under key without sending it.
func (s *sent) seed(key, value string) {
	v, _ := s.items.LoadOrStore(key, new(sentItem))
	it := v.(*sentItem)
	it.mu.Lock()
	it.last = value
	it.mu.Unlock()
}

func (s *sent) set(key, value string, send func() error) error {
	v, _ := s.items.LoadOrStore(key, new(sentItem))
	it := v.(*sentItem)
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.last == value {
		return nil
	}
	if err := send(); err != nil {
		return err
	}
	it.last = value
	return nil
}

// announce posts to the stakeholders' room, threaded under the incident's
// announcement. Private incidents are never announced.
func (b *Bot) announce(ctx context.Context, p Platform, inc *muster.Incident, msg muster.Message) {
	room := b.announceRoom(p, inc)
	if room == "" {
		return
	}
	msg.Thread = inc.Announcement
	if inc.Drill {
		msg = drillMarked(msg)
	}
	b.try(inc, "announce", func() error { _, _, err := b.post(ctx, p, inc, room, msg, recordNone, true); return err })
}

// drillMarked marks a message to the stakeholders about a drill as one, so
// that a threaded update read alone is not taken for a real outage.
func drillMarked(msg muster.Message) muster.Message {
	switch {
	case strings.HasPrefix(msg.Title, muster.DrillMark), strings.HasPrefix(msg.Text, muster.DrillMark):
	case msg.Title != "":
		msg.Title = muster.DrillMark + " · " + msg.Title
	default:
		msg.Text = muster.DrillMark + " · " + msg.Text
	}
	return msg
}

func (b *Bot) announceRoom(p Platform, inc *muster.Incident) string {
	a, ok := p.(Announcer)
	if !ok || inc.Private {
		return ""
	}
	return a.AnnounceRoom()
}

func (b *Bot) link(p Platform, inc *muster.Incident) string {
	if l, ok := p.(RoomLinker); ok && inc.Room != "" {
		return l.RoomLink(inc.Room, inc.RoomName)
	}
	if inc.RoomName != "" {
		return "#" + inc.RoomName
	}
	return inc.Ref()
}

// try runs one delivery step and logs its failure with the incident, so
// an operator can follow one incident through the log.
func (b *Bot) try(inc *muster.Incident, what string, step func() error) {
	if err := step(); err != nil {
		ev := b.log.Warn().Err(err)
		if inc != nil {
			ev = ev.Str("incident", inc.Ref())
		}
		ev.Msg(what)
	}
}

func firstLine(m muster.Message) string {
	s := m.Title
	if s == "" {
		s = m.Text
	}
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// workRoom is where an incident is worked: its war room, or the room it
// was declared in when it has none. A private incident is worked only in
// a room of its own, so without one it has none.
func workRoom(inc *muster.Incident) string {
	if inc.Room != "" || inc.Private {
		return inc.Room
	}
	return inc.DeclaredIn
}

// export writes a postmortem draft to the export directory as
// INC-<n>-<slug>.md (INC-<n>.md for a private incident, whose title must
// not show in a listing), replacing the previous draft of the incident:
// written to a temporary file and renamed, so a reader never sees half a
// draft. The directory is the operator's and muster's alone (0700), since
// drafts hold everything said in the war rooms.
func (b *Bot) export(inc *muster.Incident, f *muster.File) error {
	if b.cfg.ExportDir == "" {
		return nil
	}
	if err := os.MkdirAll(b.cfg.ExportDir, 0o700); err != nil {
		return fmt.Errorf("export %s: %w", inc.Ref(), err)
	}
	if err := os.Chmod(b.cfg.ExportDir, 0o700); err != nil {
		return fmt.Errorf("export %s: %w", inc.Ref(), err)
	}
	name := inc.Ref()
	if s := slug(inc.Title); s != "" && !inc.Private {
		name += "-" + s
	}
	path := filepath.Join(b.cfg.ExportDir, name+".md")
	tmp, err := os.CreateTemp(b.cfg.ExportDir, "."+inc.Ref()+"-*.md")
	if err != nil {
		return fmt.Errorf("export %s: %w", inc.Ref(), err)
	}
	_, werr := tmp.Write(f.Content)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("export %s: %w", inc.Ref(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("export %s: %w", inc.Ref(), err)
	}
	return nil
}
