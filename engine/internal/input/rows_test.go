package input

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rubric-dev/rubric/rules"
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

// TestWhen: a time cell read in the rollup's zone, with its local date and
// hour: a time in a daylight-saving gap moves on, a leap day exists only
// in a leap year, a time with an offset is moved into the zone.
func TestWhen(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	rc := &RowConverter{ru: &rules.Rollup{TimeZone: berlin}}
	for _, tt := range []struct {
		in         string
		want       string // RFC 3339 in Berlin, or "" for an error
		date, hour int
	}{
		{"2026-10-31 23:30:00", "2026-10-31T23:30:00+01:00", 20261031, 23},
		{"2026-10-31T23:30:00", "2026-10-31T23:30:00+01:00", 20261031, 23},
		{"2026-03-29 02:30:00", "2026-03-29T03:30:00+02:00", 20260329, 3},
		{"2024-02-29 00:00:00", "2024-02-29T00:00:00+01:00", 20240229, 0},
		{"2026-10-31T23:30:00Z", "2026-11-01T00:30:00+01:00", 20261101, 0},
		{"2026-10-01", "2026-10-01T00:00:00+02:00", 20261001, 0},
		{"2023-02-29 00:00:00", "", 0, 0},
		{"2026-10-01 24:00:00", "", 0, 0},
		{"yesterday", "", 0, 0},
	} {
		field := NewField(FieldText, tt.in, false, 1, 1)
		got, date, hour, msg := rc.when(&field)
		if tt.want == "" {
			if msg == "" {
				t.Errorf("%q: read as %v, want an error", tt.in, got)
			}
			continue
		}
		if msg != "" || got.Format(time.RFC3339) != tt.want || date != tt.date || hour != tt.hour {
			t.Errorf("%q: %v %d %d %q, want %s %d %d", tt.in, got.Format(time.RFC3339), date, hour, msg, tt.want, tt.date, tt.hour)
		}
	}
}
