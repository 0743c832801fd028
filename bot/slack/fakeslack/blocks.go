package fakeslack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Block Kit limits (https://api.slack.com/reference/block-kit/blocks).
const (
	maxMessageBlocks = 50
	maxModalBlocks   = 100
	maxBlockID       = 255
	maxHeaderText    = 150
	maxSectionText   = 3000
	maxSectionFields = 10
	maxFieldText     = 2000
	maxActions       = 25
	maxContextElems  = 10
	maxButtonText    = 75
	maxActionID      = 255
	maxButtonValue   = 2000
)

// knownBlocks are the block types the fake accepts.
func knownBlock(t string) bool {
	switch t {
	case "header", "section", "actions", "context", "divider",
		"image", "rich_text", "markdown", "input", "file", "video":
		return true
	}
	return false
}

type textObject struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type element struct {
	Type     string      `json:"type"`
	Text     *textObject `json:"text"`
	ActionID string      `json:"action_id"`
	Value    string      `json:"value"`
	Style    string      `json:"style"`
}

type block struct {
	Type     string          `json:"type"`
	BlockID  string          `json:"block_id"`
	Text     *textObject     `json:"text"`
	Fields   []textObject    `json:"fields"`
	Elements json.RawMessage `json:"elements"`
}

// parseBlocks validates a "blocks" argument (a JSON array) and returns it
// compacted, or nil for an empty array. Problems give invalid_blocks, with
// the reasons in "errors" as Slack does.
func parseBlocks(raw string, limit int) (json.RawMessage, error) {
	var blocks []json.RawMessage
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		return nil, invalidBlocks("blocks is not a JSON array: %v", err)
	}
	if len(blocks) == 0 {
		return nil, nil
	}
	if len(blocks) > limit {
		return nil, invalidBlocks("no more than %d items allowed [json-pointer:/blocks]", limit)
	}
	ids := map[string]bool{}
	for i, b := range blocks {
		if err := checkBlock(b, ids); err != nil {
			return nil, invalidBlocks("%s [json-pointer:/blocks/%d]", err.Error(), i)
		}
	}
	var out bytes.Buffer
	if err := json.Compact(&out, []byte(raw)); err != nil {
		return nil, invalidBlocks("%v", err)
	}
	return out.Bytes(), nil
}

func invalidBlocks(format string, args ...any) error {
	return &apiError{code: "invalid_blocks", extra: map[string]any{"errors": []string{fmt.Sprintf(format, args...)}}}
}

func checkBlock(raw json.RawMessage, ids map[string]bool) error {
	var b block
	if err := json.Unmarshal(raw, &b); err != nil {
		return fmt.Errorf("block is not an object: %v", err)
	}
	if !knownBlock(b.Type) {
		return fmt.Errorf("unknown block type %q", b.Type)
	}
	if b.BlockID != "" {
		if len(b.BlockID) > maxBlockID {
			return fmt.Errorf("block_id longer than %d", maxBlockID)
		}
		if ids[b.BlockID] {
			return fmt.Errorf("duplicate block_id %q", b.BlockID)
		}
		ids[b.BlockID] = true
	}
	switch b.Type {
	case "header":
		if b.Text == nil || b.Text.Type != "plain_text" || b.Text.Text == "" {
			return fmt.Errorf("header needs a plain_text text")
		}
		return maxLen("header text", b.Text.Text, maxHeaderText)
	case "section":
		return checkSection(b)
	case "actions":
		var elems []element
		if err := json.Unmarshal(b.Elements, &elems); err != nil || len(elems) == 0 || len(elems) > maxActions {
			return fmt.Errorf("actions needs 1 to %d elements", maxActions)
		}
		for _, e := range elems {
			if err := checkElement(e); err != nil {
				return err
			}
		}
	case "context":
		var elems []json.RawMessage
		if err := json.Unmarshal(b.Elements, &elems); err != nil || len(elems) == 0 || len(elems) > maxContextElems {
			return fmt.Errorf("context needs 1 to %d elements", maxContextElems)
		}
	}
	return nil
}

func checkSection(b block) error {
	if b.Text == nil && len(b.Fields) == 0 {
		return fmt.Errorf("section needs text or fields")
	}
	if b.Text != nil {
		if err := checkText(*b.Text); err != nil {
			return err
		}
		if err := maxLen("section text", b.Text.Text, maxSectionText); err != nil {
			return err
		}
	}
	if len(b.Fields) > maxSectionFields {
		return fmt.Errorf("section has more than %d fields", maxSectionFields)
	}
	for _, f := range b.Fields {
		if err := checkText(f); err != nil {
			return err
		}
		if err := maxLen("section field", f.Text, maxFieldText); err != nil {
			return err
		}
	}
	return nil
}

func checkElement(e element) error {
	if e.Type == "" {
		return fmt.Errorf("element without a type")
	}
	if err := maxLen("action_id", e.ActionID, maxActionID); err != nil {
		return err
	}
	if e.Type != "button" {
		return nil
	}
	if e.Text == nil || e.Text.Type != "plain_text" || e.Text.Text == "" {
		return fmt.Errorf("button needs a plain_text text")
	}
	if e.Style != "" && e.Style != "primary" && e.Style != "danger" {
		return fmt.Errorf("button style %q is not primary or danger", e.Style)
	}
	if err := maxLen("button text", e.Text.Text, maxButtonText); err != nil {
		return err
	}
	return maxLen("button value", e.Value, maxButtonValue)
}

func checkText(t textObject) error {
	if t.Type != "plain_text" && t.Type != "mrkdwn" {
		return fmt.Errorf("text object type %q is not plain_text or mrkdwn", t.Type)
	}
	if t.Text == "" {
		return fmt.Errorf("empty text object")
	}
	return nil
}

func maxLen(what, v string, limit int) error {
	if utf8.RuneCountInString(v) > limit {
		return fmt.Errorf("%s longer than %d characters", what, limit)
	}
	return nil
}
