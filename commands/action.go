package commands

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

// action handles `action <text> [@owner] [due YYYY-MM-DD] [p0|p1|p2]` and
// `action done <n>`. Owner, due date and priority may stand anywhere in
// the line; everything else is the text.
func (c *Runner) action(ctx context.Context, r *Request) (*Outcome, error) {
	args := r.Call.Args
	if len(args) == 0 {
		return nil, c.malformed("action", "Say what needs doing.")
	}
	if strings.EqualFold(args[0], "done") && len(args) == 2 {
		n, err := strconv.Atoi(strings.TrimPrefix(args[1], "#"))
		if err != nil {
			return nil, c.malformed("action", "%q is not an action item number.", args[1])
		}
		return c.actionDone(ctx, r, n)
	}
	item := muster.ActionItem{CreatedBy: r.Event.User, CreatedAt: c.now()}
	var text []string
	for i := 0; i < len(args); i++ {
		word := args[i]
		if _, ok := userRef(word); ok {
			owner, err := c.user(ctx, r, word)
			if err != nil {
				return nil, err
			}
			item.Owner = owner
			continue
		}
		if p, ok := muster.ParsePriority(word); ok {
			item.Priority = p
			continue
		}
		if strings.EqualFold(word, "due") && i+1 < len(args) {
			due, err := time.Parse(time.DateOnly, args[i+1])
			if err != nil {
				return nil, c.malformed("action", "%q is not a due date; write it as YYYY-MM-DD.", args[i+1])
			}
			if today := muster.Today(item.CreatedAt, c.location()); due.Before(today) {
				return nil, c.malformed("action", "%s is in the past; give a due date from today (%s in %s) on.", args[i+1], today.Format(time.DateOnly), c.location())
			}
			item.Due = due
			i++
			continue
		}
		text = append(text, word)
	}
	// A priority-like word closing the title ("… @bob p5") was meant as
	// a priority; a typo there must not end up in the title. Inside the
	// title ("move to p4 instances") it is text.
	if n := len(text); n > 0 && looksLikePriority(text[n-1]) {
		return nil, c.malformed("action", "%q is not a priority; use p0 (fix the root cause), p1 (detect faster) or p2 (prevent the class of failure).", text[n-1])
	}
	item.Text = strings.Join(text, " ")
	out, entries, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		item.Tracker.Wanted = c.cfg.Files != nil && c.cfg.Files(inc)
		e, err := inc.AddAction(item)
		return []muster.Entry{e}, err
	})
	if err != nil {
		return nil, err
	}
	added := out.Incident.Actions[len(out.Incident.Actions)-1]
	out.Room = []muster.Message{{Text: entries[0].Text + actionDetails(added) + ". Close it with `action done " + strconv.Itoa(added.Number) + "`."}}
	return out, nil
}

// actionDetails echoes the due date and priority understood, so that a
// word taken for either (or missed) shows at once: ", due 2026-12-01,
// priority p1".
func actionDetails(a muster.ActionItem) string {
	due, priority := "no due date", "no priority"
	if !a.Due.IsZero() {
		due = "due " + a.Due.Format(time.DateOnly)
	}
	if a.Priority != "" {
		priority = "priority " + strings.ToUpper(string(a.Priority))
	}
	return "; " + due + ", " + priority
}

// looksLikePriority matches p or P followed by digits: p5, P12.
func looksLikePriority(word string) bool {
	if len(word) < 2 || (word[0] != 'p' && word[0] != 'P') {
		return false
	}
	for _, r := range word[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (c *Runner) actionDone(ctx context.Context, r *Request, n int) (*Outcome, error) {
	out, entries, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.CompleteAction(n, r.Event.User, c.now())
		return []muster.Entry{e}, err
	})
	if err != nil {
		return nil, err
	}
	out.Room = []muster.Message{{Text: "✅ " + entries[0].Text}}
	return out, nil
}
