package templates_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/templates"
)

// Regenerate the golden files after an intended change of the draft with
//
//	go test ./templates -update
//
// and read the diff: it is what every responder will see.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var t0 = time.Date(2026, 11, 22, 3, 4, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

// recorder builds an incident through the domain's own methods, the way
// the commands do, and keeps its timeline.
type recorder struct {
	tb  testing.TB
	inc *muster.Incident
	tl  []muster.Entry
}

func (r *recorder) add(e muster.Entry, err error) *muster.Entry {
	r.tb.Helper()
	if err != nil {
		r.tb.Fatal(err)
	}
	e.Seq = len(r.tl) + 1
	r.tl = append(r.tl, e)
	return &r.tl[len(r.tl)-1]
}

func (r *recorder) say(user string, min int, text string) *muster.Entry {
	r.tb.Helper()
	r.inc.Join(user)
	return r.add(muster.Entry{Kind: muster.EntryMessage, At: at(min), Actor: user, Text: text}, nil)
}

func role(key string) muster.Role {
	r, _ := muster.DefaultRoles().Find(key)
	return r
}

// fullIncident is INC-42 from declaration to resolution: SEV2 upgraded to
// SEV1, an IC handoff, a Comms lead, messages (one edited, one deleted), a
// note, updates (one late), a reminder, two action items (one done).
func fullIncident(tb testing.TB) templates.Data {
	tb.Helper()
	sevs := muster.DefaultSeverities()
	sev2, _, _ := sevs.Find("SEV2")
	inc, declared, err := muster.NewIncident("Checkout is returning 500s", sev2, false, "U01ALICE", at(0))
	if err != nil {
		tb.Fatal(err)
	}
	inc.ID = 42
	inc.RoomName = "inc-42-checkout-is-returning-500s"
	inc.Description = "Error rate on /checkout above 20% since about 03:00."
	inc.DeclaredServices(&declared, []string{"checkout"})
	r := &recorder{tb: tb, inc: inc}
	r.add(declared, nil)
	r.add(inc.SetDetected(at(-4), "U01ALICE", at(1)))
	r.add(inc.SetStarted(at(-11), "U01ALICE", at(1)))
	r.say("U01ALICE", 1, "Seeing 500s on checkout since ~03:00, paging payments on-call")
	r.add(inc.Assign(role("ic"), "U02BOB", "U02BOB", at(2)))
	r.say("U03CAROL", 4, "Error rate is 35% and climbing | started right after deploy 1234")
	e, _, err := inc.SetSeverity(sevs, "sev1", "U02BOB", at(6))
	r.add(e, err)
	r.add(inc.Assign(role("comms"), "U04DAVE", "U02BOB", at(7)))
	e, _, err = inc.AddServices([]string{"payments"}, "U02BOB", at(7))
	r.add(e, err)
	r.add(inc.PostUpdate("We are investigating elevated errors at checkout.\nNext update within 30 minutes.", "U04DAVE", at(8)))
	r.add(inc.SetComponent("Checkout", muster.ComponentMajor, "U04DAVE", at(9)))
	r.add(inc.Publish("Checkout is failing for many customers; we are working on it.", "U04DAVE", at(9)))
	rollback := r.say("U03CAROL", 11, "rolling back deploy 1234")
	rollback.Revise("Rolling back deploy 1234 of payments-api, <@U02BOB> please confirm", at(12))
	rollback.Key = true
	cdn := r.say("U05ERIN", 14, "Is this the CDN change from yesterday?")
	cdn.DeletedAt = at(15)
	r.add(inc.AddNote("Rollback of payments-api started", "U02BOB", at(16)))
	r.add(inc.SetStatus(muster.StatusIdentified, "U02BOB", at(21)))
	r.add(inc.SetStatus(muster.StatusMitigated, "U02BOB", at(28)))
	r.say("U03CAROL", 29, "Error rate back to 0.1%\nwatching it for 15 minutes")
	r.add(inc.PostUpdate("Checkout works again after a rollback of payments-api; we are monitoring.", "U04DAVE", at(31)))
	r.add(inc.Publish("Checkout works again; we are monitoring.", "U04DAVE", at(50)))
	r.add(inc.Assign(role("ic"), "U03CAROL", "U02BOB", at(36)))
	r.add(muster.Entry{Kind: muster.EntryReminder, At: at(61), Text: "<@U04DAVE> no update for 30m; SEV1 asks for one every 30m."}, nil)
	r.add(inc.PostUpdate("Monitoring complete, error rate normal for 30 minutes. Resolving.", "U04DAVE", at(66)))
	r.add(inc.AddAction(muster.ActionItem{Text: "Add a canary stage to payments-api deploys", Owner: "U02BOB",
		Due: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Priority: muster.P0, CreatedBy: "U03CAROL", CreatedAt: at(67)}))
	r.add(inc.AddAction(muster.ActionItem{Text: "Alert when checkout 5xx rate is above 5% for 2m", Owner: "U03CAROL",
		Priority: muster.P1, CreatedBy: "U03CAROL", CreatedAt: at(68)}))
	r.add(inc.CompleteAction(2, "U03CAROL", at(69)))
	r.add(inc.Resolve("A faulty deploy of payments-api (1234) made checkout return 500s for about 30 minutes. "+
		"Rolling it back restored service; <@U02BOB> led the response until the handoff.", "U03CAROL", at(71)))

	names := map[string]string{"U01ALICE": "alice", "U02BOB": "bob", "U03CAROL": "carol", "U04DAVE": "dave"} // U05ERIN: no name, shows the id
	return templates.Data{
		Incident:   inc,
		Timeline:   r.tl,
		Roles:      muster.DefaultRoles(),
		Now:        at(86),
		Names:      func(id string) string { return names[id] },
		Severities: sevs,
	}
}

