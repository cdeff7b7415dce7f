package input

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// csvTrace reads text to the end with read and fieldPos, and writes down
// every record, every field's position and every error.
func csvTrace(read func() ([]string, error), fieldPos func(int) (int, int)) []string {
	var out []string
	for n := 0; n < 10000; n++ {
		rec, err := read()
		if err == io.EOF {
			return append(out, "EOF")
		}
		var pe *csv.ParseError
		switch {
		case err == nil, errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount):
			pos := make([]string, len(rec))
			for i := range rec {
				l, c := fieldPos(i)
				pos[i] = fmt.Sprintf("%d:%d", l, c)
			}
			out = append(out, fmt.Sprintf("%q %v %v", rec, pos, err))
		case pe != nil:
			out = append(out, fmt.Sprintf("error %d %d %d %v", pe.StartLine, pe.Line, pe.Column, pe.Err))
		default:
			return append(out, "error "+err.Error())
		}
	}
	return append(out, "too many records")
}

// sameAsEncodingCSV checks that csvRows reads text exactly as
// encoding/csv does, read whole and in pieces of one byte and of half.
func sameAsEncodingCSV(t *testing.T, text string) {
	t.Helper()
	want := func() []string {
		cr := csv.NewReader(strings.NewReader(text))
		cr.ReuseRecord = true
		return csvTrace(cr.Read, cr.FieldPos)
	}()
	for _, r := range []struct {
		name string
		r    io.Reader
	}{
		{"whole", bufio.NewReader(strings.NewReader(text))},
		{"bytes", iotest.OneByteReader(strings.NewReader(text))},
		{"halves", iotest.HalfReader(strings.NewReader(text))},
	} {
		c := newCSVRows(r.r)
		if got := csvTrace(c.Read, c.FieldPos); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: csvRows reads %q as\n%s\nencoding/csv as\n%s", r.name, text, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

func TestCSVRowsReadsAsEncodingCSV(t *testing.T) {
	long := strings.Repeat("x", 5000)
	for _, text := range []string{
		"",
		"a,b\n",
		"a,b\n1,2\n3,4\n",
		"a,b\n1,2\n3,4",
		"a,b\r\n1,2\r\n3,4\r\n",
		"a,b\r\n\r\n1,2\r\r\n3,4\r\n5\r\n6,7\r\n\r",
		"a,b\r\n1,\"2\r\n\"\r\n3,4\r\n",
		"a,b\n1,2\r",
		"a,b\n1,2\n\n\n3,4\n\r\n5,6\n",
		"a,b\n1,2,3\n4\n5,6\n",
		"a,b\n1,\"2\"\n3,4\n",
		"a,b\n1,\"2\n\n2\"\n3,4\n5\n",
		"a,b\n1,\"2\r\n2\"\r\n3,4\n",
		"a,b\n1,2\"x\n3,4\n",
		"a,b\n1,\"2\"x\n3,4\n",
		"a,b\n1,\"2\n3,4\n5,6\n",
		"a,b\n\"1\n\",2,3\n4,5\n",
		"a,b\n" + long + ",1\n2,3\n" + long + "\"," + long + "\n4,5\n",
		"a,b\n1,2\r3\n4,5\n",
		"a,b\n,\n,,\n\n",
		"\n\na,b\n1,2\n",
		"\"a\nb\",c\n1,2\n3,4\n",
		"a,b\n1,\"2\"\n",
		"a,b\n1,\"\"\n\"\",2\n",
		"é,ü\n€,2\n3,😀\n",
		"id,name,team\n1,\"Lestari, Dewi (Jakarta)\",west\n2,\"say \"\"hi\"\"\",\"\"\n3,\"a\",\n4,,\"\"\"\"\n",
		"a,b,c\n\"1\",\"2\",\"3\"\n\"1\" ,2,3\n1, \"2\",3\n\"1,2,3\n",
	} {
		sameAsEncodingCSV(t, text)
	}
	rng := rand.New(rand.NewPCG(7, 16))
	pieces := []string{"a", "bc", ",", ",", "\n", "\n", "\"", "\r", "\r\n", "é", "\"\"", "1.5"}
	for n := 0; n < 3000; n++ {
		var b strings.Builder
		b.WriteString("x,y,z\n")
		for k := rng.IntN(40); k > 0; k-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		sameAsEncodingCSV(t, b.String())
	}
}

func FuzzCSVRowsReadsAsEncodingCSV(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "a,b\n1,\"2\n\"\n3\n", "a\r\n\n1\r2\n\"\n", "a,b\n\"x, y\",\"\"\"\"\n\"a\"b,c\n"} {
		f.Add(s)
	}
	f.Fuzz(sameAsEncodingCSV)
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
