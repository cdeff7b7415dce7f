package rules

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/rubric-dev/rubric/dsl"
)

// expression compiles an expression string at a stage. what names the
// attribute for messages ("target \"aht\" goal").
func (r *resolver) expression(v *dsl.Value, stage Stage, want Type, what string) *Expression {
	if v == nil || v.Kind == dsl.KindInvalid {
		return nil
	}
	if v.Kind != dsl.KindString {
		r.errorf(CodeBadValue, v.Range, "%s must be an expression in quotes, not a %s", what, v.Kind)
		return nil
	}
	if strings.TrimSpace(v.Str) == "" {
		r.errorf(CodeExpression, v.Range, "%s is an empty expression", what)
		return nil
	}
	if r.compiler == nil {
		return nil
	}
	e := &Expression{Source: v.Str, Value: v, Want: want}
	parsed, errs := r.compiler.Parse(v.Str)
	if len(errs) > 0 {
		r.exprErrors(v, what, errs)
		return nil
	}
	ok := true
	seen := map[*Decl]bool{}
	for _, ref := range parsed.Refs() {
		rng := v.RangeAt(ref.Offset, ref.Length)
		d, _ := r.scope.resolveRef(ref.Name)
		if d == nil {
			ok = false
			r.unknownName(ref.Name, rng, what)
			continue
		}
		if d.Kind == DeclHistory {
			r.p.UsesHistory = true
		}
		if d.Stage > stage {
			ok = false
			dd := r.errorf(CodeStage, rng, "%s cannot use %s: it is computed after %s", what, d.Name, stage)
			dd.Detail = "Names are computed in order: derived metrics (metrics, attributes, params, period), then targets (plus team.* and all.*), then scorecards, then breaches (plus target.*, score.*, band.*), then incentives (plus breach.*, breaches.*). An expression may use names of its own stage and earlier ones."
			continue
		}
		r.scope.use(d)
		if !seen[d] {
			seen[d] = true
			e.Refs = append(e.Refs, d)
		}
		if d.Kind == DeclTeam {
			root := "all"
			if strings.HasPrefix(d.Name, "team.") {
				r.p.UsesTeam, root = true, "team"
			} else {
				r.p.UsesAll = true
			}
			// The count is always known when a statistic is used, so an
			// explanation can say over how many snapshots it was taken.
			if c, ok := r.scope.Lookup(root + ".count"); ok {
				r.scope.use(c)
			}
		}
	}
	if !ok {
		return nil
	}
	prog, errs := r.compiler.Compile(parsed, r.scope, want)
	if len(errs) > 0 {
		r.exprErrors(v, what, errs)
		return nil
	}
	e.Program = prog
	if len(e.Refs) == 1 && e.Source == e.Refs[0].Name {
		e.Bare = e.Refs[0]
	}
	return e
}

func (r *resolver) exprErrors(v *dsl.Value, what string, errs []ExprError) {
	for _, e := range errs {
		r.errorf(CodeExpression, v.RangeAt(e.Offset, e.Length), "%s: %s", what, e.Message)
	}
}

func (r *resolver) unknownName(name string, rng hcl.Range, what string) {
	if comps := r.scope.completions(name); len(comps) > 0 {
		if len(comps) > 4 {
			comps = append(comps[:4], "…")
		}
		r.errorf(CodeUnknownName, rng, "%s: %s is not a value by itself; use %s", what, name, strings.Join(comps, ", "))
		return
	}
	if i := strings.IndexByte(name, '.'); i > 0 && r.p.History == 0 {
		switch name[:i] {
		case "prev", "window", "streak":
			d := r.errorf(CodeHistory, rng, "%s: %s looks back on earlier periods, but the policy has no history", what, name)
			d.Detail = "Set history = N on the policy block (the number of earlier periods an expression may look back on, 1 to 24) to use prev.*, window.* and streak.* names."
			return
		}
	}
	d := r.errorf(CodeUnknownName, rng, "%s: unknown name %q", what, name)
	if r.inRollup {
		d.Detail = fmt.Sprintf("A rollup's expressions read its columns, day and hour. If %s is a column of the rows, declare it: column %q { type = \"number\" } (or string, bool, duration, time).", name, name)
		DidYouMean(d, name, r.scope.names())
		return
	}
	if !strings.Contains(name, ".") {
		d.Detail = fmt.Sprintf("Every name an expression reads must be declared. If %s is a column of the input, declare it: metric %q { better = \"higher\" } for a number, or attribute %q { type = \"string\" } for text (number, bool and money too).", name, name, name)
	}
	if !DidYouMean(d, name, r.scope.names()) {
		if i := strings.IndexByte(name, '.'); i > 0 {
			root := name[:i]
			switch root {
			case "target", "score", "band", "breach", "breaches", "period", "team", "all":
				d.Detail = fmt.Sprintf("Nothing named %s is declared.", name)
			}
		}
	}
}

// firstOf reports whether h's name is new among the blocks of one kind in
// a rule, and reports a duplicate when it is not.
func (r *resolver) firstOf(seen map[string]bool, h dsl.Head, what, kind string) bool {
	if seen[h.Name] {
		r.errorf(CodeDuplicate, h.NameRange, "%s: %s %q is declared twice", what, kind, h.Name)
		return false
	}
	seen[h.Name] = true
	return true
}

// firstByName indexes blocks by name, keeping the first of duplicates (the
// others were reported by declare).
func firstByName[T any](items []T, name func(T) string) map[string]T {
	m := make(map[string]T, len(items))
	for _, it := range items {
		if _, ok := m[name(it)]; !ok {
			m[name(it)] = it
		}
	}
	return m
}

// amount reads an incentive's amount operand (basis, amount, multiplier,
// units, prorate, cap, floor): an expression is also compiled for exact
// decimal evaluation, which refuses lists, maps and functions outside the
// shared library.
func (r *resolver) amount(v *dsl.Value, what string) Operand {
	o := r.operand(v, StageIncentives, what)
	if o.Expr == nil || r.compiler == nil {
		return o
	}
	parsed, errs := r.compiler.Parse(o.Expr.Source)
	if len(errs) == 0 {
		o.Expr.Decimal, errs = r.compiler.CompileDecimal(parsed, r.scope)
	}
	if len(errs) > 0 {
		r.exprErrors(v, what, errs)
		return Operand{}
	}
	return o
}

// operand reads a number-or-expression attribute.
func (r *resolver) operand(v *dsl.Value, stage Stage, what string) Operand {
	if v == nil {
		return Operand{}
	}
	o := Operand{Set: true, Range: v.Range}
	switch v.Kind {
	case dsl.KindNumber:
		f, d, ok := r.number(v, what)
		if !ok {
			return Operand{}
		}
		o.Num, o.Dec = f, d
	case dsl.KindString:
		o.Expr = r.expression(v, stage, TypeNumber, what)
		if o.Expr == nil {
			return Operand{}
		}
	case dsl.KindInvalid:
		return Operand{}
	default:
		r.errorf(CodeBadValue, v.Range, "%s must be a number or an expression in quotes, not a %s", what, v.Kind)
		return Operand{}
	}
	return o
}
