package evaluator

import (
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
				r.setReason(t.Met.Slot, &Reason{Kind: ReasonTarget, Name: t.Name, Text: "no_data", Cause: res.Reason})
				// The status has a value; its reason says why it is
				// no_data, for later periods that look back on it.
				r.setReason(t.Status.Slot, res.Reason)
			}
		}
		if res.Attainment.Has() {
			v[t.Attainment.Slot] = res.Attainment
		} else if r.why {
			r.setReason(t.Attainment.Slot, &Reason{Kind: ReasonTarget, Name: t.Name, Text: res.Status.String()})
		}
	}
}

func (r *run) target(t *rules.Target, res *TargetResult) {
	if r.ruleWhy {
		res.policy = r.e.p
	}
	// The value is reported whenever it exists, even when a later check
	// makes the target no_data.
	var valueReason *Reason
	if t.Metric != nil {
		res.Value = r.vals[t.Metric.Decl.Slot]
		if !res.Value.Has() {
			valueReason = r.reason(t.Metric.Decl)
		}
	} else {
		res.Value, valueReason = r.eval(t.Value)
	}
	noData := func(reason *Reason) {
		res.Status, res.Reason, res.Attainment = TargetNoData, reason, Value{}
	}
	// what says which part of the target had no value, only when
	// explaining.
	what := func(kind ReasonKind, text string, reason *Reason) *Reason {
		if !r.why {
			return nil
		}
		return &Reason{Kind: kind, Text: text, Cause: reason}
	}
	if t.When != nil {
		w, reason := r.eval(t.When)
		if !w.Has() {
			// Whether the target applies is unknown, so nothing about it
			// is reported, not even its value.
			res.Value = Value{}
			noData(what(ReasonWhen, t.When.Source, reason))
			return
		}
		if !w.Bool {
			res.Status = NotApplicable
			if r.ruleWhy {
				res.When = r.condition(t.When, false)
			}
			return
		}
	}
	if !res.Value.Has() {
		noData(valueReason)
		return
	}
	var reason *Reason
	if res.Goal, reason = r.operand(t.Goal); !res.Goal.Has() {
		noData(what(ReasonOperand, "goal", reason))
		return
	}
	if res.Threshold, reason = r.operand(t.Threshold); t.Threshold.Set && !res.Threshold.Has() {
		noData(what(ReasonOperand, "threshold", reason))
		return
	}
	if res.Stretch, reason = r.operand(t.Stretch); t.Stretch.Set && !res.Stretch.Has() {
		noData(what(ReasonOperand, "stretch", reason))
		return
	}
	capV, reason := r.operand(t.Cap)
	if t.Cap.Set && !capV.Has() {
		noData(what(ReasonOperand, "cap", reason))
		return
	}
	if t.Sample != nil {
		sv := r.vals[t.Sample.Decl.Slot]
		if !sv.Has() {
			noData(what(ReasonSample, "", r.reason(t.Sample.Decl)))
			return
		}
		if sv.Num < t.MinSample {
			if !r.why {
				noData(nil)
				return
			}
			noData(&Reason{Kind: ReasonSampleBelow, Name: t.Sample.Name, Num: sv.Num, Limit: t.MinSample})
			return
		}
	}
	if t.Scoring == rules.Ratio && res.Goal.Num <= 0 {
		if !r.why {
			noData(nil)
			return
		}
		noData(&Reason{Kind: ReasonGoalNotPositive, Num: res.Goal.Num})
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
	res.Cap = capV.Num
	res.Attainment = Num(r.attainment(t, res))
}

// attainment is the attainment of a scored target (its status set); for
// ratio scoring it records the ratio before the cap and the floor of 0.
func (r *run) attainment(t *rules.Target, res *TargetResult) float64 {
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
	if t.Better == rules.Lower {
		if v <= 0 {
			return res.Cap
		}
		res.Ratio = goal / v
	} else {
		res.Ratio = v / goal
	}
	return math.Min(math.Max(res.Ratio, 0), res.Cap)
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

// resize returns s with length n, reusing its array when it can.
func resize[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}
