package evaluator_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// compile builds a policy from HCL text in the given language.
func compile(t *testing.T, lang, src string) *rules.Policy {
	t.Helper()
	head := fmt.Sprintf("policy \"t\" {\n  version = \"1\"\n  language = %q\n  currency = \"EUR\"\n}\n", lang)
	if strings.Contains(src, "policy \"") {
		head = ""
		src = strings.Replace(src, "LANG", lang, 1)
	}
	ast, diags := dsl.Parse([]dsl.Source{{Name: "t.hcl", Bytes: []byte(head + src)}})
	p, d2 := rules.Resolve(ast, evaluator.NewCEL(), evaluator.NewExpr())
	diags = append(diags, d2...)
	if diags.HasErrors() {
		t.Fatalf("%s: %v", lang, diags)
	}
	return p
}

// evaluate runs one snapshot given as name → value (float64, string, bool).
func evaluate(t *testing.T, p *rules.Policy, period string, vals map[string]any) *evaluator.Outcome {
	t.Helper()
	s := evaluator.NewSnapshot(p)
	s.Subject = "s1"
	per, err := rules.ParsePeriod(period)
	if err != nil {
		t.Fatal(err)
	}
	s.Period = per
	for k, v := range vals {
		d, ok := p.Scope.Lookup(k)
		if !ok {
			t.Fatalf("no name %s", k)
		}
		switch x := v.(type) {
		case float64:
			s.Values[d.Slot] = evaluator.Num(x)
		case int:
			s.Values[d.Slot] = evaluator.Num(float64(x))
		case string:
			s.Values[d.Slot] = evaluator.Str(x)
		case bool:
			s.Values[d.Slot] = evaluator.Boolean(x)
		}
	}
	return evaluator.New(p, evaluator.Options{Explain: true}).Evaluate(s, nil)
}

var langs = []string{"cel", "expr"}

func TestTargetStatus(t *testing.T) {
	src := `
metric "aht" { better = "lower" }
metric "csat" { better = "higher" }
metric "n" {}
target "aht" {
  metric = "aht"
  goal = 300
  threshold = 420
  stretch = 240
}
target "csat" {
  metric = "csat"
  goal = 0.8
  threshold = 0.6
  stretch = 0.9
  sample = "n"
  min_sample = 5
  when = "n >= 0"
}
`
	tests := []struct {
		name     string
		vals     map[string]any
		target   string
		status   string
		att      float64 // NaN: no attainment
		whyMatch string
	}{
		{"on goal", map[string]any{"aht": 300}, "aht", "met", 1, "at or better than the goal 300"},
		{"within eps of goal", map[string]any{"aht": 300.0000001}, "aht", "met", 300 / 300.0000001, "goal"},
		{"just past goal", map[string]any{"aht": 300.001}, "aht", "missed", 300 / 300.001, "missed the goal 300 by 0.001"},
		{"on threshold", map[string]any{"aht": 420}, "aht", "missed", 300.0 / 420, "missed"},
		{"past threshold", map[string]any{"aht": 420.5}, "aht", "breached", 300 / 420.5, "worse than the threshold 420"},
		{"on stretch", map[string]any{"aht": 240}, "aht", "exceeded", 1.25, "stretch 240"},
		{"zero value lower", map[string]any{"aht": 0}, "aht", "exceeded", 1.5, "cap"},
		{"cap", map[string]any{"aht": 100}, "aht", "exceeded", 1.5, "capped at 1.5"},
		{"missing", map[string]any{}, "aht", "no_data", math.NaN(), "aht has no value"},
		{"sample below", map[string]any{"csat": 0.9, "n": 4}, "csat", "no_data", math.NaN(), "below the minimum sample 5"},
		{"sample missing", map[string]any{"csat": 0.9}, "csat", "no_data", math.NaN(), "when n >= 0: n has no value"},
		{"higher on threshold", map[string]any{"csat": 0.6, "n": 5}, "csat", "missed", 0.6 / 0.8, "missed"},
		{"higher breached", map[string]any{"csat": 0.5, "n": 5}, "csat", "breached", 0.5 / 0.8, "0.3 from the goal"},
		{"higher exceeded", map[string]any{"csat": 0.95, "n": 5}, "csat", "exceeded", 0.95 / 0.8, "stretch 0.9"},
	}
	for _, lang := range langs {
		p := compile(t, lang, src)
		for _, tt := range tests {
			t.Run(lang+"/"+tt.name, func(t *testing.T) {
				o := evaluate(t, p, "2026-10", tt.vals)
				var tr *evaluator.TargetResult
				for i := range o.Targets {
					if o.Targets[i].Target.Name == tt.target {
						tr = &o.Targets[i]
					}
				}
				if tr.Status.String() != tt.status {
					t.Errorf("status %s, want %s (%s)", tr.Status, tt.status, tr.Why())
				}
				if math.IsNaN(tt.att) {
					if tr.Attainment.Has() {
						t.Errorf("attainment %v, want none", tr.Attainment.Num)
					}
				} else if !tr.Attainment.Has() || math.Abs(tr.Attainment.Num-tt.att) > 1e-12 {
					t.Errorf("attainment %v, want %v", tr.Attainment, tt.att)
				}
				if !strings.Contains(tr.Why(), tt.whyMatch) {
					t.Errorf("why %q does not mention %q", tr.Why(), tt.whyMatch)
				}
			})
		}
	}
}

