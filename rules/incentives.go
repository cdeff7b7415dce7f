package rules

import (
	"fmt"
	"math"
	"sort"

	"github.com/rubric-dev/rubric/dsl"
)

func (r *resolver) incentives() {
	byName := firstByName(r.ast.Incentives, func(x *dsl.Incentive) string { return x.Name })
	if len(r.p.Incentives) > 0 && r.p.Currency == "" && len(r.ast.Policy) > 0 && r.ast.Policy[0].Currency == nil {
		r.errorf(CodeCurrency, r.ast.Policy[0].DefRange, "the policy has incentives but no currency: set currency = \"EUR\" (an ISO 4217 code)")
	}
	for _, inc := range r.p.Incentives {
		in := byName[inc.Name]
		what := fmt.Sprintf("incentive %q", in.Name)
		inc.Title, _ = r.str(in.Title, "title")
		inc.Label, inc.Description = r.text(in.Label, "label"), r.text(in.Description, "description")
		inc.Code, _ = r.str(in.Code, "code")
		names := map[string]bool{}
		for _, g := range in.Gates {
			if !r.firstOf(names, g.Head, what, "gate") {
				continue
			}
			gate := Gate{Name: g.Name}
			gate.Title, _ = r.str(g.Title, "title")
			gate.Label, gate.Description = r.text(g.Label, "label"), r.text(g.Description, "description")
			if g.When == nil {
				r.errorf(CodeMissing, g.DefRange, "%s: gate %q has no when", what, g.Name)
			}
			gate.When = r.expression(g.When, StageIncentives, TypeBool, fmt.Sprintf("%s gate %q when", what, g.Name))
			inc.Gates = append(inc.Gates, gate)
		}
		n := 0
		for _, v := range []*dsl.Value{in.Basis, in.Units, in.Amount} {
			if v != nil {
				n++
			}
		}
		if n != 1 {
			rng := in.DefRange
			if n > 1 {
				for _, v := range []*dsl.Value{in.Amount, in.Units, in.Basis} {
					if v != nil {
						rng = v.Range
						break
					}
				}
			}
			r.errorf(CodeExactlyOne, rng, "%s must set exactly one of basis (with tiers), units (with rates) or amount; it sets %d", what, n)
		}
		switch {
		case in.Basis != nil:
			inc.Kind = AmountBasis
			inc.Basis = r.amount(in.Basis, what+" basis")
		case in.Units != nil:
			inc.Kind = AmountUnits
			inc.Units = r.amount(in.Units, what+" units")
		case in.Amount != nil:
			inc.Kind = AmountFormula
			inc.Amount = r.amount(in.Amount, what+" amount")
		}
		tnames := map[string]bool{}
		for _, t := range in.Tiers {
			if inc.Kind != AmountBasis {
				r.errorf(CodeConflict, t.DefRange, "%s: tier blocks go with basis; this incentive has none", what)
				break
			}
			if !r.firstOf(tnames, t.Head, what, "tier") {
				continue
			}
			tier := Tier{Name: t.Name}
			tier.Title, _ = r.str(t.Title, "title")
			tier.Label, tier.Description = r.text(t.Label, "label"), r.text(t.Description, "description")
			tw := fmt.Sprintf("%s tier %q", what, t.Name)
			if t.When == nil {
				r.errorf(CodeMissing, t.DefRange, "%s has no when", tw)
			}
			if t.Multiplier == nil {
				r.errorf(CodeMissing, t.DefRange, "%s has no multiplier", tw)
			}
			tier.When = r.expression(t.When, StageIncentives, TypeBool, tw+" when")
			tier.Multiplier = r.amount(t.Multiplier, tw+" multiplier")
			if tier.Multiplier.IsConst() && tier.Multiplier.Num < 0 {
				r.errorf(CodeBadValue, t.Multiplier.Range, "%s: multiplier must not be negative", tw)
			}
			inc.Tiers = append(inc.Tiers, tier)
		}
		if in.Schedule != nil && inc.Kind != AmountUnits {
			r.errorf(CodeConflict, in.Schedule.Range, "%s: schedule goes with units and rates", what)
		}
		if inc.Kind == AmountUnits {
			if in.Schedule == nil {
				r.errorf(CodeMissing, in.DefRange, "%s: a rate schedule must say schedule = \"graduated\" (each slice at its own rate) or \"flat\" (all units at the rate reached)", what)
			}
			inc.Schedule = Schedule(r.enum(in.Schedule, "schedule", int(Graduated), "graduated", "flat"))
			if len(in.Rates) == 0 {
				r.errorf(CodeMissing, in.DefRange, "%s has units but no rate blocks", what)
			}
		}
		rnames := map[string]bool{}
		froms := map[string]string{}
		for _, rt := range in.Rates {
			if inc.Kind != AmountUnits {
				r.errorf(CodeConflict, rt.DefRange, "%s: rate blocks go with units; this incentive has none", what)
				break
			}
			if !r.firstOf(rnames, rt.Head, what, "rate") {
				continue
			}
			rate := Rate{Name: rt.Name}
			rate.Title, _ = r.str(rt.Title, "title")
			rw := fmt.Sprintf("%s rate %q", what, rt.Name)
			if rt.From == nil || rt.PerUnit == nil {
				r.errorf(CodeMissing, rt.DefRange, "%s needs from and per_unit", rw)
				continue
			}
			f, fd, ok1 := r.number(rt.From, "from")
			_, pd, ok2 := r.number(rt.PerUnit, "per_unit")
			if !ok1 || !ok2 {
				continue
			}
			key := fd.Text('f')
			if other, dup := froms[key]; dup {
				r.errorf(CodeBounds, rt.From.Range, "%s: rates %q and %q both start from %s", what, other, rt.Name, key)
				continue
			}
			froms[key] = rt.Name
			rate.From, rate.PerUnit, rate.FromNum = fd, pd, f
			inc.Rates = append(inc.Rates, rate)
		}
		sort.SliceStable(inc.Rates, func(i, j int) bool { return inc.Rates[i].From.Cmp(inc.Rates[j].From) < 0 })
		inc.Prorate = r.amount(in.Prorate, what+" prorate")
		inc.Cap = r.amount(in.Cap, what+" cap")
		inc.Floor = r.amount(in.Floor, what+" floor")
		if inc.Cap.IsConst() && inc.Floor.IsConst() && inc.Floor.Num > inc.Cap.Num {
			r.errorf(CodeBounds, inc.Floor.Range, "%s: floor %v is above cap %v", what, inc.Floor.Num, inc.Cap.Num)
		}
		inc.Rounding = Rounding(r.enum(in.Rounding, "rounding", int(HalfEven), "half_even", "half_up", "down", "up"))
	}
}

// display reads format and decimals; what is not written keeps def.
func (r *resolver) display(format, decimals *dsl.Value, def Display) Display {
	d := def
	if format != nil {
		d.Format = DisplayFormat(r.enum(format, "format", int(def.Format), "number", "percent", "duration", "money"))
	}
	if decimals != nil {
		if f, _, ok := r.number(decimals, "decimals"); ok {
			if f != math.Trunc(f) || f < 0 || f > 10 {
				r.errorf(CodeBadValue, decimals.Range, "decimals must be a whole number from 0 to 10, not %s", decimals.Num)
			} else {
				d.Decimals = int(f)
			}
		}
	}
	return d
}

// strOf is a string value's text, or "".
func strOf(v *dsl.Value) string {
	if v == nil || v.Kind != dsl.KindString {
		return ""
	}
	return v.Str
}
