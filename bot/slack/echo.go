package slack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// dropEcho is the transport of muster's Slack client. chat.postMessage and
// chat.update answer with the message they posted, blocks and all, and
// slack-go decodes that echo into its types although muster reads only
// ok, error, channel and ts. For the war room's header, rewritten on every
// role or status change, that decoding took 70 µs a call: under the load
// command a twentieth of muster's CPU time, for 2% of its requests. So the
// "message" member is cut out of those answers before slack-go reads them.
// Any other answer, or one that is not a JSON object, passes as it came.
type dropEcho struct{ next http.RoundTripper }

func (d dropEcho) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := d.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK || !echoes(req.URL.Path) {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read answer of %s: %w", req.URL.Path, err)
	}
	body = withoutMember(body, "message")
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// echoes reports whether the Web API method at path answers with the
// message it posted.
func echoes(path string) bool {
	return strings.HasSuffix(path, "/chat.postMessage") || strings.HasSuffix(path, "/chat.update")
}

// withoutMember returns body, a JSON object, without its member name (the
// first one, matched exactly) and the comma that joined it to the others.
// Anything else comes back as it is.
func withoutMember(body []byte, name string) []byte {
	if !json.Valid(body) {
		return body
	}
	start, end := -1, -1
	s := scanner{b: body}
	ok := s.object(func(key []byte) bool {
		if start >= 0 || string(key) != name {
			return s.skip()
		}
		// The key has no escapes (object gives up on those): walk back
		// over the spaces, the colon and the quoted key to its start.
		k := s.i - 1
		for isSpace(body[k]) {
			k--
		}
		k-- // the colon
		for isSpace(body[k]) {
			k--
		}
		start = k - len(key) - 1 // the opening quote
		if !s.skip() {
			return false
		}
		end = s.i
		return true
	})
	if !ok || start < 0 {
		return body
	}
	// Take the comma after the member, or else the one before it.
	s.i = end
	s.space()
	if body[s.i] == ',' {
		end = s.i + 1
	} else {
		k := start - 1
		for isSpace(body[k]) {
			k--
		}
		if body[k] == ',' {
			start = k
		}
	}
	return append(body[:start:start], body[end:]...)
}
