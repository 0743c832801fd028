package fakejira

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// WebhookBody returns the jira:issue_updated delivery about the issue
// key as it is now, shaped as Jira documents it. from, when not empty
// and not the issue's status, adds the status change to the changelog;
// otherwise the changelog holds a comment-like edit of the summary.
func (s *Server) WebhookBody(key, from string, at time.Time) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.find(key)
	if is == nil {
		return nil
	}
	issue := s.issueJSON(is)
	fields := issue["fields"].(map[string]any)
	fields["summary"] = is.Summary
	fields["duedate"] = nilIfEmpty(is.DueDate)
	fields["priority"] = map[string]any{"name": is.Priority, "self": s.URL + "/rest/api/2/priority/3", "id": "3"}
	fields["issuetype"] = map[string]any{"name": is.IssueType, "id": "10002", "subtask": false}
	fields["project"] = map[string]any{"key": s.Project, "id": "10000", "name": s.Project}
	// Webhooks link the issue through REST API 2, whatever the API the
	// change came through.
	issue["self"] = s.URL + "/rest/api/2/issue/" + is.ID
	item := map[string]any{
		"field": "summary", "fieldtype": "jira", "fieldId": "summary",
		"from": nil, "fromString": is.Summary, "to": nil, "toString": is.Summary,
	}
	if from != "" && from != is.Status {
		st := statusJSON(is.Status)
		prev := statusJSON(from)
		item = map[string]any{
			"field": "status", "fieldtype": "jira", "fieldId": "status",
			"from": prev["id"], "fromString": from, "to": st["id"], "toString": is.Status,
		}
	}
	body := map[string]any{
		"timestamp":             at.UnixMilli(),
		"webhookEvent":          "jira:issue_updated",
		"issue_event_type_name": "issue_generic",
		"user": map[string]any{
			"self":        s.URL + "/rest/api/2/user?accountId=5b10a2844c20165700ede21g",
			"accountId":   "5b10a2844c20165700ede21g",
			"displayName": "Jane Doe", "active": true, "accountType": "atlassian", "timeZone": "Europe/Berlin",
		},
		"issue": issue,
		"changelog": map[string]any{
			"id":    fmt.Sprint(at.UnixMilli() % 100000),
			"items": []any{item},
		},
	}
	data, _ := json.Marshal(body) // maps of plain values always encode
	return data
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Signature returns the X-Hub-Signature value Jira sends for body with
// the webhook's secret: "sha256=" and the hex HMAC-SHA256. It is computed
// here from the documentation rather than with tracker.Sign, so a test
// checks the receiver against Jira's format instead of against itself.
func Signature(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// SendWebhook delivers body to url as Jira does, signed with secret (no
// signature when empty), and returns the status the receiver answered.
func SendWebhook(ctx context.Context, hc *http.Client, url string, body []byte, secret, delivery string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("build the webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Atlassian Webhook HTTP Client")
	req.Header.Set("X-Atlassian-Webhook-Identifier", delivery)
	req.Header.Set("X-Atlassian-Webhook-Retry", "0")
	if secret != "" {
		req.Header.Set("X-Hub-Signature", Signature(body, secret))
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
