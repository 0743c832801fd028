package config

// StatusPage configures the public status page (/status, /status.json,
// /status/feed.atom) and its mirror on Atlassian Statuspage.
type StatusPage struct {
	// Title heads the public page, e.g. "Example Inc. status".
	Title string `yaml:"title"`
	// Components are what customers see the state of; each depends on
	// services of the catalog.
	Components []Component `yaml:"components"`
	// Atlassian mirrors every public post and component change to an
	// Atlassian Statuspage page, when PageID and the API key are set.
	Atlassian Atlassian `yaml:"atlassian"`
}

// Component is one part of the product as the public page names it.
type Component struct {
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Services    []string `yaml:"services"` // services of the catalog it depends on
	// AtlassianID is the component's id on the Atlassian Statuspage page
	// (e.g. "8kbf7d35c070"); without it the component is not mirrored.
	AtlassianID string `yaml:"atlassian_id"`
}

// Atlassian is the Statuspage REST API v1 mirror.
type Atlassian struct {
	PageID string `yaml:"page_id"`
	APIURL string `yaml:"api_url"` // default https://api.statuspage.io/v1
	APIKey string `yaml:"-" env:"STATUSPAGE_API_KEY" secret:"true"`
}

// Enabled reports whether public posts are mirrored to Statuspage.
func (a Atlassian) Enabled() bool { return a.PageID != "" && a.APIKey != "" }
