package explain

import (
	"testing"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// TestReach: what a target needs is rounded toward meeting it at the
// decimals its display shows, so the figure a reader is told is enough.
func TestReach(t *testing.T) {
	pct := rules.Display{Format: rules.FormatPercent, Decimals: -1}
	plain := rules.Display{Format: rules.FormatDefault, Decimals: -1}
	for _, tt := range []struct {
		name   string
		v      float64
		d      rules.Display
		better rules.Direction
		now    float64
		want   float64
	}{
		{"percent up", 0.72134, pct, rules.Higher, 0.721, 0.722},
		{"percent already at a shown step", 0.85, pct, rules.Higher, 0.8, 0.85},
		{"percent down", 0.10049, pct, rules.Lower, 0.131, 0.1},
		{"hours down at the decimals of now", 7.799418717559956, plain, rules.Lower, 7.8, 7.7},
		{"a count up", 922.1375918964284, plain, rules.Higher, 922, 923},
		{"at most four decimals", 0.0328684399712437, plain, rules.Lower, 0.048993875765529306, 0.0328},
		{"duration down to whole seconds", 313.7, rules.Display{Format: rules.FormatDuration, Decimals: -1}, rules.Lower, 330, 313},
		{"money up to the minor unit", 12.3401, rules.Display{Format: rules.FormatMoney, Decimals: -1}, rules.Higher, 10, 12.35},
		{"number with two decimals", 4.501, rules.Display{Format: rules.FormatNumber, Decimals: 2}, rules.Higher, 4, 4.51},
	} {
		tg := &rules.Target{Display: tt.d, Better: tt.better}
		if got := reach(tt.v, tg, evaluator.Num(tt.now), 2); got != tt.want {
			t.Errorf("%s: reach(%v) = %v, want %v", tt.name, tt.v, got, tt.want)
		}
	}
}

// TestNeededValueStaysPossible: a figure no snapshot can reach is not
// offered: an NPS above 100 (nps(…) lies between −100 and 100), a
// percentage above 100%, a value past the metric's declared max.
func TestNeededValueStaysPossible(t *testing.T) {
	src := `
policy "p" {
  version  = "1"
  currency = "EUR"
}
metric "promoters" {}
metric "passives" {}
metric "detractors" {}
metric "a" {}
metric "b" {}
metric "handled" { max = 100 }
metric "nps" { expr = "nps(promoters, passives, detractors)" }
metric "sl" { expr = "ratio(a, b)" }
`
	ast, diags := dsl.Parse([]dsl.Source{{Name: "p.hcl", Bytes: []byte(src)}})
	rp, d2 := rules.Resolve(ast, evaluator.NewCEL(), evaluator.NewExpr())
	if diags = append(diags, d2...); rp == nil || diags.HasErrors() {
		t.Fatal(diags)
	}
	metric := func(name string) *rules.Metric {
		for _, m := range rp.Metrics {
			if m.Name == name {
				return m
			}
		}
		t.Fatalf("no metric %s", name)
		return nil
	}
	nps, ratio, capped := metric("nps"), metric("sl"), metric("handled")
	target := func(m *rules.Metric, d rules.Display) evaluator.TargetResult {
		return evaluator.TargetResult{Target: &rules.Target{Metric: m, Better: rules.Higher, Display: d},
			Value: evaluator.Num(80), Goal: evaluator.Num(70), Attainment: evaluator.Num(80.0 / 70)}
	}
	for _, tt := range []struct {
		name string
		t    evaluator.TargetResult
		need float64
		ok   bool
	}{
		{"nps within", target(nps, rules.Display{Decimals: -1}), 1.4, true},     // 98
		{"nps past 100", target(nps, rules.Display{Decimals: -1}), 1.45, false}, // 101.5
		{"ratio: no bound known", target(ratio, rules.Display{Decimals: -1}), 1.45, true},
		{"within the declared max", target(capped, rules.Display{Decimals: -1}), 1.4, true},
		{"past the declared max", target(capped, rules.Display{Decimals: -1}), 1.45, false},
	} {
		if _, ok := neededValue(tt.t, tt.need); ok != tt.ok {
			t.Errorf("%s: possible %v, want %v", tt.name, ok, tt.ok)
		}
	}
	pct := target(ratio, rules.Display{Format: rules.FormatPercent, Decimals: -1})
	pct.Value, pct.Goal = evaluator.Num(0.8), evaluator.Num(0.7)
	if _, ok := neededValue(pct, 1.45); ok { // 101.5%
		t.Error("a percentage above 100% offered")
	}
}
