// Package suggest finds what a mistyped word was meant to be, for the
// "did you mean …?" in error messages about commands and config keys.
package suggest

import "strings"

// Closest returns the candidate that word most likely misspells, or "".
// Case and the separators _ - and space are ignored (update-every matches
// update_every). Longer candidates tolerate more typos: one edit up to four
// characters, two up to nine, three beyond. Ties go to the earlier candidate.
func Closest(word string, candidates []string) string {
	best, bestDist := "", 0
	for _, c := range candidates {
		if normalize(c) == normalize(word) {
			return c
		}
		d := Distance(strings.ToLower(word), strings.ToLower(c))
		limit := 1
		if len(c) >= 5 {
			limit = 2
		}
		if len(c) >= 10 {
			limit = 3
		}
		if d <= limit && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// Same reports whether a and b are the same word but for case and the
// separators _ - and space.
func Same(a, b string) bool { return normalize(a) == normalize(b) }

func normalize(s string) string {
	return strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(s))
}

// Distance is the Levenshtein edit distance between a and b, in bytes.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
