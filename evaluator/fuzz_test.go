package evaluator_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

const fuzzPolicy = `
policy "f" {
  version  = "1"
  language = "%s"
  currency = "EUR"
}
metric "a" {}
metric "b" {}
attribute "s" { type = "string" }
attribute "f" { type = "bool" }
target "t" {
  metric = "a"
  better = "higher"
  goal   = 1
}
scorecard "q" { weights = { t = 100 } }
incentive "i" {
  amount = %q
}
`

// FuzzExpression compiles an arbitrary expression as an incentive amount in
// CEL and in expr and, when it compiles, evaluates it over a few snapshots.
// Compilation reports errors; evaluation gives a value or no_data; neither
// panics.
func FuzzExpression(f *testing.F) {
	for _, s := range []string{"a + b", "ratio(a, b)", "min(a, b, 3) * max(1, 2)", "f ? a : b", "s == 'x' ? 1 : 2",
		"round(a / 3, 2)", "nps(a, b, 1)", "clamp(a, 0, 1)", "abs(a - b)", "score.q * 100", "target.t.attainment",
		"breaches.any", "period.days", "[1,2,3].size()", "a / 0", "1e308 * 10", "a % 2", "'x' + s", "(a", "${a}"} {
		f.Add(s)
	}
	f.Fuzz(fuzzOne)
}

// fuzzOne is one run of FuzzExpression.
func fuzzOne(t *testing.T, src string) {
	{
		if strings.ContainsAny(src, "\x00") {
			return
		}
		for _, lang := range []string{"cel", "expr"} {
			text := fmt.Sprintf(fuzzPolicy, lang, src)
			ast, diags := dsl.Parse([]dsl.Source{{Name: "f.hcl", Bytes: []byte(text)}})
			p, d2 := rules.Resolve(ast, evaluator.NewCEL(), evaluator.NewExpr())
			if diags.HasErrors() || d2.HasErrors() {
				continue
			}
			ev := evaluator.New(p, evaluator.Options{Explain: true})
			for _, vals := range []map[string]any{{"a": 3.0, "b": 0.0, "s": "x", "f": true}, {"a": -1e300, "b": 1e-300}, {}} {
				s := evaluator.NewSnapshot(p)
				s.Period, _ = rules.ParsePeriod("2026-10")
				for k, v := range vals {
					d, _ := p.Scope.Lookup(k)
					switch x := v.(type) {
					case float64:
						s.Values[d.Slot] = evaluator.Num(x)
					case string:
						s.Values[d.Slot] = evaluator.Str(x)
					case bool:
						s.Values[d.Slot] = evaluator.Boolean(x)
					}
				}
				o := ev.Evaluate(s, nil)
				in := o.Incentives[0]
				if in.Status == evaluator.IncentiveNoData && in.Amount != nil {
					t.Fatalf("%s %q: no_data with an amount", lang, src)
				}
				if in.Status != evaluator.IncentiveNoData && (in.Amount == nil || in.Amount.Sign() < 0) {
					t.Fatalf("%s %q: status %s with amount %v", lang, src, in.Status, in.Amount)
				}
			}
		}
	}
}
