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

// deliver says what a command decided to say. The change itself is
// already durable; a delivery step that fails is logged and, where people
// would otherwise not notice, reported in the room, and the rest goes on.
func (b *Bot) deliver(ctx context.Context, p Platform, ev muster.Event, req *commands.Request, out *commands.Outcome) {
	for _, err := range out.Warnings {
		b.log.Error().Err(err).Str("command", req.Call.Verb).Msg("command finished with a problem")
	}
	if out.Declared {
		out.Incident = b.openWarRoom(ctx, p, ev, out.Incident, out.Invite)
	}
	if out.Reply != nil && ev.User != "" {
		b.try(out.Incident, "reply privately", func() error { return p.Reply(ctx, ev, *out.Reply) })
	}
	inc := out.Incident
	if inc == nil {
		return
	}
	room := workRoom(inc)
	if room == "" {
		room = ev.Room
	}
	for _, msg := range out.Room {
		b.try(inc, "post in the war room", func() error { _, err := p.Post(ctx, room, msg); return err })
		if msg.File != nil {
			b.try(inc, "export the postmortem draft", func() error { return b.export(inc, msg.File) })
		}
	}
	if room != ev.Room && len(out.Room) > 0 && !out.Declared && ev.User != "" {
		// Typed outside the war room: confirm to the sender, who would
		// otherwise see nothing happen.
		done := fmt.Sprintf("Done: %s — posted in %s.", firstLine(out.Room[0]), b.link(p, inc))
		b.try(inc, "confirm privately", func() error { return p.Reply(ctx, ev, muster.Message{Text: done}) })
	}
	if out.Header && !out.Declared {
		b.refreshHeader(ctx, p, inc)
	}
	if len(out.Invite) > 0 && !out.Declared && inc.Room != "" {
		b.invite(ctx, p, inc, out.Invite)
	}
	for _, msg := range out.Announce {
		b.announce(ctx, p, inc, msg)
	}
}

// openWarRoom creates the war room of a new incident, invites its people,
// posts the header and the announcement, and tells the declarer where to go.
func (b *Bot) openWarRoom(ctx context.Context, p Platform, ev muster.Event, inc *muster.Incident, notify []string) *muster.Incident {
	sev, _, _ := b.cfg.Severities.Find(inc.Severity)
	creator, canCreate := p.(RoomCreator)
	room, name := ev.Room, ""
	if sev.WarRoom && canCreate {
		var err error
		if room, name, err = b.createRoom(ctx, creator, ev.Platform, inc); err != nil {
			b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("create war room")
			room, name = ev.Room, ""
			b.try(inc, "report war-room failure", func() error {
				if ev.User == "" {
					return nil // raised by alerting: the log above is the report
				}
				return p.Reply(ctx, ev, muster.Message{Text: fmt.Sprintf("⚠️ %s is declared, but its war room could not be created (%s). Work it here; commands need its id (`update %s …`), and since this is no war room, what is said here is not recorded: put key facts in with `note %s …`.", inc.Ref(), muster.ErrorMessage(err), inc.Ref(), inc.Ref())})
			})
		}
	}
	warRoom := name != ""
	updated, _, err := b.store.Update(ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
		i.Platform, i.DeclaredIn = ev.Platform, ev.Room
		if warRoom {
			i.Room, i.RoomName = room, name
		}
		return nil, nil
	})
	if err != nil {
		b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("record war room")
	} else {
		inc = updated
	}
	if warRoom {
		people := slices.Concat([]string{inc.Declarer}, notify, b.cfg.Responders)
		b.invite(ctx, p, inc, people)
		b.setTopic(ctx, p, inc)
	}
	header, err := p.Post(ctx, room, b.commands.Header(inc))
	if err != nil {
		b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("post war-room header")
	}
	var announcement string
	if ar := b.announceRoom(p, inc); ar != "" {
		announcement, err = p.Post(ctx, ar, b.commands.Announcement(inc, b.link(p, inc)))
		if err != nil {
			b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("announce incident")
		}
	}
	if header != "" || announcement != "" {
		if updated, _, err := b.store.Update(ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
			i.Header, i.Announcement = header, announcement
			return nil, nil
		}); err != nil {
			b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("record header and announcement ids")
		} else {
			inc = updated
		}
	}
	if warRoom && ev.User != "" {
		text := fmt.Sprintf("🚨 %s declared (%s). War room: %s", inc.Ref(), inc.Severity, b.link(p, inc))
		b.try(inc, "tell the declarer", func() error { return p.Reply(ctx, ev, muster.Message{Text: text}) })
	}
	return inc
}

// createRoom tries the war-room name, then the name with -2, -3, … while
// the platform says it is taken.
func (b *Bot) createRoom(ctx context.Context, creator RoomCreator, platform string, inc *muster.Incident) (id, name string, err error) {
	prefix := b.cfg.RoomPrefix
	if p := b.cfg.RoomPrefixes[platform]; p != "" {
		prefix = p
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
			_, err := p.Post(ctx, inc.Room, muster.Message{Text: "⚠️ Could not invite everyone: " + muster.ErrorMessage(err)})
			return err
		})
	}
}

// refreshHeader redraws the header message and the topic in place.
func (b *Bot) refreshHeader(ctx context.Context, p Platform, inc *muster.Incident) {
	if room := workRoom(inc); inc.Header != "" && room != "" {
		header := b.commands.Header(inc)
		b.try(inc, "update the header", func() error {
			// A digest of the header as sent (muster.Message is plain
			// data, so its encoding is faithful): kept for every war room
			// the process has seen, it must stay small.
			v, err := json.Marshal(header)
			if err != nil {
				return fmt.Errorf("encode the header: %w", err)
			}
			sum := sha256.Sum256(v)
			return b.sent.set("header\x00"+inc.Platform+"\x00"+room+"\x00"+inc.Header, string(sum[:]), func() error {
				return p.Update(ctx, room, inc.Header, header)
			})
		})
	}
	b.setTopic(ctx, p, inc)
}

func (b *Bot) setTopic(ctx context.Context, p Platform, inc *muster.Incident) {
	t, ok := p.(Topicker)
	if !ok || inc.Room == "" {
		return
	}
	ic := "no IC yet"
	if holder := inc.Roles[muster.RoleIC]; holder != "" {
		ic = "IC " + muster.Mention(holder)
	}
	topic := fmt.Sprintf("%s · %s · %s · %s — %s", inc.Ref(), inc.Severity, inc.Status, ic, inc.Title)
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
	b.try(inc, "announce", func() error { _, err := p.Post(ctx, room, msg); return err })
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
// was declared in when it has none.
func workRoom(inc *muster.Incident) string {
	if inc.Room != "" {
		return inc.Room
	}
	return inc.DeclaredIn
}

// export writes a postmortem draft to the export directory as
// INC-<n>-<slug>.md, replacing the previous draft of the incident: written
// to a temporary file and renamed, so a reader never sees half a draft.
func (b *Bot) export(inc *muster.Incident, f *muster.File) error {
	if b.cfg.ExportDir == "" {
		return nil
	}
	if err := os.MkdirAll(b.cfg.ExportDir, 0o755); err != nil {
		return fmt.Errorf("export %s: %w", inc.Ref(), err)
	}
	name := inc.Ref()
	if s := slug(inc.Title); s != "" {
		name += "-" + s
	}
	path := filepath.Join(b.cfg.ExportDir, name+".md")
	tmp, err := os.CreateTemp(b.cfg.ExportDir, "."+name+"-*.md")
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
