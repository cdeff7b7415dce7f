package input

import (
	"strconv"
	"strings"
	"testing"
)

// durationBySplit is the first reading of durations, kept as the oracle
// of duration's digit fast path.
func durationBySplit(s string) (float64, bool) {
	parts := strings.Split(s, ":")
	if len(parts) > 3 || s == "" {
		return 0, false
	}
	total := 0.0
	for i, p := range parts {
		last := i == len(parts)-1
		if !isPlainNumber(p) || strings.ContainsAny(p, "+-eE") || !last && strings.Contains(p, ".") {
			return 0, false
		}
		v, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return 0, false
		}
		if i > 0 && v >= 60 {
			return 0, false
		}
		total = total*60 + v
	}
	return total, true
}

// FuzzDuration holds duration to the oracle: the same seconds, the same
// refusals.
func FuzzDuration(f *testing.F) {
	for _, s := range []string{"0:02:16", "1:00:00", "59:59", "75", "1.5", "0:00:01.25", "1:2:3:4", "1::2", ":", "",
		"0:60", "1e3", "-1", "+5", "00001", "999999999", "1234567890", "1:30.5:00", " 1", "٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, gok := duration(s)
		want, wok := durationBySplit(s)
		if gok != wok || got != want {
			t.Fatalf("duration(%q) = %v, %v; oracle %v, %v", s, got, gok, want, wok)
		}
	})
}
