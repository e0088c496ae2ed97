package appmeta

import "testing"

func TestSizeWords(t *testing.T) {
	for _, c := range []struct {
		lo, hi int64
		want   string
	}{
		{-1, -1, "not available yet"}, {0, 999, "fewer than 1,000"}, {20, 20, "fewer than 1,000"}, {1000, 1000, "1,000"},
		{0, 1000, "up to 1,000"}, {1200, 1400, "1,200 to 1,400"}, {2500000, -1, "at least 2,500,000"}, {14000, 14000, "14,000"},
		{123, 123456789, "123 to 123,456,789"},
	} {
		if got := SizeWords(c.lo, c.hi); got != c.want {
			t.Errorf("SizeWords(%d, %d) = %q, want %q", c.lo, c.hi, got, c.want)
		}
	}
}
