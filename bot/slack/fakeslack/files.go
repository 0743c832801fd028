package fakeslack

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// The upload flow of slack-go's UploadFile (named UploadFileV2 before
// v0.35.0): files.getUploadURLExternal, a multipart POST of the content
// (form field "file") to the upload URL, then files.completeUploadExternal.

func (s *Server) fileLocked(id string) *File {
	for _, f := range s.files {
		if f.ID == id {
			return f
		}
	}
	return nil
}

func (s *Server) filesGetUploadURLExternal(p params) (map[string]any, error) {
	length, err := strconv.Atoi(p["length"])
	if p["filename"] == "" || err != nil || length <= 0 {
		return nil, slackErr("invalid_arguments")
	}
	f := &File{ID: s.nextIDLocked('F'), Name: p["filename"], Length: length}
	s.files = append(s.files, f)
	return map[string]any{"upload_url": s.srv.URL + "/upload/v1/" + f.ID, "file_id": f.ID}, nil
}

// serveUpload stores the content posted to an upload URL: the "file" part of
// a multipart form (the first file part if none is named so), or the raw
// body. Like Slack it answers "OK - <length>".
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/upload/v1/")
	s.mu.Lock()
	known := s.fileLocked(id) != nil
	s.mu.Unlock()
	if !known {
		http.NotFound(w, r)
		return
	}
	content, err := uploadContent(r)
	if err != nil {
		http.Error(w, "bad upload: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	f := s.fileLocked(id)
	f.Content, f.Uploaded = content, true
	s.mu.Unlock()
	_, _ = fmt.Fprintf(w, "OK - %d", len(content))
}

func uploadContent(r *http.Request) ([]byte, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		return io.ReadAll(r.Body)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, err
	}
	var first []byte
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if part.FileName() == "" && part.FormName() != "file" {
			continue
		}
		b, err := io.ReadAll(part)
		if err != nil {
			return nil, err
		}
		if part.FormName() == "file" {
			return b, nil
		}
		if first == nil {
			first = b
		}
	}
	if first == nil {
		return nil, fmt.Errorf("no file part")
	}
	return first, nil
}

// filesCompleteUploadExternal shares uploaded files to channel_id (or the
// first of channels), optionally in a thread. All files must have been
// uploaded (else file_not_found); nothing changes if any check fails.
func (s *Server) filesCompleteUploadExternal(p params) (map[string]any, error) {
	var summaries []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(p["files"]), &summaries); err != nil || len(summaries) == 0 {
		return nil, slackErr("invalid_arguments")
	}
	channelRef := p["channel_id"]
	if channelRef == "" && p["channels"] != "" {
		channelRef, _, _ = strings.Cut(p["channels"], ",")
	}
	channelID, threadTS := "", ""
	if channelRef != "" {
		c := s.channelLocked(strings.TrimSpace(channelRef), false)
		if c == nil {
			return nil, slackErr("channel_not_found")
		}
		channelID = c.ID
		var err error
		if threadTS, err = s.threadLocked(c.ID, p["thread_ts"]); err != nil {
			return nil, err
		}
	}
	for _, sum := range summaries {
		if f := s.fileLocked(sum.ID); f == nil || !f.Uploaded {
			return nil, slackErr("file_not_found")
		}
	}
	var out []map[string]any
	for _, sum := range summaries {
		f := s.fileLocked(sum.ID)
		f.Title = sum.Title
		if f.Title == "" {
			f.Title = f.Name
		}
		f.Channel, f.ThreadTS, f.InitialComment, f.Completed = channelID, threadTS, p["initial_comment"], true
		out = append(out, map[string]any{"id": f.ID, "title": f.Title, "name": f.Name, "size": len(f.Content)})
	}
	return map[string]any{"files": out}, nil
}
