package evaluator

import (
	"strconv"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/rules"
)

func (r *run) incentives() {
	p := r.e.p
	r.out.Incentives = resize(r.out.Incentives, len(p.Incentives))
	for i, in := range p.Incentives {
		res := &r.out.Incentives[i]
		*res = IncentiveResult{Incentive: in, Steps: res.Steps[:0]}
		if r.why {
			res.policy = p
		}
		r.incentive(in, res)
	}
}

func (r *run) step(res *IncentiveResult, s Step) {
	if r.why {
		res.Steps = append(res.Steps, s)
	}
}

// conditionStep records a gate or a tier: its condition, what it read and
// how it came out.
func (r *run) conditionStep(res *IncentiveResult, kind, name string, x *rules.Expression, result string) {
	if r.why {
		r.step(res, Step{Step: kind, Name: name, Expr: x.Source, Inputs: r.inputs(x), Result: result})
	}
}

func (r *run) incentive(in *rules.Incentive, res *IncentiveResult) {
	minor := r.e.p.MinorUnit
	noData := func(what, name string, reason *Reason) {
		res.Status = IncentiveNoData
		res.Amount = nil
		res.Tier = ""
		if r.why {
			res.NoData, res.NoDataName, res.Reason = what, name, reason
		}
	}
	for _, g := range in.Gates {
		v, reason := r.eval(g.When)
		if !v.Has() {
			res.Gate = g.Name
			r.conditionStep(res, "gate", g.Name, g.When, "no value")
			noData("gate", g.Name, reason)
			return
		}
		r.conditionStep(res, "gate", g.Name, g.When, strconv.FormatBool(v.Bool))
		if !v.Bool {
			res.Status = Ineligible
			res.Gate = g.Name
			res.Amount = ZeroAmount(minor)
			return
		}
	}

	// Gross amount.
	var gross *apd.Decimal
	switch in.Kind {
	case rules.AmountBasis:
		basis, ok := r.money(in.Basis, "basis", res, noData)
		if !ok {
			return
		}
		mult, ok := r.tier(in, res, noData)
		if !ok {
			return
		}
		gross = mul(basis, mult)
	case rules.AmountUnits:
		units, ok := r.money(in.Units, "units", res, noData)
		if !ok {
			return
		}
		gross = r.schedule(in, units, res)
	case rules.AmountFormula:
		amt, ok := r.money(in.Amount, "amount", res, noData)
		if !ok {
			return
		}
		gross = amt
	}
	if r.why {
		res.Gross = gross
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
	}
	if in.Cap.Set {
		c, ok := r.money(in.Cap, "cap", res, noData)
		if !ok {
			return
		}
		if x.Cmp(c) > 0 {
			x, res.Capped = c, r.why
		}
		r.operandStep(res, "cap", in.Cap, c, x)
	}
	if in.Floor.Set {
		f, ok := r.money(in.Floor, "floor", res, noData)
		if !ok {
			return
		}
		if x.Cmp(f) < 0 {
			x, res.Floored = f, r.why
		}
		r.operandStep(res, "floor", in.Floor, f, x)
	}
	if x.Sign() < 0 {
		x, res.Negative = decZero, r.why
	}
	if tooLarge(x) {
		noData("amount", "", &Reason{Kind: ReasonAmountTooLarge, Text: decText(x)})
		return
	}
	amount, err := Round(x, minor, in.Rounding)
	if err != nil {
		noData("round", "", r.failed(err))
		return
	}
	res.Amount = amount
	if r.why {
		r.step(res, Step{Step: "round", Mode: in.Rounding.String(), Result: res.Amount.Text('f')})
	}
	if res.Amount.Sign() > 0 {
		res.Status = Earned
	} else {
		res.Status = NotEarned
	}
}

// tier finds the multiplier of the first tier whose condition holds: 1
// without tiers, 0 when none matched.
func (r *run) tier(in *rules.Incentive, res *IncentiveResult, noData func(string, string, *Reason)) (*apd.Decimal, bool) {
	if len(in.Tiers) == 0 {
		return decOne, true
	}
	for _, t := range in.Tiers {
		v, reason := r.eval(t.When)
		if !v.Has() {
			r.conditionStep(res, "tier", t.Name, t.When, "no value")
			noData("tier", t.Name, reason)
			return nil, false
		}
		if !v.Bool {
			continue
		}
		m, ok := r.money(t.Multiplier, "multiplier", res, noData)
		if !ok {
			return nil, false
		}
		res.Tier = t.Name
		if r.why {
			r.step(res, Step{Step: "tier", Name: t.Name, Expr: t.When.Source, Inputs: r.inputs(t.When), Multiplier: decText(m)})
		}
		return m, true
	}
	r.step(res, Step{Step: "tier", Multiplier: "0"}) // no tier matched
	return decZero, true
}

// money evaluates an operand into decimal: a constant exactly as written,
// a computed number through its shortest round-trip form. The basis, units
// and amount are recorded as steps here; the caller records the others
// with what they did.
func (r *run) money(o rules.Operand, what string, res *IncentiveResult, noData func(string, string, *Reason)) (*apd.Decimal, bool) {
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
		noData(what, "", reason)
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
func (r *run) evalDecimal(x *rules.Expression) (*apd.Decimal, *Reason) {
	for _, d := range x.Refs {
		if !r.vals[d.Slot].Has() {
			return nil, r.reason(d)
		}
	}
	prog, ok := x.Decimal.(*decimalProgram)
	if !ok {
		return nil, reasonNoDecimal
	}
	d, reason := prog.evalDecimal(r.vals, r.s.exact)
	switch {
	case d == nil:
		return nil, because(reason)
	case tooLarge(d):
		return nil, &Reason{Kind: ReasonTooLarge, Text: decText(d)}
	}
	return d, nil
}

// maxAmount bounds every amount and operand: a payroll line holds less
// than 10^15 in any currency.
var maxAmount = apd.New(1, 15)

func tooLarge(d *apd.Decimal) bool {
	if d.Form == apd.Finite {
		// |d| ≥ 10^15 when its leading digit stands at 10^15 or higher.
		return !d.IsZero() && int64(d.Exponent)+d.NumDigits() > 15
	}
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
func (r *run) schedule(in *rules.Incentive, units *apd.Decimal, res *IncentiveResult) *apd.Decimal {
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
				first := in.Rates[0]
				r.step(res, Step{Step: "rate", Result: "0", Units: decText(units), FirstBand: first.Name, From: decText(first.From)})
			}
			return total
		}
		total = mul(units, band.PerUnit)
		if r.why {
			u, rate := decText(units), decText(band.PerUnit)
			r.step(res, Step{Step: "rate", Name: band.Name, Flat: true, Result: decText(total), Units: u, PerUnit: rate})
		}
		return total
	}
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
			u, rate := decText(n), decText(rt.PerUnit)
			r.step(res, Step{Step: "rate", Name: rt.Name, Result: decText(pay), Units: u, PerUnit: rate})
		}
	}
	return total
}
