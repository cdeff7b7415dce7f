package evaluator

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/rules"
)

func (r *run) incentives() {
	p := r.e.p
	r.out.Incentives = resize(r.out.Incentives, len(p.Incentives))
	for i, in := range p.Incentives {
		res := &r.out.Incentives[i]
		*res = IncentiveResult{Incentive: in, Steps: res.Steps[:0]}
		var st incentiveState
		r.incentive(in, res, &st)
		if r.why {
			res.Why = r.incentiveWhy(in, res, &st)
		}
	}
}

// incentiveState accumulates the narrative of one incentive's evaluation,
// handed to incentiveWhy when it is done.
type incentiveState struct {
	passed   []string
	noData   string // what had no value
	tierNote string
	calc     []string // arithmetic, in order
}

func (r *run) step(res *IncentiveResult, s Step) {
	if r.why {
		res.Steps = append(res.Steps, s)
	}
}

func (r *run) incentive(in *rules.Incentive, res *IncentiveResult, st *incentiveState) {
	minor := r.e.p.MinorUnit
	noData := func(what, reason string) {
		res.Status = IncentiveNoData
		res.Amount = nil
		res.Tier = ""
		if r.why {
			st.noData = what + ": " + reason
		}
	}
	for _, g := range in.Gates {
		v, reason := r.eval(g.When)
		if !v.Has() {
			res.Gate = g.Name
			if r.why {
				r.step(res, Step{Step: "gate", Name: g.Name, Expr: g.When.Source, Inputs: r.inputs(g.When), Result: "no value"})
			}
			noData("gate "+g.Name, reason)
			return
		}
		if r.why {
			r.step(res, Step{Step: "gate", Name: g.Name, Expr: g.When.Source, Inputs: r.inputs(g.When), Result: strconv.FormatBool(v.Bool)})
		}
		if !v.Bool {
			res.Status = Ineligible
			res.Gate = g.Name
			res.Amount = ZeroAmount(minor)
			if r.why {
				st.calc = append(st.calc, r.condition(g.When, false))
			}
			return
		}
		st.passed = append(st.passed, g.Name)
	}

	// Gross amount.
	var gross *apd.Decimal
	switch in.Kind {
	case rules.AmountBasis:
		basis, ok := r.money(in.Basis, "basis", res, noData)
		if !ok {
			return
		}
		mult := decOne
		if len(in.Tiers) > 0 {
			mult = nil
			for _, t := range in.Tiers {
				v, reason := r.eval(t.When)
				if !v.Has() {
					if r.why {
						r.step(res, Step{Step: "tier", Name: t.Name, Expr: t.When.Source, Inputs: r.inputs(t.When), Result: "no value"})
					}
					noData("tier "+t.Name, reason)
					return
				}
				if !v.Bool {
					continue
				}
				m, ok := r.money(t.Multiplier, "multiplier", res, noData)
				if !ok {
					return
				}
				mult = m
				res.Tier = t.Name
				if r.why {
					r.step(res, Step{Step: "tier", Name: t.Name, Expr: t.When.Source, Inputs: r.inputs(t.When), Multiplier: decText(m)})
				}
				if r.why {
					st.tierNote = fmt.Sprintf("%s reached tier %s (×%s)", r.describeOr(t.When), t.Name, decText(m))
				}
				break
			}
			if mult == nil {
				mult = decZero
				if r.why {
					r.step(res, Step{Step: "tier", Note: "no tier matched", Multiplier: "0"})
				}
				if r.why {
					st.tierNote = "no tier matched"
				}
			}
		}
		gross = mul(basis, mult)
		if r.why {
			st.calc = append(st.calc, fmt.Sprintf("%s × %s = %s", decText(basis), decText(mult), decText(gross)))
		}
	case rules.AmountUnits:
		units, ok := r.money(in.Units, "units", res, noData)
		if !ok {
			return
		}
		gross = r.schedule(in, units, res, st)
	case rules.AmountFormula:
		amt, ok := r.money(in.Amount, "amount", res, noData)
		if !ok {
			return
		}
		gross = amt
	}

	x := gross
	if in.Prorate.Set {
		f, ok := r.money(in.Prorate, "prorate", res, noData)
		if !ok {
			return
		}
		f = minDec(maxDec(f, decZero), decOne)
		x = mul(x, f)
		r.operandStep(res, "prorate", in.Prorate, f, x)
		if r.why {
			st.calc = append(st.calc, fmt.Sprintf("× prorate %s = %s", decText(f), decText(x)))
		}
	}
	if in.Cap.Set {
		c, ok := r.money(in.Cap, "cap", res, noData)
		if !ok {
			return
		}
		if x.Cmp(c) > 0 {
			x = c
			if r.why {
				st.calc = append(st.calc, "capped at "+decText(c))
			}
		}
		r.operandStep(res, "cap", in.Cap, c, x)
	}
	if in.Floor.Set {
		f, ok := r.money(in.Floor, "floor", res, noData)
		if !ok {
			return
		}
		if x.Cmp(f) < 0 {
			x = f
			if r.why {
				st.calc = append(st.calc, "raised to the floor "+decText(f))
			}
		}
		r.operandStep(res, "floor", in.Floor, f, x)
	}
	if x.Sign() < 0 {
		x = decZero
		if r.why {
			st.calc = append(st.calc, "a negative amount counts as 0")
		}
	}
	if tooLarge(x) {
		noData("amount", "the amount "+decText(x)+" is beyond what a payroll line can hold (1e15)")
		return
	}
	res.Amount = Round(x, minor, in.Rounding)
	if r.why {
		r.step(res, Step{Step: "round", Mode: in.Rounding.String(), Result: res.Amount.Text('f')})
	}
	if res.Amount.Sign() > 0 {
		res.Status = Earned
	} else {
		res.Status = NotEarned
	}
}

