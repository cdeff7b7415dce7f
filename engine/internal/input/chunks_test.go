package input

import (
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// recordTrace writes down a record: its line, and each field's name,
// kind, text and position.
func recordTrace(rec *Record, ok bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d ok %v:", rec.line, ok)
	for i := range rec.fields {
		f := &rec.fields[i]
		fmt.Fprintf(&b, " %s=%d%q@%d:%d", rec.names[i], f.kind, f.text, f.line, f.col)
	}
	return b.String()
}

// readerTrace is every record of text as a Reader reads it: ok false for
// a row it rejects, and where reading stops.
func readerTrace(t *testing.T, text string) []string {
	t.Helper()
	rr, err := NewReader(strings.NewReader(text), "in.csv", FormatCSV)
	if err != nil {
		return []string{"error " + err.Error()}
	}
	var out []string
	var rec Record
	for {
		err := NextInto(rr, &rec)
		switch e, _ := err.(*Error); {
		case err == io.EOF:
			return out
		case err == nil:
			out = append(out, recordTrace(&rec, true))
		case e != nil && strings.Contains(e.Msg, "fields; the header has"):
			out = append(out, fmt.Sprintf("line %d ok false", e.Line))
		default:
			return append(out, "stop "+err.Error())
		}
	}
}

// chunkTrace is the same read chunk by chunk, each chunk split on a
// splitter of its own; plain is false when a chunk was not plain.
func chunkTrace(r io.Reader) (out []string, plain bool) {
	c, err := NewCSVChunks(r, "in.csv")
	if err != nil {
		return []string{"error " + err.Error()}, true
	}
	var buf []byte
	var rec Record
	for {
		chunk, line, err := c.Next(buf)
		if err == io.EOF {
			return out, true
		}
		if err != nil {
			return append(out, "stop "+err.Error()), true
		}
		buf = chunk
		ok := c.Splitter().Rows(chunk, line, &rec, func(rec *Record, ok bool) {
			if ok {
				out = append(out, recordTrace(rec, true))
			} else {
				out = append(out, fmt.Sprintf("line %d ok false", rec.line))
			}
		})
		if !ok {
			return out, false
		}
	}
}

// TestCSVChunksReadAsReader: rows split from chunks are the Reader's
// records, with the same lines and columns, whatever the chunks' bounds;
// a file with a quote or a stray carriage return in its rows is found not
// plain.
func TestCSVChunksReadAsReader(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	row := func(i int) string {
		switch r.IntN(40) {
		case 0:
			return "" // an empty line
		case 1:
			return fmt.Sprintf("a%d,2025-10", i) // too few fields
		case 2:
			return fmt.Sprintf("a%d,2025-10,%s,", i, strings.Repeat("x", 70000)) // longer than a reader's buffer
		}
		return fmt.Sprintf("a%d,2025-10,%d.%d,t%d", i, r.IntN(1000), r.IntN(100), r.IntN(5))
	}
	texts := []string{
		"subject,period,aht,team\n",
		"subject,period,aht,team\na1,2025-10,300,t1",
		"\ufeffsubject, period ,aht,team\r\na1,2025-10,300,t1\r\n\r\na2,2025-10,,t2\r\n",
		"subject,period,\"a\nht\"\na1,2025-10,3\n\na2,2025-11,4\n", // a header over two lines
	}
	for _, n := range []int{10, 3000, 20000} {
		var b strings.Builder
		b.WriteString("subject,period,aht,team\n")
		for i := range n {
			b.WriteString(row(i))
			if r.IntN(3) == 0 {
				b.WriteString("\r")
			}
			b.WriteString("\n")
		}
		texts = append(texts, b.String())
	}
	for i, text := range texts {
		want := readerTrace(t, text)
		for _, in := range []struct {
			name string
			r    io.Reader
		}{
			{"whole", strings.NewReader(text)},
			{"halves", iotest.HalfReader(strings.NewReader(text))},
			{"bytes", iotest.OneByteReader(strings.NewReader(text))},
		} {
			got, plain := chunkTrace(in.r)
			if !plain {
				t.Fatalf("text %d, %s: not plain", i, in.name)
			}
			if !reflect.DeepEqual(got, want) {
				for k := range min(len(got), len(want)) {
					if got[k] != want[k] {
						t.Fatalf("text %d, %s: record %d is\n%.300s\nthe Reader's\n%.300s", i, in.name, k, got[k], want[k])
					}
				}
				t.Fatalf("text %d, %s: %d records, the Reader %d", i, in.name, len(got), len(want))
			}
		}
	}
	for _, bad := range []string{
		"a1,2025-10,\"3\",t1\n",
		"a1,2025-10,3\r,t1\n",
		"a1,\"2025-10\n\",3,t1\n",
	} {
		text := "subject,period,aht,team\n" + strings.Repeat("a0,2025-10,1,t1\n", 2000) + bad + "a9,2025-10,1,t1\n"
		got, plain := chunkTrace(strings.NewReader(text))
		if plain {
			t.Errorf("%q: plain", bad)
		}
		want := readerTrace(t, text)
		if len(got) > 2000 || !reflect.DeepEqual(got, want[:len(got)]) {
			t.Errorf("%q: %d rows before the line that is not plain, or not the Reader's", bad, len(got))
		}
	}
}

// TestRowSplitterLimit: with a limit, a row is its first fields as the
// Reader reads them, whatever follows; a row with fewer is not good.
func TestRowSplitterLimit(t *testing.T) {
	text := "subject,period,aht,team\n" +
		"a1,2025-10,300,t1\n" +
		"a2,2025-10,301\n" + // one field short: good up to the limit
		"a3,2025-10\n" + // short of the limit
		"a4,2025-10,302,t4,extra\n" + // a field too many: not read
		"\n" +
		"a5,2025-10,,t5\r\n"
	c, err := NewCSVChunks(strings.NewReader(text), "in.csv")
	if err != nil {
		t.Fatal(err)
	}
	chunk, line, err := c.Next(nil)
	if err != nil {
		t.Fatal(err)
	}
	split := c.Splitter()
	split.Limit(3)
	var got []string
	var rec Record
	if !split.Rows(chunk, line, &rec, func(rec *Record, ok bool) { got = append(got, recordTrace(rec, ok)) }) {
		t.Fatal("not plain")
	}
	want := []string{
		`line 2 ok true: subject=1"a1"@2:1 period=1"2025-10"@2:4 aht=1"300"@2:12`,
		`line 3 ok true: subject=1"a2"@3:1 period=1"2025-10"@3:4 aht=1"301"@3:12`,
		`line 4 ok false: subject=1"a3"@4:1 period=1"2025-10"@4:4`,
		`line 5 ok true: subject=1"a4"@5:1 period=1"2025-10"@5:4 aht=1"302"@5:12`,
		`line 7 ok true: subject=1"a5"@7:1 period=1"2025-10"@7:4 aht=0""@7:12`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// FuzzCSVChunksReadAsReader: whatever the text, rows split from chunks
// are the Reader's records, up to the first line that is not plain (then
// the pass says so).
func FuzzCSVChunksReadAsReader(f *testing.F) {
	for _, seed := range []string{
		"subject,period,aht\na,2026-10,1\n",
		"subject,period\r\na,b\r\n\r\nc,d",
		"subject,period,x\na,\"b\nc\",d\n",
		"\ufeffsubject,period\na,b,c\nd\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		want := readerTrace(t, text)
		got, plain := chunkTrace(strings.NewReader(text))
		if plain && !slices.Equal(got, want) || !plain && (len(got) > len(want) || !slices.Equal(got, want[:len(got)])) {
			t.Fatalf("%q: chunks (plain %v)\n%s\nReader\n%s", text, plain, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}
