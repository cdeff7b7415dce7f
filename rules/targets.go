package rules

import (
	"fmt"
	"sort"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/dsl"
)

func (r *resolver) metricRef(v *dsl.Value, what string) *Metric {
	s, ok := r.str(v, what)
	if !ok {
		return nil
	}
	if m := r.metricByName[s]; m != nil {
		return m
	}
	names := make([]string, 0, len(r.metricByName))
	for n := range r.metricByName {
		names = append(names, n)
	}
	DidYouMean(r.errorf(CodeUnknownName, v.Range, "%s: unknown metric %q", what, s), s, names)
	return nil
}

func (r *resolver) targets() {
	byName := firstByName(r.ast.Targets, func(x *dsl.Target) string { return x.Name })
	for _, tg := range r.p.Targets {
		t := byName[tg.Name]
		what := fmt.Sprintf("target %q", t.Name)
		tg.Title, _ = r.str(t.Title, "title")
		tg.Label, tg.Description = r.text(t.Label, "label"), r.text(t.Description, "description")
		tg.Unit, _ = r.str(t.Unit, "unit")
		tg.Display = Display{Decimals: -1}
		if m := r.metricByName[strOf(t.Metric)]; m != nil {
			tg.Display = m.Display // metrics are resolved before targets
		}
		tg.Display = r.display(t.Format, t.Decimals, tg.Display)
		switch {
		case t.Metric != nil && t.Value != nil:
			r.errorf(CodeExactlyOne, t.Value.Range, "%s has both metric and value; set exactly one", what)
		case t.Metric == nil && t.Value == nil:
			r.errorf(CodeExactlyOne, t.DefRange, "%s has neither metric nor value; set exactly one", what)
		case t.Metric != nil:
			tg.Metric = r.metricRef(t.Metric, what+" metric")
		default:
			tg.Value = r.expression(t.Value, StageTargets, TypeNumber, what+" value")
		}
		tg.Better = Direction(r.enum(t.Better, "better", int(DirectionInvalid), "higher", "lower"))
		if tg.Better == DirectionInvalid && t.Better == nil {
			if t.Value != nil && t.Metric == nil {
				r.errorf(CodeMissing, t.DefRange, "%s computes its value, so it needs better = \"higher\" or \"lower\"", what)
			} else if tg.Metric != nil {
				tg.Better = tg.Metric.Better
				if tg.Better == DirectionInvalid && !tg.Metric.betterGiven {
					r.errorf(CodeMissing, t.Metric.Range, "%s: metric %q does not say which way is better; set better on the metric or the target", what, tg.Metric.Name)
				}
			}
		}
		if tg.Unit == "" && tg.Metric != nil {
			tg.Unit = tg.Metric.Unit
		}
		if t.Goal == nil {
			r.errorf(CodeMissing, t.DefRange, "%s has no goal", what)
		}
		tg.Goal = r.operand(t.Goal, StageTargets, what+" goal")
		tg.Threshold = r.operand(t.Threshold, StageTargets, what+" threshold")
		tg.Stretch = r.operand(t.Stretch, StageTargets, what+" stretch")
		tg.When = r.expression(t.When, StageTargets, TypeBool, what+" when")
		if t.Sample != nil {
			tg.Sample = r.metricRef(t.Sample, what+" sample")
			if t.MinSample == nil {
				r.errorf(CodeMissing, t.Sample.Range, "%s has a sample but no min_sample", what)
			}
		}
		if t.MinSample != nil {
			if v, _, ok := r.number(t.MinSample, "min_sample"); ok {
				tg.MinSample = v
				if v < 0 {
					r.errorf(CodeBadValue, t.MinSample.Range, "min_sample must not be negative")
				}
			}
			if t.Sample == nil {
				r.errorf(CodeMissing, t.MinSample.Range, "%s has min_sample but no sample: name the metric that counts observations", what)
			}
		}
		tg.Severity = Severity(r.enum(t.Severity, "severity", int(Major), "minor", "major", "critical"))
		if t.Curve != nil {
			tg.Scoring = Curve
			if t.Scoring != nil {
				r.errorf(CodeConflict, t.Scoring.Range, "%s has a curve, which replaces scoring; remove scoring", what)
			}
			if t.Cap != nil {
				r.errorf(CodeConflict, t.Cap.Range, "%s has a curve, which replaces cap; remove cap", what)
			}
			tg.Curve = r.curve(t.Curve, what)
		} else {
			tg.Scoring = Scoring(r.enum(t.Scoring, "scoring", int(Ratio), "ratio", "binary"))
			if t.Cap != nil {
				tg.Cap = r.operand(t.Cap, StageTargets, what+" cap")
				if tg.Cap.IsConst() && tg.Cap.Num < 0 {
					r.errorf(CodeBadValue, t.Cap.Range, "%s: cap must not be negative", what)
				}
			} else {
				tg.Cap = Operand{Set: true, Num: 1.5, Dec: apd.New(15, -1)}
			}
		}
		if tg.Scoring == Ratio && tg.Goal.IsConst() && tg.Goal.Num <= 0 {
			r.errorf(CodeBounds, tg.Goal.Range, "%s: a goal of %v cannot be scored as a ratio; use a positive goal, scoring = \"binary\" or a curve", what, tg.Goal.Num)
		}
		r.boundsOrder(tg, t, what)
	}
}

