package evaluator

import (
	"fmt"
	"math"

	"github.com/rubric-dev/rubric/rules"
)

// eps is the tolerance of a boundary: 1e-9 × max(1, |bound|).
func eps(bound float64) float64 { return 1e-9 * math.Max(1, math.Abs(bound)) }

// atOrBetter reports whether v is at or better than bound; a value on the
// boundary (within eps) goes the subject's way.
func atOrBetter(dir rules.Direction, v, bound float64) bool {
	if dir == rules.Lower {
		return v <= bound+eps(bound)
	}
	return v >= bound-eps(bound)
}

// worse reports whether v is strictly worse than bound.
func worse(dir rules.Direction, v, bound float64) bool { return !atOrBetter(dir, v, bound) }

func (r *run) targets() {
	p := r.e.p
	r.out.Targets = resize(r.out.Targets, len(p.Targets))
	for i, t := range p.Targets {
		res := &r.out.Targets[i]
		*res = TargetResult{Target: t}
		if !r.e.need.targets[i] {
			continue
		}
		r.target(t, res)
		v := r.vals
		v[t.Status.Slot] = Str(res.Status.String())
		if res.Value.Has() {
			v[t.ValueDecl.Slot] = res.Value
		} else {
			r.setReason(t.ValueDecl.Slot, res.Reason)
		}
		switch res.Status {
		case Met, Exceeded:
			v[t.Met.Slot] = Boolean(true)
		case Missed, TargetBreached, NotApplicable:
			v[t.Met.Slot] = Boolean(false)
		default:
			if r.why {
				r.setReason(t.Met.Slot, "target "+t.Name+" is no_data: "+res.Reason)
			}
		}
		if res.Attainment.Has() {
			v[t.Attainment.Slot] = res.Attainment
		} else if r.why {
			r.setReason(t.Attainment.Slot, "target "+t.Name+" is "+res.Status.String())
		}
	}
}

func (r *run) target(t *rules.Target, res *TargetResult) {
	label := t.Name
	if t.Metric != nil {
		label = t.Metric.Name
	}
	// The value is reported whenever it exists, even when a later check
	// makes the target no_data.
	var valueReason string
	if t.Metric != nil {
		res.Value = r.vals[t.Metric.Decl.Slot]
		if !res.Value.Has() {
			valueReason = r.reason(t.Metric.Decl)
		}
	} else {
		res.Value, valueReason = r.eval(t.Value)
	}
	noData := func(reason string) {
		res.Status, res.Reason, res.Attainment = TargetNoData, reason, Value{}
		if r.ruleWhy {
			res.Why = "no data: " + reason
		}
	}
	// what joins a label to a reason, only when explaining.
	what := func(label, reason string) string {
		if !r.why {
			return ""
		}
		return label + reason
	}
	if t.When != nil {
		w, reason := r.eval(t.When)
		if !w.Has() {
			// Whether the target applies is unknown, so nothing about it
			// is reported, not even its value.
			res.Value = Value{}
			noData(what("when "+t.When.Source+": ", reason))
			return
		}
		if !w.Bool {
			res.Status = NotApplicable
			if r.ruleWhy {
				res.Why = "not applicable: " + r.condition(t.When, false)
			}
			return
		}
	}
	if !res.Value.Has() {
		noData(valueReason)
		return
	}
	var reason string
	if res.Goal, reason = r.operand(t.Goal); !res.Goal.Has() {
		noData(what("goal: ", reason))
		return
	}
	if res.Threshold, reason = r.operand(t.Threshold); t.Threshold.Set && !res.Threshold.Has() {
		noData(what("threshold: ", reason))
		return
	}
	if res.Stretch, reason = r.operand(t.Stretch); t.Stretch.Set && !res.Stretch.Has() {
		noData(what("stretch: ", reason))
		return
	}
	capV, reason := r.operand(t.Cap)
	if t.Cap.Set && !capV.Has() {
		noData(what("cap: ", reason))
		return
	}
	if t.Sample != nil {
		sv := r.vals[t.Sample.Decl.Slot]
		if !sv.Has() {
			noData(what("the sample ", r.reason(t.Sample.Decl)))
			return
		}
		if sv.Num < t.MinSample {
			if !r.why {
				noData("")
				return
			}
			noData(fmt.Sprintf("the sample %s %s is below the minimum sample %s", t.Sample.Name, FormatNumber(sv.Num), FormatNumber(t.MinSample)))
			return
		}
	}
	if t.Scoring == rules.Ratio && res.Goal.Num <= 0 {
		if !r.why {
			noData("")
			return
		}
		noData(fmt.Sprintf("the goal %s is not positive, so a ratio cannot be scored", FormatNumber(res.Goal.Num)))
		return
	}
	v, goal, dir := res.Value.Num, res.Goal.Num, t.Better
	switch {
	case res.Stretch.Has() && atOrBetter(dir, v, res.Stretch.Num):
		res.Status = Exceeded
	case atOrBetter(dir, v, goal):
		res.Status = Met
	case res.Threshold.Has() && worse(dir, v, res.Threshold.Num):
		res.Status = TargetBreached
	default:
		res.Status = Missed
	}
	att, how := r.attainment(t, res, capV)
	res.Attainment = Num(att)
	if r.ruleWhy {
		res.Why = r.targetWhy(t, res, label, how)
	}
}