// bareIncident is INC-7, declared a minute ago, with nothing else known.
func bareIncident(tb testing.TB) templates.Data {
	tb.Helper()
	sev3, _, _ := muster.DefaultSeverities().Find("SEV3")
	inc, declared, err := muster.NewIncident("Login page is slow", sev3, false, "U01ALICE", at(0))
	if err != nil {
		tb.Fatal(err)
	}
	inc.ID = 7
	declared.Seq = 1
	return templates.Data{Incident: inc, Timeline: []muster.Entry{declared}, Now: at(1)}
}

func render(tb testing.TB, p *templates.Postmortem, d templates.Data) string {
	tb.Helper()
	var b bytes.Buffer
	if err := p.Render(&b, d); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}

func embedded(tb testing.TB) *templates.Postmortem {
	tb.Helper()
	p, err := templates.New("")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestPostmortemGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		data func(testing.TB) templates.Data
	}{
		{"full", fullIncident},
		{"bare", bareIncident},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := render(t, embedded(t), tc.data(t))
			golden := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run `go test ./templates -update` to create it)", err)
			}
			if got != string(want) {
				t.Errorf("postmortem differs from %s; if the change is intended, run `go test ./templates -update`\n--- got ---\n%s", golden, got)
			}
			checkTables(t, got)
		})
	}
}

// checkTables fails when a row of a Markdown table has a different number
// of cells than its header: an unescaped pipe or newline in a text.
func checkTables(t *testing.T, doc string) {
	t.Helper()
	want := -1
	for i, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(line, "|") {
			want = -1
			continue
		}
		n := 0
		for j := 0; j < len(line); j++ {
			switch line[j] {
			case '\\':
				j++
			case '|':
				n++
			}
		}
		if want == -1 {
			want = n
		} else if n != want {
			t.Errorf("line %d has %d cell borders, its table %d: %q", i+1, n, want, line)
		}
	}
}

