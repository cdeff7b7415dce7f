package engine

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
)

// BenchmarkLoadCold loads an example policy the way a process does once:
// in a fresh environment, with empty program caches. It is the policy's
// share of the start-up target (process start + compile + one row).
func BenchmarkLoadCold(b *testing.B) {
	for _, name := range []string{"voice-agents", "it-helpdesk"} {
		b.Run(name, func(b *testing.B) {
			dir := filepath.Join("../policies", name)
			srcs, err := dsl.ReadSources(dir)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				env := NewEnv()
				if _, diags := env.LoadSources(dir, srcs); diags.HasErrors() {
					b.Fatal(diags)
				}
				env.Close()
			}
		})
	}
}

// TestPrepareThenLoad: loading while Prepare is still building the
// default environment on another goroutine waits for it and compiles the
// same policy as a fresh environment (run with -race).
func TestPrepareThenLoad(t *testing.T) {
	dir := filepath.Join("../policies", "voice-agents")
	srcs, err := dsl.ReadSources(dir)
	if err != nil {
		t.Fatal(err)
	}
	Prepare()
	done := make(chan *Policy, 2)
	for range 2 {
		go func() {
			p, diags := LoadSources(dir, srcs)
			if diags.HasErrors() {
				t.Error(diags)
			}
			done <- p
		}()
	}
	fresh := NewEnv()
	defer fresh.Close()
	want, _ := fresh.LoadSources(dir, srcs)
	input := filepath.Join("../fixtures", "voice-agents", "snapshots.csv")
	wantOut := evalBytes(t, want, input, EvalOptions{Format: OutNDJSON})
	for range 2 {
		p := <-done
		if p == nil || p.Ref() != want.Ref() {
			t.Fatalf("loaded while preparing: %+v, want %+v", p, want.Ref())
		}
		if !bytes.Equal(evalBytes(t, p, input, EvalOptions{Format: OutNDJSON}), wantOut) {
			t.Error("the policy loaded while preparing evaluates differently")
		}
	}
}
