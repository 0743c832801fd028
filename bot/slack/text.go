package slack

import (
	"regexp"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// sequenceRE matches the Slack control sequences that pass through escape
// (user and channel mentions, links) and those plain writes as people read
// them (the special mentions, which escape defuses first).
var sequenceRE = regexp.MustCompile(`<(?:@[A-Za-z0-9._-]+|#[A-Z0-9]+|!here|!channel|!subteam\^[A-Z0-9]+|https?://[^\s<>|]+)(?:\|[^<>\n]*)?>`)

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// specialRE matches Slack's special mentions, which notify a whole channel
// (<!here>, <!channel>, <!group>), the workspace (<!everyone>) or a user
// group (<!subteam^S…>), and broadcastRE the words people type for the
// first three, which Slack may turn into those mentions when it parses a
// message.
var (
	specialRE   = regexp.MustCompile(`<!(?:here|channel|group|everyone|subteam\^[A-Za-z0-9]+)(?:\|[^<>\n]*)?>`)
	broadcastRE = regexp.MustCompile(`(?i)@(here|channel|group|everyone)\b`)
)

// joiner is U+2060 WORD JOINER: invisible, it keeps "@here" looking like
// what was typed while no longer being the word Slack would parse.
const joiner = "\u2060"

// defuse makes the special mentions in text harmless: the bot posts what
// people, alerts and forms wrote (titles, updates, notes, alert text), and
// a mention in it would notify a whole channel or group in the bot's name,
// past the workspace's rules on who may do that. <!here> is shown as
// "@here", <!subteam^S1|@sre> as "@sre", and typed words such as @channel
// get a word joiner after the @. User mentions (<@U…>) stay: muster makes
// them itself (role holders, reminders), and one person named in a note
// is no broadcast.
func defuse(s string) string {
	if !strings.Contains(s, "<!") && !strings.Contains(s, "@") {
		return s // nothing either expression could match
	}
	s = specialRE.ReplaceAllStringFunc(s, func(seq string) string {
		target, label, _ := strings.Cut(seq[2:len(seq)-1], "|")
		if label = strings.TrimLeft(strings.TrimSpace(label), "@"); label == "" {
			label = strings.TrimPrefix(target, "subteam^")
		}
		return "@" + joiner + label
	})
	return broadcastRE.ReplaceAllString(s, "@"+joiner+"$1")
}

// escape makes user text safe for mrkdwn: special mentions are defused,
// and &, < and > become entities, except in the control sequences of
// sequenceRE, whose brackets stay (an & inside one is still escaped).
func escape(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = defuse(s)
	if !strings.Contains(s, "<") {
		return escaper.Replace(s) // no control sequence to keep
	}
	var b strings.Builder
	last := 0
	for _, loc := range sequenceRE.FindAllStringIndex(s, -1) {
		seq := strings.ReplaceAll(s[loc[0]:loc[1]], "&", "&amp;")
		if len(seq) > maxSequence {
			continue
		}
		b.WriteString(escaper.Replace(s[last:loc[0]]))
		b.WriteString(seq)
		last = loc[1]
	}
	b.WriteString(escaper.Replace(s[last:]))
	return b.String()
}

// plain makes user text fit a plain_text object of limit characters on one
// line; Slack shows plain_text as it is, so control sequences become what
// they stand for (<@U1|alex> → @alex, <https://x|docs> → docs). Special
// mentions are defused here too, so that no text the bot sends holds one.
func plain(s string, limit int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = plainSequences(defuse(s))
	s = strings.Join(strings.Fields(s), " ")
	if fits(s, limit) {
		return s
	}
	end := prefix(s, limit-size(ellipsis))
	return strings.TrimRight(s[:end], " ") + ellipsis
}

// plainSequences writes s's control sequences as people read them.
func plainSequences(s string) string {
	return sequenceRE.ReplaceAllStringFunc(s, func(seq string) string {
		target, label, _ := strings.Cut(seq[1:len(seq)-1], "|")
		switch {
		case target[0] == '@' || target[0] == '#':
			if label = strings.TrimLeft(label, "@#"); label != "" {
				return target[:1] + label
			}
			return target
		case target[0] == '!':
			if label = strings.TrimLeft(label, "@"); label != "" {
				return "@" + label
			}
			return "@" + strings.TrimPrefix(target[1:], "subteam^")
		case label != "":
			return label
		}
		return target
	})
}

// size is the length of s in UTF-16 code units.
// fits says whether s is at most limit code units long. A string is never
// longer in code units than in bytes, so most need no counting.
func fits(s string, limit int) bool {
	return len(s) <= limit || size(s) <= limit
}

func size(s string) int {
	n := 0
	for _, r := range s {
		n += max(utf16.RuneLen(r), 1)
	}
	return n
}

// prefix is the longest prefix of s, in bytes, at most limit code units long.
func prefix(s string, limit int) int {
	n := 0
	for i, r := range s {
		if n += max(utf16.RuneLen(r), 1); n > limit {
			return i
		}
	}
	return len(s)
}

// cuttable reports whether escaped text may be cut at byte p without
// breaking a character, an entity (&amp;) or a control sequence (<@U1>).
func cuttable(s string, p int) bool {
	if p <= 0 || p >= len(s) {
		return true
	}
	if !utf8.RuneStart(s[p]) {
		return false
	}
	back := s[max(0, p-maxSequence):p]
	if i := strings.LastIndexByte(back, '<'); i >= 0 && !strings.Contains(back[i:], ">") {
		return false
	}
	if i := strings.LastIndexByte(back, '&'); i >= 0 && len(back)-i < len("&amp;") && !strings.Contains(back[i:], ";") {
		return false
	}
	return true
}

// clip trims escaped text and, when it is longer than limit, cuts it where
// cuttable allows and marks the cut with "… (truncated)".
func clip(s string, limit int) string {
	s = strings.TrimSpace(s)
	if fits(s, limit) {
		return s
	}
	end := prefix(s, limit-size(truncated))
	for !cuttable(s, end) {
		end--
	}
	return strings.TrimRight(s[:end], " \n\t") + truncated
}

// split cuts escaped text into at most n chunks of at most limit code units,
// after the last line break in a chunk's second half, else after the last
// space there, else wherever cuttable allows. Text past n chunks is dropped.
func split(s string, limit, n int) []string {
	var chunks []string
	s = strings.TrimRight(s, " \n\t")
	for len(chunks) < n && strings.TrimSpace(s) != "" {
		if fits(s, limit) {
			return append(chunks, s)
		}
		end := prefix(s, limit)
		cut := breakAt(s, end)
		if chunk := strings.TrimRight(s[:cut], " \n\t"); chunk != "" {
			chunks = append(chunks, chunk)
		}
		s = strings.TrimLeft(s[cut:], " \n\t")
	}
	return chunks
}

func breakAt(s string, end int) int {
	for _, sep := range []byte{'\n', ' '} {
		for p := end; p > end/2; p-- {
			if s[p-1] == sep && cuttable(s, p) {
				return p
			}
		}
	}
	for p := end; p > 0; p-- {
		if cuttable(s, p) {
			return p
		}
	}
	return end
}
