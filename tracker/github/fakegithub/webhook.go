package fakegithub

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// WebhookBody returns the "issues" delivery of action (closed, reopened,
// labeled, …) about the issue number as it is now, shaped as GitHub
// documents the event.
func (s *Server) WebhookBody(action string, number int) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.find(number)
	if is == nil {
		return nil
	}
	owner, name, _ := strings.Cut(s.Repo, "/")
	body := map[string]any{
		"action": action,
		"issue":  s.IssueJSON(is),
		"repository": map[string]any{
			"id": 1296269, "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5", "name": name, "full_name": s.Repo,
			"private": true, "owner": s.userJSON(owner), "html_url": "https://github.com/" + s.Repo,
			"default_branch": "main",
		},
		"sender": s.userJSON("octocat"),
	}
	data, _ := json.Marshal(body) // maps of plain values always encode
	return data
}

// Signature returns the X-Hub-Signature-256 value GitHub sends for body
// with the webhook's secret. It is computed here from the documentation
// rather than with tracker.Sign, so a test checks the receiver against
// GitHub's format instead of against itself.
func Signature(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// SendWebhook delivers body of the event to url as GitHub does, signed
// with secret (no signature when empty), and returns the status the
// receiver answered.
func SendWebhook(ctx context.Context, hc *http.Client, url, event string, body []byte, secret, delivery string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("build the webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/044aadd")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-GitHub-Hook-ID", "292430182")
	if secret != "" {
		req.Header.Set("X-Hub-Signature-256", Signature(body, secret))
	}
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("deliver the webhook: %w", err)
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