func TestPostmortemNeverInventsContent(t *testing.T) {
	doc := render(t, embedded(t), bareIncident(t))

	for _, want := range []string{
		"- **Time to acknowledge** (declared → first Incident Commander): not reached",
		"- **Time to mitigate** (impact started → service restored): not reached",
		"- **Time to resolve** (impact started → resolved): not reached",
		"| Impact started | 2026-11-22 03:04 UTC (not recorded; taken as detected) |",
		"| Detected (first signal) | 2026-11-22 03:04 UTC (not recorded; taken as declared) |",
		"| Mitigated | not reached |",
		"Nobody took the Incident Commander role.",
		"_No status updates were posted.",
		"_No action items were recorded.",
		"Reminders sent by muster: 0; escalated: 0; snoozed: 0.",
		"investigating (still open when this draft was generated)",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("bare draft lacks %q", want)
		}
	}
	// Only what the record holds: the declarer, no one else, no cause.
	for _, invented := range []string{"U02", "@bob", "deploy", "Holder |", "Update cadence"} {
		if strings.Contains(doc, invented) {
			t.Errorf("bare draft holds %q, which the incident does not", invented)
		}
	}
	// Every section the record cannot fill keeps a prompt for the review.
	facts := map[string]bool{"Key timestamps": true, "Roles": true, "Participants": true, "Key events": true, "Timeline": true, "Five whys": true}
	for _, sec := range strings.Split(doc, "\n## ")[1:] {
		title, body, _ := strings.Cut(sec, "\n")
		if facts[title] {
			continue
		}
		if !strings.Contains(body, "To fill in at the review") {
			t.Errorf("section %q has no prompt for the review:\n%s", title, body)
		}
	}
}

