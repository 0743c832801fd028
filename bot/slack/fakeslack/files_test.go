package fakeslack_test

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestUploadFile(t *testing.T) {
	t.Parallel()
	s, api := newFake(t)
	s.AddChannel("C100", "inc-1", false)
	_, ts, err := api.PostMessage("C100", slack.MsgOptionText("postmortem", false))
	if err != nil {
		t.Fatal(err)
	}

	content := "# Postmortem INC-1\n\nThe database was down.\n"
	sum, err := api.UploadFile(slack.UploadFileParameters{
		Reader:          strings.NewReader(content),
		FileSize:        len(content),
		Filename:        "postmortem.md",
		Title:           "Postmortem INC-1",
		Channel:         "C100",
		ThreadTimestamp: ts,
		InitialComment:  "here it is",
	})
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	if sum.ID != "F0001" || sum.Title != "Postmortem INC-1" {
		t.Errorf("summary = %+v", sum)
	}
	files := s.Files()
	if len(files) != 1 {
		t.Fatalf("files = %+v", files)
	}
	f := files[0]
	if string(f.Content) != content || f.Name != "postmortem.md" || f.Title != "Postmortem INC-1" ||
		!f.Completed || f.Channel != "C100" || f.ThreadTS != ts || f.InitialComment != "here it is" || f.Length != len(content) {
		t.Errorf("file = %+v (content %q)", f, f.Content)
	}
}

func TestUploadFileErrors(t *testing.T) {
	t.Parallel()
	s, api := newFake(t)

	_, err := api.UploadFile(slack.UploadFileParameters{Content: "x", FileSize: 1, Filename: "a.txt", Channel: "C404"})
	if slackCode(err) != "channel_not_found" {
		t.Errorf("unknown channel: %v", err)
	}
	if f := s.Files(); len(f) != 1 || f[0].Completed || string(f[0].Content) != "x" {
		t.Errorf("files = %+v", f)
	}
	// Completing a file that was never uploaded.
	u, err := api.GetUploadURLExternalContext(t.Context(), slack.GetUploadURLExternalParameters{FileName: "b.txt", FileSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	_, err = api.CompleteUploadExternalContext(t.Context(), slack.CompleteUploadExternalParameters{
		Files: []slack.FileSummary{{ID: u.FileID}},
	})
	if slackCode(err) != "file_not_found" {
		t.Errorf("complete without upload: %v", err)
	}
}
