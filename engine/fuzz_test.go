package engine

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
)

// FuzzReaders feeds arbitrary bytes to the CSV, JSON and NDJSON readers
// through a whole evaluation. Bad input must be reported with a position,
// never panic, and a run either fails with errors or writes outcomes.
func FuzzReaders(f *testing.F) {
	if b, err := os.ReadFile("../fixtures/conformance/basic/snapshots.csv"); err == nil {
		f.Add(b[:min(len(b), 600)], uint8(0))
	}
	f.Add([]byte("subject,period,aht,handled,pay\nA1,2026-10,280,10,100\nA2,2026-10,x,10,100\n"), uint8(0))
	f.Add([]byte("subject,period,handled,pay\n\"A1,2026-10,1,1\n"), uint8(0))
	f.Add([]byte(`[{"subject":"A1","period":"2026-10","handled":1,"pay":"1.5"},{"subject":"A2"}]`), uint8(1))
	f.Add([]byte("[\n{\"subject\": [1], \"period\": {}}\n]"), uint8(1))
	f.Add([]byte("{\"subject\":\"A1\",\"period\":\"2026-10\",\"handled\":1,\"pay\":1}\n{\"subject\"\n"), uint8(2))
	p, diags := LoadSources("inputs.hcl", []dsl.Source{{Name: "inputs.hcl", Bytes: []byte(inputPolicy)}})
	if diags.HasErrors() {
		f.Fatal(diags)
	}
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		format := []string{FormatCSV, FormatJSON, FormatNDJSON}[int(kind)%3]
		var out bytes.Buffer
		res, err := p.Eval(Input{Name: "-", Format: format, Stdin: bytes.NewReader(data)}, Output{W: &out}, EvalOptions{Format: OutNDJSON})
		if err != nil {
			return // unreadable as a whole (an I/O error)
		}
		if res.Failed() {
			if out.Len() > 0 {
				t.Fatal("output written despite bad input")
			}
			for _, e := range res.Errors {
				if e.Line < 0 || e.Column < 0 || !strings.HasPrefix(e.Error(), "-") {
					t.Fatalf("error without a place: %v", e)
				}
			}
			return
		}
		if got := strings.Count(out.String(), "\n"); got != res.Evaluated {
			t.Fatalf("%d outcomes for %d snapshots", got, res.Evaluated)
		}
	})
}
