package engine

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
)

// loadIn loads sources in env and fails the test on any error.
func loadIn(t testing.TB, env *Env, name string, srcs []dsl.Source) *Policy {
	t.Helper()
	p, diags := env.LoadSources(name, srcs)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

// TestCompileCache loads two versions of each example (as rubric diff does)
// through one environment (one pair of compilers): the second compiles almost nothing. The
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
		env := NewEnv()
		loadIn(t, env, name, srcs)
		first := env.CompileCacheStats()
		warm := loadIn(t, env, name, changed)
		second := env.CompileCacheStats()
		hits, misses := second.Hits-first.Hits, second.Misses-first.Misses
		rate := float64(hits) / float64(hits+misses)
		t.Logf("%s: first load %d misses; second version %d hits, %d misses (hit rate %.0f%%)", name, first.Misses, hits, misses, 100*rate)
		if first.Hits != 0 && first.Misses == 0 || rate < 0.99 {
			t.Errorf("%s: hit rate %.2f for an unchanged set of expressions", name, rate)
		}
		cold := loadIn(t, NewEnv(), name, changed)
		input := filepath.Join("../fixtures", name, "snapshots.csv")
		a := evalBytes(t, warm, input, EvalOptions{Format: OutNDJSON})
		b := evalBytes(t, cold, input, EvalOptions{Format: OutNDJSON})
		if !bytes.Equal(a, b) {
			t.Errorf("%s: cached programs give different outcomes", name)
		}
	}
}