func TestCurveAndBinary(t *testing.T) {
	src := `
metric "calls" { better = "higher" }
target "curve" {
  metric = "calls"
  goal = 500
  curve = [[750, 1.2], [250, 0], [500, 1]]
}
target "bin" {
  metric = "calls"
  goal = 500
  scoring = "binary"
}
`
	for _, lang := range langs {
		p := compile(t, lang, src)
		for _, c := range []struct{ calls, curve, bin float64 }{
			{0, 0, 0}, {250, 0, 0}, {375, 0.5, 0}, {500, 1, 1}, {625, 1.1, 1}, {750, 1.2, 1}, {2000, 1.2, 1},
		} {
			o := evaluate(t, p, "2026-10", map[string]any{"calls": c.calls})
			if got := o.Targets[0].Attainment.Num; math.Abs(got-c.curve) > 1e-12 {
				t.Errorf("%s: curve at %v = %v, want %v", lang, c.calls, got, c.curve)
			}
			if got := o.Targets[1].Attainment.Num; got != c.bin {
				t.Errorf("%s: binary at %v = %v, want %v", lang, c.calls, got, c.bin)
			}
		}
	}
}

func TestScorecardModes(t *testing.T) {
	base := `
metric "a" { better = "higher" }
metric "b" { better = "higher" }
metric "c" { better = "higher" }
target "a" {
  metric = "a"
  goal = 1
}
target "b" {
  metric = "b"
  goal = 1
}
target "c" {
  metric = "c"
  goal = 1
  when = "c > 0"
}
scorecard "s" {
  weights = { a = 50, b = 30, c = 20 }
  missing = "MODE"
  min_coverage = 40
  band "top" { min = 1.0 }
  band "mid" { min = 0.5 }
}
`
	tests := []struct {
		name   string
		mode   string
		vals   map[string]any
		status string
		value  float64
		band   string
		cov    float64
	}{
		{"reweight: every target", "reweight", map[string]any{"a": 1, "b": 0.5, "c": 1}, "ok", (50 + 15 + 20) / 100.0, "mid", 100},
		{"reweight: b missing", "reweight", map[string]any{"a": 1, "c": 1}, "ok", 70 / 70.0, "top", 70},
		{"reweight: c not applicable", "reweight", map[string]any{"a": 1, "c": -1}, "ok", 1, "top", 50},
		{"reweight: below min_coverage", "reweight", map[string]any{"b": 1, "c": -1}, "no_data", 0, "", 30},
		{"zero: b counts as 0", "zero", map[string]any{"a": 1, "c": 1}, "ok", 70 / 100.0, "mid", 100},
		{"void: b missing voids the score", "void", map[string]any{"a": 1, "c": 1}, "no_data", 0, "", 0},
		{"void: c not applicable", "void", map[string]any{"a": 1, "b": 1, "c": -1}, "ok", 1, "top", 80},
		{"reweight: no band reached", "reweight", map[string]any{"a": 0.2, "b": 0.2, "c": 0.2}, "ok", 0.2, "", 100},
	}
	for _, lang := range langs {
		for _, tt := range tests {
			t.Run(lang+"/"+tt.name, func(t *testing.T) {
				p := compile(t, lang, strings.Replace(base, "MODE", tt.mode, 1))
				o := evaluate(t, p, "2026-10", tt.vals)
				s := o.Scores[0]
				if s.Status.String() != tt.status {
					t.Fatalf("status %s, want %s (%s)", s.Status, tt.status, s.Why())
				}
				if tt.status == "ok" {
					if math.Abs(s.Value.Num-tt.value) > 1e-12 || s.Band.Str != tt.band || s.Coverage != tt.cov {
						t.Errorf("%v %q coverage %v, want %v %q %v", s.Value.Num, s.Band.Str, s.Coverage, tt.value, tt.band, tt.cov)
					}
				}
			})
		}
	}
	// Every target not applicable: the score is not applicable.
	p := compile(t, "cel", `
metric "c" { better = "higher" }
target "c" {
  metric = "c"
  goal = 1
  when = "c > 0"
}
scorecard "s" { weights = { c = 100 } }
`)
	if o := evaluate(t, p, "2026-10", map[string]any{"c": -1}); o.Scores[0].Status != evaluator.ScoreNotApplicable {
		t.Errorf("all not applicable: %s", o.Scores[0].Status)
	}
}

