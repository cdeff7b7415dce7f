package evaluator_test

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

func amountPolicy(t *testing.T, lang, amount, rounding string) *rules.Policy {
	t.Helper()
	return compile(t, lang, fmt.Sprintf(`
attribute "base_pay" { type = "money" }
attribute "level" { type = "string" }
attribute "senior" { type = "bool" }
metric "days" { better = "higher" }
incentive "i" {
  amount   = %q
  rounding = %q
}
`, amount, rounding))
}

func amountOf(t *testing.T, p *rules.Policy, vals map[string]any) *evaluator.IncentiveResult {
	t.Helper()
	o := evaluate(t, p, "2026-10", vals)
	return &o.Incentives[0]
}

// TestDecimalAmounts: the cases of the exact-money issue, in both languages.
func TestDecimalAmounts(t *testing.T) {
	cases := []struct {
		name, amount, rounding string
		vals                   map[string]any
		want                   string
	}{
		{"tenth of 2345.65 half_even", "base_pay * 0.1", "half_even", map[string]any{"base_pay": 2345.65}, "234.56"},
		{"seven percent up", "base_pay * 0.07", "up", map[string]any{"base_pay": 100.0}, "7.00"},
		{"hundredfold down", "base_pay * 100", "down", map[string]any{"base_pay": 4.35}, "435.00"},
		{"voice-agents basis half_up", "base_pay * 0.10", "half_up", map[string]any{"base_pay": 1026.35}, "102.64"},
		{"conformance S051", "base_pay * 0.0125", "half_up", map[string]any{"base_pay": 2505.2}, "31.32"},
		{"string condition", "level == 'senior' ? base_pay * 1.25 : base_pay", "half_even", map[string]any{"base_pay": 0.1, "level": "senior"}, "0.12"},
		{"bool condition", "senior && base_pay > 10 ? 1.005 : 2", "half_even", map[string]any{"base_pay": 100.0, "senior": true}, "1.00"},
		{"division 34 digits", "base_pay / 3 * 3", "up", map[string]any{"base_pay": 1.0}, "1.00"},
		{"ratio", "ratio(base_pay, days) * 31", "half_even", map[string]any{"base_pay": 100.0, "days": 31.0}, "100.00"},
		{"round half away", "round(base_pay * 0.001, 2)", "down", map[string]any{"base_pay": 2.5}, "0.00"},
		{"round tie", "round(base_pay, 1)", "down", map[string]any{"base_pay": 0.25}, "0.30"},
		{"min max clamp abs", "min(base_pay, 10) + max(1.1, 0.2) + clamp(base_pay, 0, 0.3) + abs(-0.005)", "half_up", map[string]any{"base_pay": 5.0}, "6.41"},
		{"nps", "nps(base_pay, 1, 1)", "half_even", map[string]any{"base_pay": 1.0}, "0.00"},
		{"comparison as decimals", "base_pay * 0.1 == 234.565 ? 1 : 0", "half_even", map[string]any{"base_pay": 2345.65}, "1.00"},
	}
	for _, tc := range cases {
		for _, lang := range langs {
			src := tc.amount
			if lang == "expr" {
				src = strings.ReplaceAll(src, "'", `"`)
			}
			t.Run(lang+"/"+tc.name, func(t *testing.T) {
				p := amountPolicy(t, lang, src, tc.rounding)
				res := amountOf(t, p, tc.vals)
				if res.Amount == nil {
					t.Fatalf("no amount: %s", res.Why())
				}
				if got := res.Amount.Text('f'); got != tc.want {
					t.Errorf("amount %s = %s, want %s (%s)", tc.amount, got, tc.want, res.Why())
				}
			})
		}
	}
}

// TestDecimalNoData: conditions that have no exact result are no_data,
// never NaN or a silent value.
func TestDecimalNoData(t *testing.T) {
	cases := []struct {
		name, amount string
		vals         map[string]any
		reason       string
	}{
		{"division by zero", "base_pay / days", map[string]any{"base_pay": 1.0, "days": 0.0}, "division by zero"},
		{"ratio by zero", "ratio(base_pay, days)", map[string]any{"base_pay": 1.0, "days": 0.0}, "division by zero"},
		{"overflowing amount", "base_pay * 10", map[string]any{"base_pay": 1e39}, "1e15"},
		{"just over the limit", "base_pay", map[string]any{"base_pay": 1e15}, "1e15"},
		{"missing name", "base_pay * 2", map[string]any{}, "base_pay"},
	}
	for _, tc := range cases {
		for _, lang := range langs {
			t.Run(lang+"/"+tc.name, func(t *testing.T) {
				p := amountPolicy(t, lang, tc.amount, "half_even")
				res := amountOf(t, p, tc.vals)
				if res.Status != evaluator.IncentiveNoData || res.Amount != nil {
					t.Fatalf("status %s amount %v, want no_data without an amount", res.Status, res.Amount)
				}
				if !strings.Contains(res.Why(), tc.reason) {
					t.Errorf("why %q does not mention %q", res.Why(), tc.reason)
				}
			})
		}
	}
}

