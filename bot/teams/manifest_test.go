package teams

import (
	"encoding/json"
	"image/png"
	"os"
	"slices"
	"testing"
)

// TestManifest checks the shipped Teams app package: the bot's scopes, the
// resource-specific permission the timeline needs, the command list and
// icons of the sizes Teams requires.
func TestManifest(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/teams/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Icons struct{ Color, Outline string } `json:"icons"`
		Bots  []struct {
			Scopes       []string `json:"scopes"`
			CommandLists []struct {
				Commands []struct{ Title string } `json:"commands"`
			} `json:"commandLists"`
		} `json:"bots"`
		Authorization struct {
			Permissions struct {
				ResourceSpecific []struct{ Name, Type string } `json:"resourceSpecific"`
			} `json:"permissions"`
		} `json:"authorization"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if len(m.Bots) != 1 || !slices.Contains(m.Bots[0].Scopes, "team") || !slices.Contains(m.Bots[0].Scopes, "personal") {
		t.Errorf("bots = %+v, want one bot in the team and personal scopes", m.Bots)
	}
	var commands []string
	for _, l := range m.Bots[0].CommandLists {
		for _, c := range l.Commands {
			commands = append(commands, c.Title)
		}
	}
	for _, want := range []string{"declare", "update", "resolve", "help"} {
		if !slices.Contains(commands, want) {
			t.Errorf("command list lacks %s", want)
		}
	}
	var rsc []string
	for _, p := range m.Authorization.Permissions.ResourceSpecific {
		rsc = append(rsc, p.Name)
	}
	if !slices.Contains(rsc, "ChannelMessage.Read.Group") {
		t.Error("without ChannelMessage.Read.Group the bot sees only @mentions, and the timeline misses the room's messages")
	}
	for name, size := range map[string]int{m.Icons.Color: 192, m.Icons.Outline: 32} {
		f, err := os.Open("../../deploy/teams/" + name)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() != size || img.Bounds().Dy() != size {
			t.Errorf("%s: %v, want a %dx%d PNG", name, err, size, size)
		}
	}
}
