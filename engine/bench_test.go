package engine

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/rubric-dev/rubric/engine/internal/encode"
	"github.com/rubric-dev/rubric/engine/internal/textenc"
	"github.com/rubric-dev/rubric/evaluator"
)

// BenchmarkEvalExamples runs eval (ndjson with every why) over each
// example's fixture data; ns/op is per snapshot.
func BenchmarkEvalExamples(b *testing.B) {
	for _, name := range []string{"voice-agents", "it-helpdesk", "support-team"} {
		b.Run(name, func(b *testing.B) {
			p, diags, err := Load(filepath.Join("../policies", name))
			if err != nil || diags.HasErrors() {
				b.Fatal(err, diags)
			}
			input := filepath.Join("../fixtures", name, "snapshots.csv")
			b.ReportAllocs()
			b.ResetTimer()
			n := 0
			for i := 0; i < b.N; i++ {
				res, err := p.Stream(Input{Name: input}, StreamOptions{Explain: true}, func(o *evaluator.Outcome, buf []byte) []byte {
					w := textenc.JSON{B: buf}
					encode.Outcome(&w, p.Rules(), o, true)
					return w.B
				}, func(b []byte) error { _, err := io.Discard.Write(b); return err })
				if err != nil {
					b.Fatal(err)
				}
				n += res.Evaluated
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/snapshot")
		})
	}
}