// money evaluates an operand into decimal: a constant exactly as written,
// a computed number through its shortest round-trip form. The basis, units
// and amount are recorded as steps here; the caller records the others
// with what they did.
func (r *run) money(o rules.Operand, what string, res *IncentiveResult, noData func(string, string)) (*apd.Decimal, bool) {
	record := what == "basis" || what == "units" || what == "amount"
	if o.Expr == nil {
		if record {
			if r.why {
				r.step(res, Step{Step: what, Result: decText(o.Dec)})
			}
		}
		return o.Dec, true
	}
	d, reason := r.evalDecimal(o.Expr)
	if d == nil {
		if r.why {
			r.step(res, Step{Step: what, Expr: o.Expr.Source, Inputs: r.inputs(o.Expr), Result: "no value"})
		}
		noData(what, reason)
		return nil, false
	}
	if record {
		if r.why {
			r.step(res, Step{Step: what, Expr: o.Expr.Source, Inputs: r.inputs(o.Expr), Result: decText(d)})
		}
	}
	return d, true
}

// evalDecimal evaluates an amount expression in exact decimal. A
// referenced name without a value gives no value and the reason, as in
// eval.
func (r *run) evalDecimal(x *rules.Expression) (*apd.Decimal, string) {
	for _, d := range x.Refs {
		if !r.vals[d.Slot].Has() {
			return nil, r.reason(d)
		}
	}
	prog, ok := x.Decimal.(*decimalProgram)
	if !ok {
		return nil, "the expression was not compiled for decimal evaluation"
	}
	d, reason := prog.evalDecimal(r.vals, r.s.exact)
	if d != nil && tooLarge(d) {
		return nil, "the result " + decText(d) + " is beyond what an amount can hold (1e15)"
	}
	return d, reason
}

// maxAmount bounds every amount and operand: a payroll line holds less
// than 10^15 in any currency.
var maxAmount = apd.New(1, 15)

func tooLarge(d *apd.Decimal) bool {
	var a apd.Decimal
	a.Abs(d)
	return a.Cmp(maxAmount) >= 0
}