func (r *resolver) boundsOrder(tg *Target, t *dsl.Target, what string) {
	if tg.Better == DirectionInvalid {
		return
	}
	type b struct {
		name string
		o    Operand
	}
	seq := []b{{"threshold", tg.Threshold}, {"goal", tg.Goal}, {"stretch", tg.Stretch}}
	var set []b
	for _, x := range seq {
		if x.o.IsConst() {
			set = append(set, x)
		}
	}
	for i := 1; i < len(set); i++ {
		lo, hi := set[i-1], set[i]
		bad := (tg.Better == Higher && lo.o.Num > hi.o.Num) || (tg.Better == Lower && lo.o.Num < hi.o.Num)
		if bad {
			rel := "≤"
			if tg.Better == Lower {
				rel = "≥"
			}
			at := hi.o.Range // the bound that is not the goal is the one to move
			if hi.name == "goal" {
				at = lo.o.Range
			}
			d := r.errorf(CodeBounds, at, "%s: %s %v and %s %v are out of order for %s is better", what, lo.name, lo.o.Num, hi.name, hi.o.Num, tg.Better)
			d.Detail = fmt.Sprintf("When %s is better, bounds must satisfy threshold %s goal %s stretch.", tg.Better, rel, rel)
		}
	}
}

func (r *resolver) curve(v *dsl.Value, what string) []CurvePoint {
	if v.Kind == dsl.KindInvalid {
		return nil
	}
	if v.Kind != dsl.KindList || len(v.List) == 0 {
		r.errorf(CodeBadValue, v.Range, "%s curve must be a list of [value, attainment] points", what)
		return nil
	}
	var pts []CurvePoint
	for _, p := range v.List {
		if p == nil || p.Kind != dsl.KindList || len(p.List) != 2 {
			rng := v.Range
			if p != nil {
				rng = p.Range
			}
			r.errorf(CodeBadValue, rng, "%s curve: each point is [value, attainment]", what)
			return nil
		}
		x, _, ok1 := r.number(p.List[0], "curve value")
		y, _, ok2 := r.number(p.List[1], "curve attainment")
		if !ok1 || !ok2 {
			return nil
		}
		if y < 0 {
			r.errorf(CodeBadValue, p.List[1].Range, "%s curve: attainment %v is negative", what, y)
		}
		pts = append(pts, CurvePoint{x, y})
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].X < pts[j].X })
	for i := 1; i < len(pts); i++ {
		if pts[i].X == pts[i-1].X {
			r.errorf(CodeBadValue, v.Range, "%s curve has two points at value %v", what, pts[i].X)
			return nil
		}
	}
	return pts
}