func TestBreachCounts(t *testing.T) {
	src := `
metric "x" { better = "lower" }
metric "q" {}
target "x" {
  metric = "x"
  goal = 10
  threshold = 20
  severity = "critical"
}
breach "q" {
  when = "q > 0"
  severity = "minor"
}
incentive "i" {
  amount = "breaches.critical * 100 + breaches.minor * 10 + breaches.major"
}
incentive "any" {
  amount = "breaches.any"
}
`
	for _, lang := range langs {
		p := compile(t, lang, src)
		for _, c := range []struct {
			vals       map[string]any
			amount     string
			any        string
			breachStat string
		}{
			{map[string]any{"x": 25, "q": 1}, "110.00", "2.00", "breached"},
			{map[string]any{"x": 5, "q": 0}, "0.00", "0.00", "clear"},
			{map[string]any{"x": 25}, "", "", "no_data"}, // the minor breach rule has no data
			{map[string]any{"q": 1}, "", "", "breached"}, // the critical target has no data
		} {
			o := evaluate(t, p, "2026-10", c.vals)
			if o.Breaches[0].Status.String() != c.breachStat {
				t.Errorf("%s %v: breach %s", lang, c.vals, o.Breaches[0].Status)
			}
			for i, want := range []string{c.amount, c.any} {
				in := o.Incentives[i]
				got := ""
				if in.Amount != nil {
					got = in.Amount.Text('f')
				}
				if got != want {
					t.Errorf("%s %v: %s amount %q, want %q (%s)", lang, c.vals, in.Incentive.Name, got, want, in.Why())
				}
			}
		}
	}
}