// attainment computes the attainment of a scored target and, when
// explaining, says how.
func (r *run) attainment(t *rules.Target, res *TargetResult, capV Value) (float64, string) {
	if !r.ruleWhy {
		return attainmentOf(t, res, capV), ""
	}
	v, goal := res.Value.Num, res.Goal.Num
	switch t.Scoring {
	case rules.Binary:
		if res.Status == Met || res.Status == Exceeded {
			return 1, "binary scoring: attainment 1"
		}
		return 0, "binary scoring: attainment 0"
	case rules.Curve:
		a := curveAt(t.Curve, v)
		return a, string(appendShort([]byte("on the curve, attainment "), a))
	}
	limit := capV.Num
	var a float64
	b := make([]byte, 0, 64)
	if t.Better == rules.Lower {
		if v <= 0 {
			return limit, string(appendShort([]byte("a value of 0 or less gives the cap "), limit))
		}
		a = goal / v
		b = append(b, "attainment "...)
		b = appendNumber(b, goal)
		b = append(b, '/')
		b = appendNumber(b, v)
	} else {
		a = v / goal
		b = append(b, "attainment "...)
		b = appendNumber(b, v)
		b = append(b, '/')
		b = appendNumber(b, goal)
	}
	b = append(b, " = "...)
	b = appendShort(b, a)
	if a > limit {
		a = limit
		b = appendShort(append(b, ", capped at "...), limit)
	} else if a < 0 {
		a = 0
		b = append(b, ", raised to 0"...)
	}
	return a, string(b)
}

// curveAt interpolates a piecewise-linear curve sorted by X.
func curveAt(pts []rules.CurvePoint, v float64) float64 {
	if v <= pts[0].X {
		return pts[0].Y
	}
	last := pts[len(pts)-1]
	if v >= last.X {
		return last.Y
	}
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		if v <= b.X {
			return a.Y + (v-a.X)*(b.Y-a.Y)/(b.X-a.X)
		}
	}
	return last.Y
}

// targetWhy says why a scored target has its status, appending rather than
// formatting: it is written for every target of every snapshot.
func (r *run) targetWhy(t *rules.Target, res *TargetResult, label, how string) string {
	b := make([]byte, 0, 160)
	b = append(b, label...)
	b = append(b, ' ')
	b = appendDisplay(b, res.Value.Num, t.Display, t.Unit, r.e.p.MinorUnit)
	dir := " (higher is better)"
	if t.Better == rules.Lower {
		dir = " (lower is better)"
	}
	gap := roundGap(math.Abs(res.Value.Num - res.Goal.Num))
	switch res.Status {
	case Exceeded:
		b = append(b, " is at or better than the stretch "...)
		b = appendDisplay(b, res.Stretch.Num, t.Display, t.Unit, r.e.p.MinorUnit)
		b = append(b, dir...)
	case Met:
		b = append(b, " is at or better than the goal "...)
		b = appendDisplay(b, res.Goal.Num, t.Display, t.Unit, r.e.p.MinorUnit)
		b = append(b, dir...)
	case TargetBreached:
		b = append(b, " is worse than the threshold "...)
		b = appendDisplay(b, res.Threshold.Num, t.Display, t.Unit, r.e.p.MinorUnit)
		b = append(b, dir...)
		b = append(b, ", "...)
		b = appendDisplay(b, gap, t.Display, t.Unit, r.e.p.MinorUnit)
		b = append(b, " from the goal "...)
		b = appendDisplay(b, res.Goal.Num, t.Display, t.Unit, r.e.p.MinorUnit)
	default:
		b = append(b, " missed the goal "...)
		b = appendDisplay(b, res.Goal.Num, t.Display, t.Unit, r.e.p.MinorUnit)
		b = append(b, " by "...)
		b = appendDisplay(b, gap, t.Display, t.Unit, r.e.p.MinorUnit)
		b = append(b, dir...)
	}
	b = append(b, "; "...)
	b = append(b, how...)
	return string(b)
}

// roundGap trims floating-point noise from a difference (0.19999999999999996 → 0.2).
func roundGap(g float64) float64 {
	if g == 0 {
		return 0
	}
	return math.Round(g*1e9) / 1e9
}

// attainmentOf is attainment without the explanation.
func attainmentOf(t *rules.Target, res *TargetResult, capV Value) float64 {
	v, goal := res.Value.Num, res.Goal.Num
	switch t.Scoring {
	case rules.Binary:
		if res.Status == Met || res.Status == Exceeded {
			return 1
		}
		return 0
	case rules.Curve:
		return curveAt(t.Curve, v)
	}
	var a float64
	if t.Better == rules.Lower {
		if v <= 0 {
			return capV.Num
		}
		a = goal / v
	} else {
		a = v / goal
	}
	return math.Min(math.Max(a, 0), capV.Num)
}

// resize returns s with length n, reusing its array when it can.
func resize[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}