// operandStep records a prorate, cap or floor step.
func (r *run) operandStep(res *IncentiveResult, what string, o rules.Operand, factor, result *apd.Decimal) {
	if !r.why {
		return
	}
	s := Step{Step: what, Result: decText(result)}
	if what == "prorate" {
		s.Multiplier = decText(factor)
	} else {
		s.Limit = decText(factor)
	}
	if o.Expr != nil {
		s.Expr, s.Inputs = o.Expr.Source, r.inputs(o.Expr)
	}
	if r.why {
		r.step(res, s)
	}
}

// schedule pays units through the rate bands.
func (r *run) schedule(in *rules.Incentive, units *apd.Decimal, res *IncentiveResult, st *incentiveState) *apd.Decimal {
	total := new(apd.Decimal)
	if in.Schedule == rules.Flat {
		var band *rules.Rate
		for i := range in.Rates {
			if in.Rates[i].From.Cmp(units) <= 0 {
				band = &in.Rates[i]
			}
		}
		if band == nil {
			if r.why {
				r.step(res, Step{Step: "rate", Note: fmt.Sprintf("%s units are below the first band (%s from %s)", decText(units), in.Rates[0].Name, decText(in.Rates[0].From)), Result: "0"})
			}
			if r.why {
				st.calc = append(st.calc, fmt.Sprintf("%s units are below the first rate band %s (from %s): 0", decText(units), in.Rates[0].Name, decText(in.Rates[0].From)))
			}
			return total
		}
		total = mul(units, band.PerUnit)
		if r.why {
			r.step(res, Step{Step: "rate", Name: band.Name, Note: fmt.Sprintf("flat: all %s units at %s", decText(units), decText(band.PerUnit)), Result: decText(total)})
		}
		if r.why {
			st.calc = append(st.calc, fmt.Sprintf("flat schedule, band %s: %s × %s = %s", band.Name, decText(units), decText(band.PerUnit), decText(total)))
		}
		return total
	}
	var slices []string
	for i, rt := range in.Rates {
		upper := units
		if i+1 < len(in.Rates) {
			upper = minDec(units, in.Rates[i+1].From)
		}
		n := sub(upper, rt.From)
		if n.Sign() <= 0 {
			continue
		}
		pay := mul(n, rt.PerUnit)
		total = add(total, pay)
		if r.why {
			r.step(res, Step{Step: "rate", Name: rt.Name, Note: fmt.Sprintf("%s units × %s", decText(n), decText(rt.PerUnit)), Result: decText(pay)})
		}
		slices = append(slices, fmt.Sprintf("%s × %s (%s)", decText(n), decText(rt.PerUnit), rt.Name))
	}
	if r.why {
		if len(slices) == 0 {
			st.calc = append(st.calc, fmt.Sprintf("%s units are below the first rate band %s (from %s): 0", decText(units), in.Rates[0].Name, decText(in.Rates[0].From)))
		} else {
			st.calc = append(st.calc, fmt.Sprintf("graduated: %s = %s", strings.Join(slices, " + "), decText(total)))
		}
	}
	return total
}

func (r *run) describeOr(x *rules.Expression) string {
	if d := r.describe(x); d != "" {
		return d
	}
	return x.Source
}

func (r *run) incentiveWhy(in *rules.Incentive, res *IncentiveResult, st *incentiveState) string {
	var parts []string
	if len(st.passed) > 0 {
		parts = append(parts, fmt.Sprintf("eligible (%s passed)", strings.Join(st.passed, ", ")))
	}
	switch res.Status {
	case IncentiveNoData:
		return fmt.Sprintf("no data, needs review: %s", st.noData)
	case Ineligible:
		return fmt.Sprintf("ineligible at gate %s: %s", res.Gate, strings.Join(st.calc, "; "))
	}
	if st.tierNote != "" {
		parts = append(parts, st.tierNote)
	}
	parts = append(parts, st.calc...)
	parts = append(parts, fmt.Sprintf("rounded %s to %s %s", in.Rounding, res.Amount.Text('f'), r.e.p.Currency))
	return strings.Join(parts, "; ")
}
