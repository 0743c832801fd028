package faketeams

import (
	"crypto/rand"
	"encoding/json"
	"math/big"
	"strings"
	"time"
)

// TenantID is the tenant the inbound builders put in channelData.
const TenantID = "72f988bf-0000-4000-8000-000000000001"

// Mention builds an inbound channel message that @mentions the bot, like
// payloads/teams-message-mention.json: text is "<at>botName</at> " + text,
// with a mention entity for botID. The message id is the conversation's
// ";messageid=" part when it has one (the thread's root), else random.
func Mention(botID, botName, fromID, fromName, conversationID, serviceURL, text string) []byte {
	tag := "<at>" + botName + "</at>"
	id := messageIDOf(conversationID)
	if id == "" {
		id = randomMessageID()
	}
	a := inbound(fromID, fromName, conversationID, serviceURL, id)
	a["text"] = tag + " " + text
	a["recipient"] = map[string]any{"id": botID, "name": botName}
	a["entities"] = []any{
		map[string]any{"type": "mention", "text": tag, "mentioned": map[string]any{"id": botID, "name": botName}},
		clientInfo(),
	}
	return mustJSON(a)
}

// Message builds a plain channel message without a mention, as a bot with
// the RSC permission ChannelMessage.Read.Group receives.
func Message(fromID, fromName, conversationID, serviceURL, text, id string) []byte {
	a := inbound(fromID, fromName, conversationID, serviceURL, id)
	a["text"] = text
	a["entities"] = []any{clientInfo()}
	return mustJSON(a)
}

// Submit builds what an Adaptive Card Action.Submit with object data sends,
// like payloads/teams-card-action-inbound.json: a message with empty text,
// value = the data merged with the inputs, and replyToId = the card's
// message id.
func Submit(fromID, conversationID, serviceURL, replyToID string, value map[string]any) []byte {
	a := inbound(fromID, "", conversationID, serviceURL, randomMessageID())
	a["text"] = ""
	if value == nil {
		value = map[string]any{}
	}
	a["value"] = value
	a["replyToId"] = replyToID
	a["entities"] = []any{clientInfo()}
	return mustJSON(a)
}

// inbound is the part every channel message shares. The team id in
// channelData is the channel id, as it is for a team's General channel.
func inbound(fromID, fromName, conversationID, serviceURL, id string) map[string]any {
	now := time.Now()
	channel := channelOf(conversationID)
	from := map[string]any{"id": fromID}
	if fromName != "" {
		from["name"] = fromName
	}
	return map[string]any{
		"type":           "message",
		"id":             id,
		"timestamp":      now.UTC().Format(time.RFC3339Nano),
		"localTimestamp": now.Format(time.RFC3339Nano),
		"channelId":      "msteams",
		"serviceUrl":     serviceURL,
		"from":           from,
		"conversation": map[string]any{
			"id":               conversationID,
			"conversationType": "channel",
			"isGroup":          true,
			"tenantId":         TenantID,
		},
		"channelData": map[string]any{
			"teamsChannelId": channel,
			"teamsTeamId":    channel,
			"channel":        map[string]any{"id": channel},
			"team":           map[string]any{"id": channel},
			"tenant":         map[string]any{"id": TenantID},
		},
	}
}

func clientInfo() map[string]any {
	return map[string]any{"type": "clientInfo", "locale": "en-US", "country": "US", "platform": "Web"}
}

func messageIDOf(conversationID string) string {
	_, id, _ := strings.Cut(conversationID, ";messageid=")
	return id
}

// randomMessageID is a 13-digit id like Teams' millisecond ids, random so
// two built messages never look like a retry of each other.
func randomMessageID() string {
	n, err := rand.Int(rand.Reader, big.NewInt(9e12))
	if err != nil {
		panic(err)
	}
	return n.Add(n, big.NewInt(1e12)).String()
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("faketeams: marshal activity: " + err.Error())
	}
	return b
}
