package input

import (
	"fmt"
	"io"
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

// TestNDJSONLineHoldsOneObject: SPEC §5. Text after a line's object is bad
// input at its line and column (the row is rejected, the next line read);
// a lone surrogate escape is refused rather than read as U+FFFD, while a
// real U+FFFD, written or escaped, is kept.
func TestNDJSONLineHoldsOneObject(t *testing.T) {
	text := `{"subject":"A","period":"2026-10"} {"subject":"B","period":"2026-10"}
{"subject":"C","period":"2026-10"}  x
{"subject":"D\ud800","period":"2026-10"}
{"subject":"E\ufffd","period":"2026-10"}
{"subject":"F�","period":"2026-10"}
{"subject":"G","period":"2026-10"}   
`
	rr, err := NewReader(strings.NewReader(text), "a.ndjson", FormatNDJSON)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		rec, err := rr.Next()
		if err != nil {
			e, ok := err.(*Error)
			if !ok {
				break
			}
			got = append(got, fmt.Sprintf("%d:%d %s", e.Line, e.Column, e.Msg))
			continue
		}
		got = append(got, rec.fields[0].text)
	}
	want := []string{
		"1:36 unexpected text after the object: an NDJSON line holds exactly one object",
		"2:37 unexpected text after the object: an NDJSON line holds exactly one object",
		"3:12 invalid JSON string: a \\u escape that is half of a surrogate pair is not a character",
		"E\ufffd", "F\ufffd", "G",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// TestMultiReaderNamesEachFile: the parts are read in order, each in its
// format, records carry their part, and a part that cannot start (no
// header) ends the input with an error naming it.
func TestMultiReaderNamesEachFile(t *testing.T) {
	open := func(s string) func() (io.ReadCloser, error) {
		return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }
	}
	m := NewMultiReader([]Part{
		{Name: "a.csv", Format: FormatCSV, Open: open("subject,period\nA,2026-10\n")},
		{Name: "b.ndjson", Format: FormatNDJSON, Open: open(`{"subject":"B","period":"2026-10"}` + "\n")},
		{Name: "c.csv", Format: FormatCSV, Open: open("")},
	})
	var got []string
	for {
		rec, err := m.Next()
		if err == io.EOF {
			t.Fatal("the empty part did not fail the input")
		}
		if err != nil {
			got = append(got, err.Error())
			break
		}
		got = append(got, fmt.Sprintf("%d %s", rec.part, rec.fields[0].text))
	}
	want := []string{"0 A", "1 B", "c.csv:1: the file is empty: a CSV input needs a header row"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// BenchmarkReadCSV reads voice-agent rows into records that rotate as a
// parallel reader's batches do, so each is written again after others.
func BenchmarkReadCSV(b *testing.B) {
	var text strings.Builder
	text.WriteString("subject,period,team,tenure_days,base_pay,handled,aht,resolved_first,surveys,satisfied,adherence,qa_autofails,days_worked\n")
	const rows = 20000
	for i := range rows {
		fmt.Fprintf(&text, "A-%d,2026-10,north,1780,2987.22,471,297.2,359,47,45,0.873,0,31\n", i)
	}
	recs := make([]Record, 6*256)
	b.SetBytes(int64(text.Len()))
	b.ReportAllocs()
	for b.Loop() {
		rr, err := NewReader(strings.NewReader(text.String()), "a.csv", FormatCSV)
		if err != nil {
			b.Fatal(err)
		}
		for n := 0; ; n++ {
			if err := NextInto(rr, &recs[n%len(recs)]); err == io.EOF {
				if n != rows {
					b.Fatalf("%d rows", n)
				}
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}
