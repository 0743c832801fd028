package muster

import (
	"slices"
	"time"
)

// Median is the middle of ds, the mean of the middle two for an even
// count, as `stats`, the digest and /insights all report it; 0 for none.
// ds is left as it was.
func Median(ds []time.Duration) time.Duration {
	n := len(ds)
	if n == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(ds))
	if n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[n/2]
}