func TestIncentives(t *testing.T) {
	src := `
metric "units" {}
metric "sc" {}
metric "days" {}
attribute "pay" { type = "money" }
attribute "ok" { type = "bool" }
incentive "grad" {
  units = "units"
  schedule = "graduated"
  rate "hi" {
    from = 1500
    per_unit = 1
  }
  rate "lo" {
    from = 1200
    per_unit = 0.5
  }
}
incentive "flat" {
  units = "units"
  schedule = "flat"
  rate "lo" {
    from = 1200
    per_unit = 0.5
  }
  rate "hi" {
    from = 1500
    per_unit = 1
  }
}
incentive "tiers" {
  gate "ok" { when = "ok" }
  basis = "pay * 0.1"
  tier "top" {
    when = "sc >= 1.1"
    multiplier = 1.5
  }
  tier "met" {
    when = "sc >= 1"
    multiplier = 1
  }
  prorate = "days / period.days"
  cap = 400
  floor = 10
}
`
	type want struct{ grad, flat, tiers, tier, tierStatus string }
	tests := []struct {
		name string
		vals map[string]any
		want want
	}{
		{"met tier", map[string]any{"units": 1200, "sc": 1, "days": 31, "pay": 3000, "ok": true}, want{"0.00", "600.00", "300.00", "met", "earned"}},
		{"top tier", map[string]any{"units": 1199, "sc": 1.1, "days": 31, "pay": 3000, "ok": true}, want{"0.00", "0.00", "400.00", "top", "earned"}},
		{"floor", map[string]any{"units": 1700, "sc": 0.5, "days": 31, "pay": 3000, "ok": true}, want{"350.00", "1700.00", "10.00", "", "earned"}},
		{"prorated half", map[string]any{"units": 1500, "sc": 1, "days": 15.5, "pay": 3000, "ok": true}, want{"150.00", "1500.00", "150.00", "met", "earned"}},
		{"prorate clamped to 1", map[string]any{"units": 1500, "sc": 1, "days": 62, "pay": 3000, "ok": true}, want{"150.00", "1500.00", "300.00", "met", "earned"}}, // prorate clamped to 1
		{"gate fails", map[string]any{"units": 1500, "sc": 1, "days": 31, "pay": 3000, "ok": false}, want{"150.00", "1500.00", "0.00", "", "ineligible"}},
		{"tier condition without value", map[string]any{"units": 1500, "days": 31, "pay": 3000, "ok": true}, want{"150.00", "1500.00", "", "", "no_data"}}, // tier condition has no value
		{"prorate without value", map[string]any{"units": 1500, "sc": 1, "pay": 3000, "ok": true}, want{"150.00", "1500.00", "", "", "no_data"}},           // prorate has no value
		{"gate without value", map[string]any{"sc": 1, "days": 31, "pay": 3000}, want{"", "", "", "", "no_data"}},                                          // gate has no value
	}
	for _, lang := range langs {
		p := compile(t, lang, src)
		for _, tt := range tests {
			t.Run(lang+"/"+tt.name, func(t *testing.T) {
				o := evaluate(t, p, "2026-10", tt.vals)
				amt := func(k int) string {
					if o.Incentives[k].Amount == nil {
						return ""
					}
					return o.Incentives[k].Amount.Text('f')
				}
				got := want{amt(0), amt(1), amt(2), o.Incentives[2].Tier, o.Incentives[2].Status.String()}
				if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(want{})); diff != "" {
					t.Errorf("outcome (-want +got):\n%s\n%s", diff, o.Incentives[2].Why())
				}
			})
		}
	}
}

