package rules

import (
	"fmt"
	"strings"

	"github.com/rubric-dev/rubric/dsl"
)

func (r *resolver) metrics() {
	byName := firstByName(r.ast.Metrics, func(x *dsl.Metric) string { return x.Name })
	for _, met := range r.p.Metrics {
		m := byName[met.Name]
		what := fmt.Sprintf("metric %q", m.Name)
		met.Title, _ = r.str(m.Title, "title")
		met.Label, met.Description = r.text(m.Label, "label"), r.text(m.Description, "description")
		met.Unit, _ = r.str(m.Unit, "unit")
		met.Display = r.display(m.Format, m.Decimals, Display{Decimals: -1})
		met.Better = Direction(r.enum(m.Better, "better", int(DirectionInvalid), "higher", "lower"))
		met.betterGiven = m.Better != nil
		if m.Expr != nil {
			met.Derived = r.expression(m.Expr, StageDerived, TypeNumber, what+" expr")
			for _, extra := range []struct {
				v    *dsl.Value
				name string
			}{{m.Default, "default"}, {m.Required, "required"}, {m.Min, "min"}, {m.Max, "max"}} {
				if extra.v != nil {
					r.errorf(CodeConflict, extra.v.Range, "%s is derived (expr), so it cannot have %s: it is computed, never read from input", what, extra.name)
				}
			}
			if met.Derived != nil && bareCall(met.Derived.Source, "nps") {
				// nps(…) lies between −100 and 100 whatever its counts.
				lo, hi := -100.0, 100.0
				met.Min, met.Max = &lo, &hi
			}
			continue
		}
		if v, _, ok := r.number(m.Min, "min"); ok {
			met.Min = &v
		}
		if v, _, ok := r.number(m.Max, "max"); ok {
			met.Max = &v
		}
		if met.Min != nil && met.Max != nil && *met.Min > *met.Max {
			r.errorf(CodeBounds, m.Max.Range, "%s: max %v is below min %v", what, *met.Max, *met.Min)
		}
		if v, _, ok := r.number(m.Default, "default"); ok {
			met.Default = &v
			if (met.Min != nil && v < *met.Min) || (met.Max != nil && v > *met.Max) {
				r.errorf(CodeBounds, m.Default.Range, "%s: default %v is outside min/max", what, v)
			}
		}
		met.Required = r.boolean(m.Required, "required")
		if met.Required && met.Default != nil {
			r.errorf(CodeConflict, m.Required.Range, "%s is required and has a default; a default is never used for a required metric", what)
		}
	}
}

// derivedOrder sorts derived metrics so that each comes after the derived
// metrics it uses, and reports cycles.
func (r *resolver) derivedOrder() {
	state := map[*Metric]int{} // 0 new, 1 visiting, 2 done
	var stack []*Metric
	var visit func(m *Metric)
	visit = func(m *Metric) {
		switch state[m] {
		case 2:
			return
		case 1:
			i := 0
			for stack[i] != m {
				i++
			}
			names := []string{}
			for _, s := range stack[i:] {
				names = append(names, s.Name)
			}
			names = append(names, m.Name)
			r.errorf(CodeCycle, m.Derived.Value.Range, "derived metrics form a cycle: %s", strings.Join(names, " → "))
			return
		}
		state[m] = 1
		stack = append(stack, m)
		for _, d := range m.Derived.Refs {
			if d.Kind == DeclHistory && d.Hist.Window() && d.Of.Kind == DeclMetric {
				d = d.Of // window.*.m needs this period's m first; prev.m does not
			}
			if d.Kind == DeclMetric {
				if dep := r.metricByName[d.Name]; dep != nil && dep.Derived != nil {
					visit(dep)
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[m] = 2
		r.p.Derived = append(r.p.Derived, m)
	}
	for _, m := range r.p.Metrics {
		if m.Derived != nil {
			visit(m)
		}
	}
}

// bareCall reports whether src is one call of fn and nothing else, its
// arguments holding no further call: "nps(p, pa, d)".
func bareCall(src, fn string) bool {
	src = strings.TrimSpace(src)
	return strings.HasPrefix(src, fn+"(") && strings.HasSuffix(src, ")") && strings.Count(src, "(") == 1
}