// TestDecimalRefusals: lists, maps and functions outside the shared
// library are validation errors at the amount expression.
func TestDecimalRefusals(t *testing.T) {
	cases := map[string][]string{
		"cel":  {"size([1, 2]) * base_pay", "level.size() * 1.0", "[1.0, 2.0].exists(x, x > base_pay) ? 1 : 0"},
		"expr": {"len([1, 2]) * base_pay", "sum([1.0, base_pay])", "let x = base_pay; x * 2"},
	}
	for lang, srcs := range cases {
		for _, src := range srcs {
			t.Run(lang+"/"+src, func(t *testing.T) {
				head := fmt.Sprintf("policy \"t\" {\n  version = \"1\"\n  language = %q\n  currency = \"EUR\"\n}\n", lang)
				text := head + fmt.Sprintf("attribute \"base_pay\" { type = \"money\" }\nattribute \"level\" { type = \"string\" }\nincentive \"i\" {\n  amount = %q\n}\n", src)
				ast, diags := dsl.Parse([]dsl.Source{{Name: "t.hcl", Bytes: []byte(text)}})
				_, d2 := rules.Resolve(ast, evaluator.NewCEL(), evaluator.NewExpr())
				diags = append(diags, d2...)
				if !diags.HasErrors() {
					t.Fatalf("%s was accepted as an amount expression", src)
				}
				if diags[0].Subject == nil || diags[0].Subject.Start.Line != 9 {
					t.Errorf("diagnostic not at the amount line: %v", diags)
				}
			})
		}
	}
}

// ratRound rounds a rational to 2 decimals with the given mode, using only
// math/big: the independent oracle of TestDecimalProperty.
func ratRound(x *big.Rat, mode string) string {
	scaled := new(big.Rat).Mul(x, big.NewRat(100, 1))
	num, den := scaled.Num(), scaled.Denom()
	q, r := new(big.Int).QuoRem(num, den, new(big.Int)) // truncates toward zero
	neg := x.Sign() < 0
	if r.Sign() != 0 {
		twice := new(big.Int).Mul(new(big.Int).Abs(r), big.NewInt(2))
		cmp := twice.Cmp(den)
		away := false
		switch mode {
		case "up":
			away = true
		case "half_up":
			away = cmp >= 0
		case "half_even":
			away = cmp > 0 || (cmp == 0 && q.Bit(0) == 1)
		}
		if away {
			if neg {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	s := new(big.Rat).SetFrac(q, big.NewInt(100)).FloatString(2)
	if s == "-0.00" {
		s = "0.00"
	}
	return s
}

// TestDecimalProperty: over many random base pays and rates, every amount
// equals exact rational arithmetic of the same formula.
func TestDecimalProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	modes := []string{"half_even", "half_up", "down", "up"}
	for _, lang := range langs {
		policies := map[string]*rules.Policy{}
		for i := 0; i < 400; i++ {
			cents := rng.IntN(1_000_000)
			pay := fmt.Sprintf("%d.%02d", cents/100, cents%100)
			rate := fmt.Sprintf("0.%03d", 1+rng.IntN(999))
			mode := modes[rng.IntN(len(modes))]
			formula := "base_pay * " + rate
			key := formula + mode
			p, ok := policies[key]
			if !ok {
				p = amountPolicy(t, lang, formula, mode)
				policies[key] = p
			}
			var payF float64
			fmt.Sscan(pay, &payF)
			res := amountOf(t, p, map[string]any{"base_pay": payF})
			pr, _ := new(big.Rat).SetString(pay)
			rr, _ := new(big.Rat).SetString(rate)
			want := ratRound(new(big.Rat).Mul(pr, rr), mode)
			if res.Amount == nil || res.Amount.Text('f') != want {
				t.Fatalf("%s: %s with base_pay %s, %s: got %v, want %s", lang, formula, pay, mode, res.Amount, want)
			}
		}
	}
}

// TestScoreOverflow: a score that overflows has no value and no band.
func TestScoreOverflow(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			p := compile(t, lang, `
metric "x" { better = "higher" }
metric "y" { better = "higher" }
target "x" {
  metric = "x"
  goal   = 1e-300
  cap    = 1e308
}
target "y" {
  metric = "y"
  goal   = 1e-300
  cap    = 1e308
}
scorecard "s" {
  weights = { x = 50, y = 50 }
  band "top" { min = 1 }
}
`)
			o := evaluate(t, p, "2026-10", map[string]any{"x": 1e300, "y": 1e300})
			sc := o.Scores[0]
			if sc.Status != evaluator.ScoreNoData || sc.Band.Has() {
				t.Errorf("overflowing score: status %s, band %v; want no_data without a band (%s)", sc.Status, sc.Band, sc.Why())
			}
		})
	}
}

// TestExactInput: an input number with more digits than a float holds
// enters amount expressions as written.
func TestExactInput(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			p := amountPolicy(t, lang, "base_pay * 1", "down")
			s := evaluator.NewSnapshot(p)
			s.Subject, s.Period = "s", mustPeriod(t, "2026-10")
			d, _ := p.Scope.Lookup("base_pay")
			// As a float, 0.0099999999999999999 is 0.01 and would pay 0.01.
			s.Values[d.Slot] = evaluator.Num(0.0099999999999999999)
			s.SetExact(d.Slot, "0.0099999999999999999")
			o := evaluator.New(p, evaluator.Options{}).Evaluate(s, nil)
			if got := o.Incentives[0].Amount.Text('f'); got != "0.00" {
				t.Errorf("amount %s, want 0.00", got)
			}
		})
	}
}

func mustPeriod(t *testing.T, label string) rules.Period {
	t.Helper()
	p, err := rules.ParsePeriod(label)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
