package rules_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// FuzzResolve parses, resolves and compiles arbitrary policy text. It must
// report diagnostics, never panic; every diagnostic's range lies inside
// the file; and a policy that resolves without errors evaluates a snapshot
// (every input present, then every input missing) without panicking.
func FuzzResolve(f *testing.F) {
	for _, glob := range []string{"../policies/*/*.hcl", "testdata/bad/*.hcl", "../fixtures/conformance/*/*.hcl"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, diags := resolve([]dsl.Source{{Name: "f.hcl", Bytes: src}})
		if p == nil {
			t.Fatal("nil policy")
		}
		for _, d := range diags {
			if r := d.Subject; r != nil && (r.Start.Byte < 0 || r.End.Byte > len(src) || r.Start.Byte > r.End.Byte) {
				t.Fatalf("diagnostic %q outside the file: %v", d.Summary, r)
			}
		}
		if diags.HasErrors() {
			return
		}
		for _, fill := range []bool{true, false} {
			s := evaluator.NewSnapshot(p)
			s.Subject = "fuzz"
			kind := p.Period
			if kind == rules.PeriodInvalid {
				kind = rules.Month
			}
			s.Period = rules.PeriodAt(kind, 2026*12+9)
			if fill {
				for _, m := range p.Metrics {
					if m.Derived == nil {
						s.Values[m.Decl.Slot] = evaluator.Num(1)
					}
				}
				for _, a := range p.Attributes {
					switch a.Decl.Type {
					case rules.TypeString:
						s.Values[a.Decl.Slot] = evaluator.Str("x")
					case rules.TypeBool:
						s.Values[a.Decl.Slot] = evaluator.Boolean(true)
					default:
						s.Values[a.Decl.Slot] = evaluator.Num(1)
					}
				}
			}
			evaluator.New(p, evaluator.Options{Explain: true}).Evaluate(s, nil)
		}
	})
}
