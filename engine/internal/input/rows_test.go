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

// FuzzWhen holds the digit-by-digit reading of YYYY-MM-DD HH:MM:SS to
// time.ParseInLocation: whatever it accepts is the same instant, date and
// hour in the rollup's zone, DST gaps and leap days included.
func FuzzWhen(f *testing.F) {
	for _, s := range []string{"2026-10-31 23:30:00", "2026-10-31T23:30:00", "2024-02-29 00:00:00", "2023-02-29 00:00:00",
		"2026-03-29 02:30:00", "2026-10-25 02:30:00", "2026-13-01 00:00:00", "2026-04-31 10:00:00", "0000-01-01 00:00:00",
		"2026-10-01 24:00:00", "2026-10-01 23:60:00", "2026-1-01 10:00:00", "2026-10-01 10:00:0x", "2100-02-29 12:00:00"} {
		f.Add(s, "Europe/Berlin")
		f.Add(s, "Asia/Jakarta")
	}
	f.Fuzz(func(t *testing.T, s, zone string) {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			return
		}
		rc := &RowConverter{ru: &rules.Rollup{TimeZone: loc}}
		field := NewField(FieldText, s, false, 1, 1)
		got, date, hour, msg := rc.when(&field)
		want, wmsg := rc.time(&field)
		if (msg == "") != (wmsg == "") {
			t.Fatalf("%q in %s: when %q, time %q", s, zone, msg, wmsg)
		}
		if msg != "" {
			return
		}
		y, mo, d := want.Date()
		if !got.Equal(want) || got.Location() != want.Location() || date != y*10000+int(mo)*100+d || hour != want.Hour() {
			t.Fatalf("%q in %s: when %v %d %d, time %v", s, zone, got, date, hour, want)
		}
	})
}
