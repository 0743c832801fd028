package slack

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// decodeEnvelope reads the envelope of an Events API request. Every event
// pays for this, and encoding/json's reflection was the largest part of
// an event's own work, so bodies of the usual shape are read by a small
// scanner; anything unusual (a key in another case, a field of another
// type, a body that is not an object) is left to encoding/json, whose
// result the scanner's always equals (FuzzDecodeEnvelope checks it).
func decodeEnvelope(body []byte) (envelope, error) {
	if !json.Valid(body) {
		var env envelope
		return env, json.Unmarshal(body, &env) // for encoding/json's own error
	}
	if env, ok := scanEnvelope(body); ok {
		return env, nil
	}
	var env envelope
	err := json.Unmarshal(body, &env)
	return env, err
}

// scanEnvelope reads body, valid JSON, into an envelope; ok is false when
// encoding/json must do it.
func scanEnvelope(body []byte) (env envelope, ok bool) {
	s := scanner{b: body}
	ok = s.object(func(key []byte) bool {
		switch string(key) {
		case "type":
			return s.str(&env.Type)
		case "challenge":
			return s.str(&env.Challenge)
		case "event_id":
			return s.str(&env.EventID)
		case "event":
			if s.null() {
				return true
			}
			e := &env.Event
			return s.object(func(key []byte) bool {
				switch string(key) {
				case "type":
					return s.str(&e.Type)
				case "subtype":
					return s.str(&e.Subtype)
				case "user":
					return s.str(&e.User)
				case "bot_id":
					return s.str(&e.BotID)
				case "channel":
					return s.str(&e.Channel)
				case "text":
					return s.str(&e.Text)
				case "ts":
					return s.str(&e.TS)
				case "thread_ts":
					return s.str(&e.ThreadTS)
				}
				return !foldsTo(key, "type", "subtype", "user", "bot_id", "channel", "text", "ts", "thread_ts") && s.skip()
			})
		}
		return !foldsTo(key, "type", "challenge", "event_id", "event") && s.skip()
	})
	return env, ok
}

// foldsTo reports whether key matches one of names only when case is
// ignored, as encoding/json matches field names: the scanner does not.
func foldsTo(key []byte, names ...string) bool {
	for _, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return true
		}
	}
	return false
}

// scanner walks valid JSON. Each method returns false when it meets what
// it does not handle, and the caller gives up.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) && isSpace(s.b[s.i]) {
		s.i++
	}
}

// isSpace reports whether c is white space between JSON tokens.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// object reads an object, calling field for each key with the scanner on
// the key's value, which field must consume.
func (s *scanner) object(field func(key []byte) bool) bool {
	s.space()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return false
	}
	s.i++
	s.space()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	for {
		s.space()
		raw, ok := s.rawString()
		if !ok || bytes.IndexByte(raw, '\\') >= 0 {
			return false // an escaped key: encoding/json unescapes it first
		}
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		s.space()
		if !field(raw) {
			return false
		}
		s.space()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// rawString reads a string and returns what is between its quotes, as is
// (a slice of the body).
func (s *scanner) rawString() ([]byte, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch s.b[j] {
		case '\\':
			j++ // the escaped byte cannot end the string
		case '"':
			s.i = j + 1
			return s.b[start:j:j], true
		}
	}
	return nil, false
}

// str reads a string value into dst; null leaves dst as it is, as
// encoding/json does.
func (s *scanner) str(dst *string) bool {
	if s.null() {
		return true
	}
	start := s.i
	raw, ok := s.rawString()
	if !ok {
		return false
	}
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		*dst = string(raw)
		return true
	}
	// Escapes or invalid UTF-8: encoding/json's own rules, for this
	// string alone.
	var v string
	if err := json.Unmarshal(s.b[start:s.i], &v); err != nil {
		return false
	}
	*dst = v
	return true
}

func (s *scanner) null() bool {
	if bytes.HasPrefix(s.b[s.i:], []byte("null")) {
		s.i += 4
		return true
	}
	return false
}

// skip passes over one value of any kind.
func (s *scanner) skip() bool {
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '"':
		_, ok := s.rawString()
		return ok
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if _, ok := s.rawString(); !ok {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return true
				}
			}
			s.i++
		}
		return false
	default: // a number, true, false or null
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return true
			}
			s.i++
		}
		return true
	}
}
