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
func (c *Commands) action(ctx context.Context, r *Request) (*Outcome, error) {
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
			item.Due = due
			i++
			continue
		}
		text = append(text, word)
	}
	item.Text = strings.Join(text, " ")
	out, entries, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.AddAction(item)
		return []muster.Entry{e}, err
	})
	if err != nil {
		return nil, err
	}
	out.Room = []muster.Message{{Text: entries[0].Text + ". Close it with `action done " + strconv.Itoa(len(out.Incident.Actions)) + "`."}}
	return out, nil
}

func (c *Commands) actionDone(ctx context.Context, r *Request, n int) (*Outcome, error) {
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
