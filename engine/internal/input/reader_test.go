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
				for _, f := range r.fields {
					b.WriteString(f.name + "=" + f.text + ";")
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
