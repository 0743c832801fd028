package muster

import (
	"strings"
	"time"
	"unicode"
)

// Severity is one level of the configured severity ladder. The ladder is
// ordered from most to least severe; a lower index is more severe.
type Severity struct {
	Name        string        // "SEV1"
	Aliases     []string      // other words for it: "p1", "critical"
	Description string        // "Critical: complete outage, all hands"
	UpdateEvery time.Duration // status-update cadence; 0 means no reminders
	// PublicEvery is how stale the public status page may get while an
	// incident that published to it is open; 0 means no such reminder.
	PublicEvery time.Duration
	Notify      []string // users, groups or channels invited or paged on declare
	WarRoom     bool     // whether declaring creates a war room
	// EscalateAfter is how many consecutive reminders may go unanswered
	// before the next one escalates to the IC and the announcement channel.
	EscalateAfter int
	// Hours, when set, hold the update reminders outside working hours.
	Hours *WorkingHours
	// Page: whether incidents of this severity page the on-call of their
	// affected services (at declare, at an upgrade into it, and when a
	// service is added).
	Page bool
	// PagerDutySeverity is the Events API v2 payload.severity of its
	// pages: critical, error, warning or info.
	PagerDutySeverity string
}

// Severities is the ordered ladder, most severe first.
type Severities []Severity

// Find returns the severity that word names, and its rank (its index).
// People type severities under stress, so one severity answers to its name
// in any case ("SEV1", "sev1"), with a separator ("sev-1", "sev_1", "sev
// 1"), by its number alone ("1", when exactly one name ends in 1), and by
// its configured aliases ("p1", "critical"), compared the same way.
func (s Severities) Find(word string) (Severity, int, bool) {
	for i, sev := range s {
		if strings.EqualFold(sev.Name, word) {
			return sev, i, true
		}
	}
	key := severityKey(word)
	if key == "" {
		return Severity{}, -1, false
	}
	for i, sev := range s {
		if severityKey(sev.Name) == key {
			return sev, i, true
		}
		for _, a := range sev.Aliases {
			if severityKey(a) == key {
				return sev, i, true
			}
		}
	}
	if !allDigits(key) {
		return Severity{}, -1, false
	}
	found := -1
	for i, sev := range s {
		if severityNumber(sev.Name) == key {
			if found >= 0 {
				return Severity{}, -1, false // "1" of both SEV1 and P1: ambiguous
			}
			found = i
		}
	}
	if found < 0 {
		return Severity{}, -1, false
	}
	return s[found], found, true
}

// FindWords finds the severity the first words name: the first word, or
// the first two when they are a name and a number ("sev 1"). n is how many
// words it took.
func (s Severities) FindWords(words []string) (sev Severity, rank, n int, ok bool) {
	if len(words) == 0 {
		return Severity{}, -1, 0, false
	}
	if sev, rank, ok := s.Find(words[0]); ok {
		return sev, rank, 1, true
	}
	if len(words) > 1 && allLetters(words[0]) && allDigits(words[1]) {
		if sev, rank, ok := s.Find(words[0] + words[1]); ok {
			return sev, rank, 2, true
		}
	}
	return Severity{}, -1, 0, false
}

// LooksLike reports whether the first words look like a severity someone
// meant, whether or not it is one: "sev9", "sev 9", "sev", "p9", a single
// digit, or a configured name's or alias's letters with a digit. A
// declare refuses such a word rather than make it part of the title;
// "p99 latency" or "500s on checkout" do not look like one.
func (s Severities) LooksLike(words []string) bool {
	if len(words) == 0 {
		return false
	}
	key := severityKey(words[0])
	if len(words) > 1 && allLetters(words[0]) && allDigits(words[1]) {
		key += words[1]
	}
	letters := strings.TrimRightFunc(key, isDigit)
	digits := key[len(letters):]
	switch {
	case letters == "sev":
		return true // "sev", "sev9", "sev10"
	case len(digits) != 1:
		return false
	case letters == "" || letters == "p":
		return true // "9", "p9"
	}
	for _, sev := range s {
		for _, name := range append([]string{sev.Name}, sev.Aliases...) {
			k := severityKey(name)
			if l := strings.TrimRightFunc(k, isDigit); l != k && l == letters {
				return true
			}
		}
	}
	return false
}

// Names lists the severity names in order, for help and error texts.
func (s Severities) Names() []string {
	names := make([]string, len(s))
	for i, sev := range s {
		names[i] = sev.Name
	}
	return names
}

// Choices lists the severities for an error text, each with its aliases:
// "SEV1 (p1, critical), SEV2, SEV3".
func (s Severities) Choices() string {
	var b strings.Builder
	for i, sev := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(sev.Name)
		if len(sev.Aliases) > 0 {
			b.WriteString(" (" + strings.Join(sev.Aliases, ", ") + ")")
		}
	}
	return b.String()
}

// SeverityKey is how a severity word is compared: lowercase, without the
// separators people put between a name and its number ("Sev-1" → "sev1").
// The config uses it to find aliases that clash.
func SeverityKey(word string) string { return severityKey(word) }

// SeverityNumber is the number a name ends in when the name is letters and
// then digits ("SEV1" → "1"), else "": the number alone finds it.
func SeverityNumber(name string) string { return severityNumber(name) }

func severityKey(word string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', ' ', '\t':
			return -1
		}
		return unicode.ToLower(r)
	}, word)
}

func severityNumber(name string) string {
	key := severityKey(name)
	letters := strings.TrimRightFunc(key, isDigit)
	if letters == key || !allLetters(letters) {
		return ""
	}
	return key[len(letters):]
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func allDigits(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return !isDigit(r) }) < 0
}

func allLetters(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }) < 0
}

// DefaultSeverities is the ladder used when the config names none. It
// follows common industry practice: SEV1 critical through SEV4 low.
func DefaultSeverities() Severities {
	return Severities{
		{Name: "SEV1", Description: "Critical: complete outage or data loss, all hands", UpdateEvery: 30 * time.Minute, PublicEvery: 30 * time.Minute, WarRoom: true, EscalateAfter: 2, Page: true, PagerDutySeverity: "critical"},
		{Name: "SEV2", Description: "High: a major feature is down for many users", UpdateEvery: time.Hour, PublicEvery: time.Hour, WarRoom: true, EscalateAfter: 2, Page: true, PagerDutySeverity: "error"},
		{Name: "SEV3", Description: "Medium: degraded service or a small subset of users", UpdateEvery: 4 * time.Hour, WarRoom: true, EscalateAfter: 2, PagerDutySeverity: "warning"},
		{Name: "SEV4", Description: "Low: minimal impact, no reminders", WarRoom: true, EscalateAfter: 2, PagerDutySeverity: "info"},
	}
}

// Runbook is a link shown in the war room of matching incidents.
type Runbook struct {
	Title      string
	URL        string
	Severities []string // matches every severity when empty
	Keywords   []string // when given, one must appear in the title
}

// Matches reports whether the runbook applies to an incident of severity
// sev titled title.
func (r Runbook) Matches(sev, title string) bool {
	if len(r.Severities) > 0 {
		found := false
		for _, s := range r.Severities {
			found = found || strings.EqualFold(s, sev)
		}
		if !found {
			return false
		}
	}
	if len(r.Keywords) == 0 {
		return true
	}
	lower := strings.ToLower(title)
	for _, k := range r.Keywords {
		if k != "" && strings.Contains(lower, strings.ToLower(k)) {
			return true
		}
	}
	return false
}
