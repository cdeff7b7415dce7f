package evaluator_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rubric-dev/rubric/evaluator"
)

const whyPolicy = `
metric "a" { better = "higher" }
metric "units" {}
attribute "ok" { type = "bool" }
target "ta" {
  metric = "a"
  goal   = 10
  when   = "ok"
}
scorecard "s" {
  weights = { ta = 100 }
  band "hi" { min = 1 }
}
breach "low" {
  when     = "a < 5"
  severity = "minor"
}
incentive "grad" {
  gate "ok" { when = "ok" }
  units    = "units"
  schedule = "graduated"
  rate "r1" {
    from     = 0
    per_unit = 1.5
  }
  rate "r2" {
    from     = 10
    per_unit = 3
  }
  cap      = 20
  rounding = "half_up"
}
`

// whys renders every why sentence of an outcome, in declaration order.
func whys(o *evaluator.Outcome) []string {
	var out []string
	for i := range o.Targets {
		out = append(out, o.Targets[i].Why())
	}
	for i := range o.Scores {
		out = append(out, o.Scores[i].Why())
	}
	for i := range o.Breaches {
		out = append(out, o.Breaches[i].Why())
	}
	for i := range o.Incentives {
		out = append(out, o.Incentives[i].Why())
	}
	return out
}

// TestWhyIsRenderedFromData: a why is rendered from what the evaluation
// recorded, so a cloned outcome keeps its sentences when the evaluator
// reuses the original for the next snapshot, and an evaluation that is not
// explained has none.
func TestWhyIsRenderedFromData(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			p := compile(t, lang, whyPolicy)
			e := evaluator.New(p, evaluator.Options{Explain: true})
			snap := func(a, units float64, ok bool) *evaluator.Snapshot {
				s := evaluator.NewSnapshot(p)
				s.Subject, s.Period = "s1", mustPeriod(t, "2026-10")
				for name, v := range map[string]evaluator.Value{"a": evaluator.Num(a), "units": evaluator.Num(units), "ok": evaluator.Boolean(ok)} {
					d, _ := p.Scope.Lookup(name)
					s.Values[d.Slot] = v
				}
				return s
			}
			var o evaluator.Outcome
			first := e.EvaluateInto(&o, snap(12, 12, true), nil).Clone()
			want := []string{
				"a 12 is at or better than the goal 10 (higher is better); attainment 12/10 = 1.2",
				"score 1.2 = Σ weight × attainment / 100 over ta 100×1.2 (coverage 100%); band hi (at or above 1)",
				"a = 12, so a < 5 is false",
				"eligible (ok passed); graduated: 10 × 1.5 (r1) + 2 × 3 (r2) = 21; capped at 20; rounded half_up to 20.00 EUR",
			}
			if diff := cmp.Diff(want, whys(first)); diff != "" {
				t.Fatalf("first snapshot (-want +got):\n%s", diff)
			}
			e.EvaluateInto(&o, snap(3, 4, false), nil)
			if diff := cmp.Diff(want, whys(first)); diff != "" {
				t.Errorf("the clone changed when the outcome was reused (-want +got):\n%s", diff)
			}
			second := []string{
				"not applicable: ok = false, so ok is false",
				"not applicable: every target of the scorecard is not applicable",
				"a = 3, so a < 5 is true",
				"ineligible at gate ok: ok = false, so ok is false",
			}
			if diff := cmp.Diff(second, whys(&o)); diff != "" {
				t.Errorf("second snapshot (-want +got):\n%s", diff)
			}
			e.EvaluateInto(&o, snap(3, 4, true), nil)
			third := []string{
				"a 3 missed the goal 10 by 7 (higher is better); attainment 3/10 = 0.3",
				"score 0.3 = Σ weight × attainment / 100 over ta 100×0.3 (coverage 100%); below every band (the lowest, hi, starts at 1)",
				"a = 3, so a < 5 is true",
				"eligible (ok passed); graduated: 4 × 1.5 (r1) = 6; rounded half_up to 6.00 EUR",
			}
			if diff := cmp.Diff(third, whys(&o)); diff != "" {
				t.Errorf("third snapshot (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, whys(first)); diff != "" {
				t.Errorf("the clone changed when the outcome was reused again (-want +got):\n%s", diff)
			}
			quiet := evaluator.New(p, evaluator.Options{}).Evaluate(snap(12, 12, true), nil)
			for i, w := range whys(quiet) {
				if w != "" {
					t.Errorf("result %d has a why without Explain: %q", i, w)
				}
			}
		})
	}
}
