package engine

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine/internal/input"
	"github.com/rubric-dev/rubric/evaluator"
)

// loadSnapshots reads a fixture file into snapshots for p (the bad rows
// left out), so a benchmark measures evaluation alone.
func loadSnapshots(b *testing.B, p *Policy, path string) []*evaluator.Snapshot {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rr, err := input.NewReader(f, path, FormatCSV)
	if err != nil {
		b.Fatal(err)
	}
	conv := input.NewConverter(p.Rules(), path)
	var out []*evaluator.Snapshot
	for {
		rec, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		if s, errs := conv.Convert(rec); len(errs) == 0 {
			out = append(out, s)
		}
	}
	return out
}

// BenchmarkEvaluate measures the evaluation of one snapshot (ns/op is per
// snapshot) for each example policy, under CEL and under expr, with
// explanations (eval: everything, every why) and as payroll evaluates
// (only what incentives depend on, no explanations).
func BenchmarkEvaluate(b *testing.B) {
	for _, name := range []string{"voice-agents", "it-helpdesk", "support-team"} {
		for _, lang := range []string{"cel", "expr"} {
			for _, explain := range []bool{false, true} {
				mode := "payroll"
				if explain {
					mode = "explain"
				}
				b.Run(name+"/"+lang+"/"+mode, func(b *testing.B) {
					srcs, err := dsl.ReadSources(filepath.Join("../policies", name))
					if err != nil {
						b.Fatal(err)
					}
					t := &testing.T{}
					p, diags := LoadSources(name, withLanguage(t, srcs, lang))
					if diags.HasErrors() {
						b.Fatal(diags)
					}
					snaps := loadSnapshots(b, p, filepath.Join("../fixtures", name, "snapshots.csv"))
					ev := evaluator.New(p.Rules(), evaluator.Options{Explain: explain, IncentivesOnly: !explain})
					var stats *evaluator.Stats
					if p.Rules().UsesTeam || p.Rules().UsesAll {
						stats = evaluator.NewStats(p.Rules())
						for _, s := range snaps {
							ev.Derive(s)
							stats.Add(s)
						}
					}
					var o evaluator.Outcome
					b.ReportAllocs()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						// A fresh copy each round, as a reader makes them.
						ev.EvaluateInto(&o, snaps[i%len(snaps)].Copy(), stats)
					}
				})
			}
		}
	}
}
