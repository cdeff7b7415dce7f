package engine

import (
	"bytes"
	"os"
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

// TestReadAheadThenLoad: a policy read ahead is the policy LoadPath
// gives, taken once; a load of another path, or after ReadAhead(""),
// reads its files afresh.
func TestReadAheadThenLoad(t *testing.T) {
	dir := t.TempDir()
	var src []byte
	write := func(name string) {
		t.Helper()
		b := bytes.ReplaceAll(src, []byte(`policy "contact_center"`), []byte(`policy "`+name+`"`))
		if err := os.WriteFile(filepath.Join(dir, "policy.hcl"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"metrics.hcl", "targets.hcl", "incentives.hcl", "policy.hcl"} {
		b, err := os.ReadFile(filepath.Join("../policies", "voice-agents", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := os.ReadFile(filepath.Join(dir, "policy.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(src, []byte(`policy "contact_center"`)) {
		t.Fatal("policy.hcl does not name the policy as this test expects")
	}
	load := func() string {
		t.Helper()
		p, srcs, diags, err := LoadPath(dir)
		if err != nil || diags.HasErrors() || len(srcs) != 4 {
			t.Fatalf("LoadPath: %v %v, %d files", err, diags, len(srcs))
		}
		return p.Ref().Name
	}
	defer ReadAhead("")

	write("first")
	ReadAhead(dir)
	<-ahead.Load().done
	write("second")
	if got := load(); got != "first" {
		t.Fatalf("read ahead: %q, want the files as they were read ahead", got)
	}
	if got := load(); got != "second" {
		t.Fatalf("second load %q, want the files as they are now (a read ahead is taken once)", got)
	}

	ReadAhead(dir)
	write("third")
	ReadAhead("")
	if got := load(); got != "third" {
		t.Fatalf("after ReadAhead(\"\"): %q, want the files as they are now", got)
	}

	ReadAhead(filepath.Join("../policies", "it-helpdesk"))
	if got := load(); got != "third" {
		t.Fatalf("another path read ahead: %q", got)
	}
	if ahead.Load() != nil {
		t.Error("a read ahead of another path is kept after a load")
	}

	ReadAhead(filepath.Join(dir, "missing"))
	if _, _, _, err := LoadPath(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing policy read ahead loads without an error")
	}
}
