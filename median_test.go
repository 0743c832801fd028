package muster

import (
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	m := time.Minute
	for _, tc := range []struct {
		ds   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{5 * m}, 5 * m},
		{[]time.Duration{9 * m, 1 * m, 5 * m}, 5 * m},
		{[]time.Duration{4 * m, 1 * m, 10 * m, 2 * m}, 3 * m},
	} {
		in := append([]time.Duration(nil), tc.ds...)
		if got := Median(tc.ds); got != tc.want {
			t.Errorf("Median(%v) = %s, want %s", tc.ds, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.ds[i] {
				t.Errorf("Median reordered its input: %v", tc.ds)
			}
		}
	}
}