// TestRoundingTies uses amounts that come out of expressions with a tie at
// the third decimal: 1000.4 × 0.0125 = 12.505 (the shortest form of the
// float product), and a JPY amount with a tie at the unit.
func TestRoundingTies(t *testing.T) {
	for _, lang := range langs {
		for _, c := range []struct {
			currency, mode, pay, want string
		}{
			{"EUR", "half_even", "1000.4", "12.50"},
			{"EUR", "half_up", "1000.4", "12.51"},
			{"EUR", "down", "1000.4", "12.50"},
			{"EUR", "up", "1000.4", "12.51"},
			{"EUR", "half_even", "3000.4", "37.50"},
			{"EUR", "half_up", "3000.4", "37.51"},
			{"EUR", "half_even", "1001.2", "12.52"}, // 12.515: ties to even 12.52
			{"JPY", "half_even", "1000", "12"},      // 12.5 → 12
			{"JPY", "half_up", "1000", "13"},
			{"JPY", "half_even", "1080", "14"}, // 13.5 → 14
			{"USD", "up", "1000.08", "12.51"},  // 12.501 → up 12.51
			{"USD", "down", "1000.72", "12.50"},
		} {
			src := fmt.Sprintf(`
policy "t" {
  version = "1"
  language = "LANG"
  currency = %q
}
attribute "pay" { type = "money" }
incentive "award" {
  amount = "pay * 0.0125"
  rounding = %q
}
`, c.currency, c.mode)
			p := compile(t, lang, src)
			var pay float64
			fmt.Sscan(c.pay, &pay)
			o := evaluate(t, p, "2026-10", map[string]any{"pay": pay})
			if got := o.Incentives[0].Amount.Text('f'); got != c.want {
				t.Errorf("%s %s %s pay %s: %s, want %s (%s)", lang, c.currency, c.mode, c.pay, got, c.want, o.Incentives[0].Why())
			}
		}
	}
}

func TestFunctionsAndNumbers(t *testing.T) {
	tests := []struct {
		expr string
		want float64 // NaN: no value
	}{
		{"tickets - 1200", 300},
		{"tickets / 2", 750},
		{"min(3, tickets, 2)", 2},
		{"max(3, tickets)", 1500},
		{"clamp(tickets, 0, 1000)", 1000},
		{"abs(0 - tickets)", 1500},
		{"round(1.005, 2)", 1.01},
		{"round(2.5)", 3},
		{"round(-2.5, 0)", -3},
		{"ratio(tickets, 3)", 500},
		{"ratio(tickets, 0)", math.NaN()},
		{"nps(70, 20, 10)", 60},
		{"nps(0, 0, 0)", math.NaN()},
		{"tickets / zero", math.NaN()},
		{"tickets > 1000 ? 1 : 0", 1},
		{"missing + 1", math.NaN()},
		{"tickets > 0 || missing > 0 ? 1 : 0", math.NaN()}, // missing data is never zero, whatever the rest gives
	}
	for _, lang := range langs {
		for _, tt := range tests {
			src := fmt.Sprintf(`
metric "tickets" {}
metric "zero" {}
metric "missing" {}
incentive "x" {
  amount = %q
  rounding = "half_up"
}
`, tt.expr)
			p := compile(t, lang, src)
			o := evaluate(t, p, "2026-10", map[string]any{"tickets": 1500, "zero": 0})
			steps := o.Incentives[0].Steps
			var got string
			for _, s := range steps {
				if s.Step == "amount" {
					got = s.Result
				}
			}
			if math.IsNaN(tt.want) {
				if o.Incentives[0].Status != evaluator.IncentiveNoData {
					t.Errorf("%s %s: %s, want no_data", lang, tt.expr, o.Incentives[0].Status)
				}
				continue
			}
			if got != evaluator.FormatNumber(tt.want) {
				t.Errorf("%s %s = %s, want %v (%s)", lang, tt.expr, got, tt.want, o.Incentives[0].Why())
			}
		}
	}
}

func TestNoDataReasons(t *testing.T) {
	src := `
metric "a" {}
metric "b" {}
metric "r" { expr = "ratio(a, b)" }
target "r" {
  metric = "r"
  better = "higher"
  goal = 1
}
`
	for _, lang := range langs {
		p := compile(t, lang, src)
		o := evaluate(t, p, "2026-10", map[string]any{"a": 1, "b": 0})
		if tr := o.Targets[0]; tr.Status != evaluator.TargetNoData || !strings.Contains(tr.Why(), "division by zero") {
			t.Errorf("%s: %s %q", lang, tr.Status, tr.Why())
		}
		o = evaluate(t, p, "2026-10", map[string]any{"a": 1})
		if tr := o.Targets[0]; !strings.Contains(tr.Why(), "b has no value") {
			t.Errorf("%s: %q should name b", lang, tr.Why())
		}
	}
}