func TestPostmortemOverride(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, templates.PostmortemFile)
	write := func(t *testing.T, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("used", func(t *testing.T) {
		write(t, "Custom draft for {{.Ref}} ({{.Severity}}), TTR {{.TTR}}, TTD {{.TTD}}\n")
		p, err := templates.New(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := render(t, p, fullIncident(t)), "Custom draft for INC-42 (SEV1), TTR 1h22m, TTD 7m\n"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	for _, tc := range []struct{ name, text string }{
		{"broken", "# {{.Ref"},
		{"unknown field", "# {{.Ref}} {{.Nope}}"},
		{"unknown field in a prompt branch", "{{with .Summary}}{{.}}{{else}}{{.Impact}}{{end}}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			write(t, tc.text)
			if _, err := templates.New(dir); err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("New(%q) = %v, want an error naming %s", dir, err, path)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		empty := t.TempDir()
		want := filepath.Join(empty, templates.PostmortemFile)
		if _, err := templates.New(empty); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%q) = %v, want an error naming %s", empty, err, want)
		}
	})
}

func TestPostmortemSortsLateEntries(t *testing.T) {
	d := bareIncident(t)
	d.Timeline = append(d.Timeline,
		muster.Entry{Seq: 2, Kind: muster.EntryMessage, At: at(5), Actor: "U01ALICE", Text: "second"},
		muster.Entry{Seq: 3, Kind: muster.EntryMessage, At: at(3), Actor: "U01ALICE", Text: "first, delivered late"},
	)
	doc := render(t, embedded(t), d)
	if i, j := strings.Index(doc, "first, delivered late"), strings.Index(doc, "second"); i < 0 || j < 0 || i > j {
		t.Errorf("timeline not in time order:\n%s", doc)
	}
}

func TestPostmortemNeedsIncident(t *testing.T) {
	var b bytes.Buffer
	if err := embedded(t).Render(&b, templates.Data{}); err == nil || b.Len() != 0 {
		t.Errorf("Render without an incident = %v and %d bytes, want an error and nothing written", err, b.Len())
	}
}

func TestPostmortemConcurrentRender(t *testing.T) {
	p := embedded(t)
	want := render(t, p, fullIncident(t))
	for i := range 4 {
		t.Run(string(rune('a'+i)), func(t *testing.T) {
			t.Parallel()
			if got := render(t, p, fullIncident(t)); got != want {
				t.Error("concurrent render differs")
			}
		})
	}
}

// BenchmarkPostmortem10k renders a draft of an incident whose timeline has
// 10,000 entries. The target is well under 20 ms per render:
//
//	go test -run '^$' -bench Postmortem -benchmem ./templates/
func BenchmarkPostmortem10k(b *testing.B) {
	d := fullIncident(b)
	users := []string{"U01ALICE", "U02BOB", "U03CAROL", "U04DAVE", "U05ERIN"}
	for i := len(d.Timeline); i < 10_000; i++ {
		e := muster.Entry{Seq: i + 1, Kind: muster.EntryMessage, At: at(71).Add(time.Duration(i) * time.Second),
			Actor: users[i%len(users)], Text: "checking the dashboards again, <@U02BOB> can you look at p99 | latency?"}
		switch i % 10 {
		case 3:
			e.Edits = []muster.Edit{{At: e.At, Previous: "checking dashboards"}}
		case 7:
			e.Key = true
		case 9:
			e.Kind, e.Text = muster.EntryUpdate, "Still degraded.\nNext update in 30 minutes."
		}
		d.Timeline = append(d.Timeline, e)
	}
	p := embedded(b)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := p.Render(&buf, d); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

// FuzzPostmortemTables: whatever people type, and whatever their display
// names are, every table keeps its shape.
//
//	go test -fuzz FuzzPostmortemTables ./templates/
func FuzzPostmortemTables(f *testing.F) {
	f.Add("a | b\nc", "Bob | Ops")
	f.Add(`back\|slash <@U02BOB|bob> \`, "\\")
	f.Add("line\r\nbreak\r", "<@U1>")
	p := embedded(f)
	f.Fuzz(func(t *testing.T, text, name string) {
		d := fullIncident(t)
		d.Names = func(string) string { return name }
		e := muster.Entry{Kind: muster.EntryMessage, At: at(72), Actor: "U02BOB", Text: text + " <@U03CAROL>", Key: true,
			Edits: []muster.Edit{{At: at(73), Previous: text}}}
		d.Timeline = append(d.Timeline, e)
		d.Incident.Actions = append(d.Incident.Actions, muster.ActionItem{Number: 3, Text: text, Owner: "U05ERIN"})
		checkTables(t, render(t, p, d))
	})
}

func TestPostmortemCadence(t *testing.T) {
	sevs := muster.DefaultSeverities()
	sev1, _, _ := sevs.Find("SEV1")
	for _, tc := range []struct {
		name  string
		build func(inc *muster.Incident, r *recorder)
		now   int
		want  string
	}{
		{"still open and overdue", func(inc *muster.Incident, r *recorder) {
			r.add(inc.PostUpdate("first", "U01ALICE", at(10)))
		}, 55, "(SEV1 every 30m): 2 due, 1 on time, 1 missed; longest stretch without an update: 45m."},
		{"a 1h58m silence missed three slots", func(inc *muster.Incident, r *recorder) {
			r.add(inc.PostUpdate("late", "U01ALICE", at(118)))
		}, 120, "(SEV1 every 30m): 4 due, 1 on time, 3 missed; longest stretch without an update: 1h58m."},
		{"resolved before the next update was due", func(inc *muster.Incident, r *recorder) {
			r.add(inc.PostUpdate("first", "U01ALICE", at(20)))
			r.add(inc.Resolve("", "U01ALICE", at(40)))
		}, 90, "(SEV1 every 30m): 1 due, 1 on time, 0 missed; longest stretch without an update: 20m."},
		{"reopened: the clock restarts", func(inc *muster.Incident, r *recorder) {
			r.add(inc.Resolve("", "U01ALICE", at(10)))
			r.add(inc.Reopen("U01ALICE", at(100)))
			r.add(inc.PostUpdate("back", "U01ALICE", at(120)))
		}, 130, "(SEV1 every 30m): 1 due, 1 on time, 0 missed; longest stretch without an update: 20m."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inc, declared, err := muster.NewIncident("Cadence", sev1, false, "U01ALICE", at(0))
			if err != nil {
				t.Fatal(err)
			}
			r := &recorder{tb: t, inc: inc}
			r.add(declared, nil)
			tc.build(inc, r)
			doc := render(t, embedded(t), templates.Data{Incident: inc, Timeline: r.tl, Now: at(tc.now), Severities: sevs})
			if !strings.Contains(doc, tc.want) {
				t.Errorf("draft lacks %q:\n%s", tc.want, doc[strings.Index(doc, "## Status updates"):strings.Index(doc, "## Root cause")])
			}
		})
	}
}

// TestPostmortemWhatWentPoorlyFromTheRecord: the measured facts the draft
// pre-fills, each marked as drawn from the record, and nothing when the
// record shows nothing went poorly.
func TestPostmortemWhatWentPoorlyFromTheRecord(t *testing.T) {
	sevs := muster.DefaultSeverities()
	sev1, _, _ := sevs.Find("SEV1")
	for _, tc := range []struct {
		name  string
		build func(inc *muster.Incident, r *recorder)
		want  []string
		not   []string
	}{
		{"a 1h58m silence at a 30m cadence is three missed slots", func(inc *muster.Incident, r *recorder) {
			r.add(inc.Assign(role("ic"), "U02BOB", "U02BOB", at(0)))
			r.add(inc.PostUpdate("late", "U02BOB", at(118)))
			r.add(inc.Resolve("", "U02BOB", at(119)))
		}, []string{"- 3 update slots missed (SEV1 every 30m), of 4 due; longest stretch without an update: 1h58m. _(from the record)_"},
			[]string{"late", "Incident Commander (declared"}},
		{"time without an IC and escalations", func(inc *muster.Incident, r *recorder) {
			r.add(muster.Entry{Kind: muster.EntryEscalation, At: at(60), Text: "Escalated"}, nil)
			r.add(inc.Assign(role("ic"), "U02BOB", "U02BOB", at(12)))
			r.add(inc.PostUpdate("update", "U02BOB", at(25)))
			r.add(inc.Resolve("", "U02BOB", at(30)))
		}, []string{
			"- 12m without an Incident Commander (declared → acknowledged). _(from the record)_",
			"- Escalated once for want of a status update. _(from the record)_",
		}, []string{"update slot"}},
		{"a stale public page, to the resolution", func(inc *muster.Incident, r *recorder) {
			r.add(inc.Assign(role("ic"), "U02BOB", "U02BOB", at(0)))
			r.add(inc.Publish("We are looking into it.", "U02BOB", at(5)))
			r.add(inc.Publish("Still looking.", "U02BOB", at(20)))
			r.add(inc.PostUpdate("u", "U02BOB", at(25)))
			r.add(inc.Resolve("", "U02BOB", at(80)))
		}, []string{
			"- The public status page went longer than 30m without a post (SEV1's public_every) once; longest gap: 1h. _(from the record)_",
			"- **2026-11-22 03:24 UTC**: Still looking. _(from the record)_",
		}, nil},
		{"a failed page, from the incident's pages", func(inc *muster.Incident, r *recorder) {
			r.add(inc.Assign(role("ic"), "U02BOB", "U02BOB", at(0)))
			r.add(inc.PostUpdate("u", "U02BOB", at(20)))
			inc.Pages = []muster.PageRecord{
				{Service: "payments", Provider: muster.ProviderPagerDuty, State: muster.PageFailed, At: at(3)},
				{Service: "search", Provider: muster.ProviderOpsgenie, State: muster.PageAcknowledged, At: at(4)},
			}
			r.add(inc.Resolve("", "U02BOB", at(30)))
		}, []string{"- Paging the on-call of payments through PagerDuty failed (given up 2026-11-22 03:07 UTC). _(from the record)_"},
			[]string{"search", "Opsgenie"}},
		{"nothing went poorly", func(inc *muster.Incident, r *recorder) {
			r.add(inc.Assign(role("ic"), "U02BOB", "U02BOB", at(0)))
			r.add(inc.PostUpdate("u", "U02BOB", at(20)))
			r.add(inc.Resolve("", "U02BOB", at(30)))
		}, []string{"## What went poorly\n\n_To fill in at the review._"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inc, declared, err := muster.NewIncident("Poorly", sev1, false, "U01ALICE", at(0))
			if err != nil {
				t.Fatal(err)
			}
			r := &recorder{tb: t, inc: inc}
			r.add(declared, nil)
			tc.build(inc, r)
			doc := render(t, embedded(t), templates.Data{Incident: inc, Timeline: r.tl, Now: at(200), Severities: sevs})
			for _, want := range tc.want {
				if !strings.Contains(doc, want) {
					t.Errorf("draft lacks %q:\n%s", want, doc[strings.Index(doc, "## Status updates"):])
				}
			}
			poorly := doc[strings.Index(doc, "## What went poorly"):strings.Index(doc, "## Where we got lucky")]
			for _, not := range tc.not {
				if strings.Contains(poorly, not) {
					t.Errorf("what went poorly holds %q:\n%s", not, poorly)
				}
			}
		})
	}
}
