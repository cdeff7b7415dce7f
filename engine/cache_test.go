package engine

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// loadWith resolves sources with the given compilers.
func loadWith(t testing.TB, name string, srcs []dsl.Source, cs []rules.Compiler) *Policy {
	t.Helper()
	ast, diags := dsl.Parse(srcs)
	rp, d2 := rules.Resolve(ast, cs...)
	if diags.HasErrors() || d2.HasErrors() {
		t.Fatal(diags, d2)
	}
	return &Policy{Path: name, Rules: rp}
}

func statsOf(cs []rules.Compiler) evaluator.CacheStats {
	var s evaluator.CacheStats
	for _, c := range cs {
		x := evaluator.CompilerCacheStats(c)
		s.Hits, s.Misses = s.Hits+x.Hits, s.Misses+x.Misses
	}
	return s
}

// TestCompileCache loads two versions of each example (as rubric diff does)
// through one pair of compilers: the second compiles almost nothing. The
// outcomes of cached programs equal those of freshly compiled ones.
func TestCompileCache(t *testing.T) {
	for _, name := range examples(t) {
		srcs, err := dsl.ReadSources(filepath.Join("../policies", name))
		if err != nil {
			t.Fatal(err)
		}
		changed := make([]dsl.Source, len(srcs))
		for i, s := range srcs { // a new version: one constant changed
			changed[i] = dsl.Source{Name: s.Name, Bytes: bytes.Replace(s.Bytes, []byte(`version  = "`), []byte(`version  = "next-`), 1)}
		}
		cs := []rules.Compiler{evaluator.NewCEL(), evaluator.NewExpr()}
		loadWith(t, name, srcs, cs)
		first := statsOf(cs)
		warm := loadWith(t, name, changed, cs)
		second := statsOf(cs)
		hits, misses := second.Hits-first.Hits, second.Misses-first.Misses
		rate := float64(hits) / float64(hits+misses)
		t.Logf("%s: first load %d misses; second version %d hits, %d misses (hit rate %.0f%%)", name, first.Misses, hits, misses, 100*rate)
		if first.Hits != 0 && first.Misses == 0 || rate < 0.99 {
			t.Errorf("%s: hit rate %.2f for an unchanged set of expressions", name, rate)
		}
		cold := loadWith(t, name, changed, []rules.Compiler{evaluator.NewCEL(), evaluator.NewExpr()})
		input := filepath.Join("../fixtures", name, "snapshots.csv")
		a := evalBytes(t, warm, input, EvalOptions{Format: OutNDJSON})
		b := evalBytes(t, cold, input, EvalOptions{Format: OutNDJSON})
		if !bytes.Equal(a, b) {
			t.Errorf("%s: cached programs give different outcomes", name)
		}
	}
}
