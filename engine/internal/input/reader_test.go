package input

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNextIntoKeepsEachRecord: records read with NextInto stay the
// caller's: reading on does not change them (their fields, their raw text
// for the rejects file), for CSV (filled in place) and NDJSON (copied), and
// they equal what Next gives.
func TestNextIntoKeepsEachRecord(t *testing.T) {
	for _, in := range []struct{ name, format, text string }{
		{"a.csv", "csv", "subject,period,x\nA,2026-10,1\nB,2026-10,\"2,5\"\nC,2026-11,3\n"},
		{"a.ndjson", "ndjson", "{\"subject\":\"A\",\"period\":\"2026-10\",\"x\":1}\n{\"subject\":\"B\",\"period\":\"2026-10\",\"x\":\"2,5\"}\n{\"subject\":\"C\",\"period\":\"2026-11\",\"x\":3}\n"},
	} {
		t.Run(in.format, func(t *testing.T) {
			describe := func(r *Record) string {
				var b strings.Builder
				for i, f := range r.fields {
					b.WriteString(r.names[i] + "=" + f.text + ";")
				}
				return b.String() + "|" + r.rawText()
			}
			var want []string
			rr, err := NewReader(strings.NewReader(in.text), in.name, in.format)
			if err != nil {
				t.Fatal(err)
			}
			for rec, err := rr.Next(); err == nil; rec, err = rr.Next() {
				want = append(want, describe(rec))
			}
			rr, err = NewReader(strings.NewReader(in.text), in.name, in.format)
			if err != nil {
				t.Fatal(err)
			}
			recs := make([]Record, 4)
			n := 0
			for ; NextInto(rr, &recs[n]) == nil; n++ {
			}
			var got []string
			for _, r := range recs[:n] {
				got = append(got, describe(&r))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-Next +NextInto):\n%s", diff)
			}
		})
	}
}

// TestInKeyOrder: records in byte order of subject NUL period are in key
// order; a key that repeats or goes back, or a row that cannot be read, is
// not.
func TestInKeyOrder(t *testing.T) {
	for _, tt := range []struct {
		text string
		want bool
	}{
		{"subject,period\n", true},
		{"period,subject\n2026-10,A\n2026-11,A\n2026-09,B\n", true},
		{"subject,period\nA-10,2026-10\nA-9,2026-10\n", true}, // bytes, not numbers
		{"subject,period\nA-9,2026-10\nA-10,2026-10\n", false},
		{"subject,period\nA,2026-11\nA,2026-10\n", false},
		{"subject,period\nA,2026-10\nA,2026-10\n", false},
		{"subject,period\nA,2026-10\nB\nC,2026-10\n", false},
	} {
		rr, err := NewReader(strings.NewReader(tt.text), "a.csv", "csv")
		if err != nil {
			t.Fatal(err)
		}
		if got := InKeyOrder(rr); got != tt.want {
			t.Errorf("%q: %v, want %v", tt.text, got, tt.want)
		}
	}
}
