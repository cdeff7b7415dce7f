package engine

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// bigPolicy generates a policy with n targets (each with a goal expression,
// a threshold, a stretch and a when), a scorecard over all of them, breaches
// and an incentive: the "200-target policy" of the performance targets.
func bigPolicy(n int) []dsl.Source {
	var b strings.Builder
	b.WriteString("policy \"big\" {\n  version  = \"1\"\n  currency = \"EUR\"\n}\n")
	b.WriteString("attribute \"tenure_days\" { type = \"number\" }\nattribute \"base_pay\" { type = \"money\" }\nparam \"scale\" { value = 1.05 }\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "metric \"m%d\" {\n  better = \"higher\"\n  min    = 0\n}\n", i)
		fmt.Fprintf(&b, "metric \"n%d\" { min = 0 }\n", i)
		fmt.Fprintf(&b, "metric \"r%d\" {\n  better = \"higher\"\n  expr   = \"ratio(m%d, n%d)\"\n}\n", i, i, i)
		fmt.Fprintf(&b, "target \"t%d\" {\n  metric    = \"r%d\"\n  goal      = \"tenure_days < 90 ? 0.7 : 0.8 * scale\"\n  threshold = 0.5\n  stretch   = 0.95\n  when      = \"n%d >= 10\"\n}\n", i, i, i)
	}
	b.WriteString("scorecard \"all\" {\n  weights = {")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, " t%d = %g,", i, 100/float64(n)) // 0.5 each for 200: sums to exactly 100
	}
	b.WriteString(" }\n  band \"good\" { min = 1 }\n}\n")
	b.WriteString("breach \"low\" {\n  when     = \"score.all < 0.5\"\n  severity = \"minor\"\n}\n")
	b.WriteString("incentive \"bonus\" {\n  gate \"ok\" { when = \"!breach.low && breaches.major == 0\" }\n  basis = \"base_pay * 0.1\"\n  tier \"good\" {\n    when       = \"band.all == 'good'\"\n    multiplier = 1\n  }\n}\n")
	return []dsl.Source{{Name: "big.hcl", Bytes: []byte(b.String())}}
}

// BenchmarkValidate200Targets parses, resolves and type-checks a 200-target
// policy with cold compilers (the cache empty, as on a first run) and with
// warm ones (rubric diff's second version).
func BenchmarkValidate200Targets(b *testing.B) {
	srcs := bigPolicy(200)
	for _, lang := range []string{"cel", "expr"} {
		s := withLanguage(&testing.T{}, srcs, lang)
		b.Run(lang+"/cold", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ast, diags := dsl.Parse(s)
				_, d2 := rules.Resolve(ast, evaluator.NewCEL(), evaluator.NewExpr())
				if diags.HasErrors() || d2.HasErrors() {
					b.Fatal(diags, d2)
				}
			}
		})
		b.Run(lang+"/warm", func(b *testing.B) {
			cs := []rules.Compiler{evaluator.NewCEL(), evaluator.NewExpr()}
			for i := 0; i < b.N; i++ {
				ast, _ := dsl.Parse(s)
				if _, d := rules.Resolve(ast, cs...); d.HasErrors() {
					b.Fatal(d)
				}
			}
		})
	}
}

// generated writes n voice-agent snapshots with the fixture generator, once
// per test binary run.
func generated(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("rubric-bench-voice-%d.csv", n))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	cmd := exec.Command("go", "run", "../fixtures/gen", "-policy", "voice-agents", "-n", fmt.Sprint(n+1), "-seed", "42", "-edges=false", "-o", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%v\n%s", err, out)
	}
	return path
}

// BenchmarkEndToEnd100k runs eval (ndjson, every why) over 100k
// generated voice-agent snapshots: ns/op is per run of 100k.
func BenchmarkEndToEnd100k(b *testing.B) {
	input := generated(b, 100000)
	p := mustLoadB(b, "../policies/voice-agents")
	b.Run("eval-ndjson", func(b *testing.B) {
		out := filepath.Join(b.TempDir(), "out.ndjson")
		for i := 0; i < b.N; i++ {
			res, err := p.Eval(Input{Name: input}, Output{Path: out}, EvalOptions{Format: OutNDJSON})
			if err != nil || res.Failed() {
				b.Fatal(err, res)
			}
		}
	})

}

func mustLoadB(b *testing.B, dir string) *Policy {
	b.Helper()
	p, diags, err := Load(dir)
	if err != nil || diags.HasErrors() {
		b.Fatal(err, diags)
	}
	return p
}
