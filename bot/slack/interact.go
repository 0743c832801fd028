package slack

import (
	"context"
	"fmt"
	"strings"

	goslack "github.com/slack-go/slack"

	"github.com/muster-bot/muster"
)

// The declare form's callback id and block ids.
const (
	declareCallback = "muster_declare"
	blockTitle      = "title"
	blockSeverity   = "severity"
	blockDesc       = "description"
	blockPrivate    = "private"
)

// openDeclareFormLater opens the declare form for `/incident` alone. The
// trigger expires in about three seconds, so this cannot wait for a slot.
func (p *Platform) openDeclareFormLater(s goslack.SlashCommand) {
	p.work.Add(1)
	go func() {
		defer p.work.Done()
		ctx, cancel := context.WithTimeout(context.Background(), p.cfg.AsyncTimeout)
		defer cancel()
		ev := muster.Event{Kind: muster.EventCommand, User: s.UserID, Room: s.ChannelID, ReplyTo: s.ResponseURL}
		defer p.rescue(ctx, ev, p.tell)
		if err := p.openDeclareForm(ctx, s); err != nil {
			p.log.Error().Err(err).Msg("open the declare form")
			p.tell(ctx, ev, muster.Message{Text: "⚠️ The declare form could not be opened. Type it instead: `/incident declare [sevN] <title>`."})
		}
	}()
}

// interaction handles clicks and the declare form. It returns the body of
// the acknowledgement, nil for an empty one.
func (p *Platform) interaction(ic goslack.InteractionCallback, h muster.Handler) any {
	switch ic.Type {
	case goslack.InteractionTypeBlockActions:
		room := ic.Channel.ID
		if room == "" {
			room = ic.Container.ChannelID
		}
		for _, a := range ic.ActionCallback.BlockActions {
			value := a.Value
			if a.SelectedOption.Value != "" {
				value = a.SelectedOption.Value
			}
			p.handleLater(h, muster.Event{
				Platform: Name, Kind: muster.EventAction, User: ic.User.ID, UserName: ic.User.Name,
				Room: room, Action: actionOf(a.ActionID), Value: value, ReplyTo: ic.ResponseURL, At: p.cfg.Now(),
			})
		}
	case goslack.InteractionTypeViewSubmission:
		if ic.View.CallbackID != declareCallback {
			return nil
		}
		d, problems := declareFromForm(ic.View.State)
		if len(problems) > 0 {
			return goslack.NewErrorsViewSubmissionResponse(problems)
		}
		p.handleLater(h, muster.Event{
			Platform: Name, Kind: muster.EventCommand, User: ic.User.ID, UserName: ic.User.Name,
			Room: ic.View.PrivateMetadata, Text: "declare", Declare: d, At: p.cfg.Now(),
		})
	}
	return nil
}

// declareFromForm reads the submitted form into a declaration. Its fields
// stay fields: a title such as "private sev1 thing" is the title.
func declareFromForm(state *goslack.ViewState) (*muster.Declaration, map[string]string) {
	value := func(block string) goslack.BlockAction {
		if state == nil {
			return goslack.BlockAction{}
		}
		return state.Values[block][block]
	}
	title := strings.Join(strings.Fields(value(blockTitle).Value), " ")
	if title == "" {
		return nil, map[string]string{blockTitle: "Give the incident a title, e.g. “Checkout is returning 500s”."}
	}
	if n := len([]rune(title)); n > muster.MaxTitle {
		return nil, map[string]string{blockTitle: fmt.Sprintf("Keep the title under %d characters; details go in the description.", muster.MaxTitle)}
	}
	return &muster.Declaration{
		Title:       title,
		Severity:    value(blockSeverity).SelectedOption.Value,
		Private:     len(value(blockPrivate).SelectedOptions) > 0,
		Description: strings.TrimSpace(value(blockDesc).Value),
	}, nil
}

// openDeclareForm shows the declare form: title, severity, description and
// the private flag. The channel it was asked from rides along, so the
// answer goes back there.
func (p *Platform) openDeclareForm(ctx context.Context, s goslack.SlashCommand) error {
	plain := func(t string) *goslack.TextBlockObject {
		return goslack.NewTextBlockObject(goslack.PlainTextType, t, false, false)
	}
	titleInput := goslack.NewPlainTextInputBlockElement(plain("Checkout is returning 500s"), blockTitle)
	titleInput.MaxLength = muster.MaxTitle
	var options []*goslack.OptionBlockObject
	var initial *goslack.OptionBlockObject
	for _, sev := range p.cfg.Severities {
		label := sev.Name
		if sev.Description != "" {
			label = truncateRunes(sev.Name+" — "+sev.Description, 75)
		}
		o := goslack.NewOptionBlockObject(sev.Name, plain(label), nil)
		options = append(options, o)
		if sev.Name == p.cfg.DefaultSeverity {
			initial = o
		}
	}
	sevSelect := goslack.NewOptionsSelectBlockElement(goslack.OptTypeStatic, plain("Severity"), blockSeverity, options...)
	sevSelect.InitialOption = initial
	desc := goslack.NewPlainTextInputBlockElement(plain("What is happening, who is affected, since when"), blockDesc)
	desc.Multiline = true
	private := goslack.NewCheckboxGroupsBlockElement(blockPrivate,
		goslack.NewOptionBlockObject("private", plain("Private (security incident): private channel, no announcement"), nil))
	descBlock := goslack.NewInputBlock(blockDesc, plain("Description"), nil, desc)
	descBlock.Optional = true
	privBlock := goslack.NewInputBlock(blockPrivate, plain("Visibility"), nil, private)
	privBlock.Optional = true
	view := goslack.ModalViewRequest{
		Type:            goslack.VTModal,
		CallbackID:      declareCallback,
		Title:           plain("Declare an incident"),
		Submit:          plain("Declare"),
		Close:           plain("Cancel"),
		PrivateMetadata: s.ChannelID,
		Blocks: goslack.Blocks{BlockSet: []goslack.Block{
			goslack.NewInputBlock(blockTitle, plain("Title"), nil, titleInput),
			goslack.NewInputBlock(blockSeverity, plain("Severity"), nil, sevSelect),
			descBlock,
			privBlock,
		}},
	}
	return p.call(ctx, "views.open", func(ctx context.Context) error {
		_, err := p.api.OpenViewContext(ctx, s.TriggerID, view)
		return err
	})
}
