package teams

import (
	"encoding/json"
	"image/png"
	"net/url"
	"os"
	"slices"
	"strings"
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
		Developer struct {
			WebsiteURL    string `json:"websiteUrl"`
			PrivacyURL    string `json:"privacyUrl"`
			TermsOfUseURL string `json:"termsOfUseUrl"`
		} `json:"developer"`
		ValidDomains []string                        `json:"validDomains"`
		Icons        struct{ Color, Outline string } `json:"icons"`
		Bots         []struct {
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
	// The developer's pages are shown to everyone who installs the app:
	// they must exist. muster serves none of them, so none may be on the
	// bot's host; privacy and terms are the repository's documents until
	// the operator links their own (README, Microsoft Teams).
	for name, u := range map[string]string{"websiteUrl": m.Developer.WebsiteURL, "privacyUrl": m.Developer.PrivacyURL, "termsOfUseUrl": m.Developer.TermsOfUseURL} {
		parsed, err := url.Parse(u)
		if err != nil || parsed.Scheme != "https" || parsed.Host == "" {
			t.Errorf("%s = %q, want an https URL", name, u)
			continue
		}
		if slices.Contains(m.ValidDomains, parsed.Host) {
			t.Errorf("%s = %q is on the bot's host, where muster serves no such page", name, u)
		}
	}
	for name, doc := range map[string]string{m.Developer.PrivacyURL: "docs/privacy.md", m.Developer.TermsOfUseURL: "docs/terms.md"} {
		if !strings.HasSuffix(name, "/"+doc) {
			t.Errorf("%q is not the repository's %s", name, doc)
		}
		if _, err := os.Stat("../../" + doc); err != nil {
			t.Errorf("the manifest links %s: %v", doc, err)
		}
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
