package evaluator

import (
	"fmt"
	"math"
	"strings"

	"github.com/rubric-dev/rubric/rules"
)

func (r *run) scores() {
	p := r.e.p
	r.out.Scores = resize(r.out.Scores, len(p.Scorecards))
	for i, sc := range p.Scorecards {
		res := &r.out.Scores[i]
		*res = ScoreResult{Scorecard: sc, Contributions: res.Contributions[:0]}
		if !r.e.need.scores[i] {
			continue
		}
		r.score(sc, r.e.weightTargets[i], res)
		if res.Status == ScoreOK {
			r.vals[sc.Score.Slot] = res.Value
			r.vals[sc.Band.Slot] = res.Band
		} else if r.why {
			reason := "score " + sc.Name + " is " + res.Status.String()
			r.setReason(sc.Score.Slot, reason)
			r.setReason(sc.Band.Slot, reason)
		}
	}
}

// score computes a scorecard; targets holds, for each weight, the index of
// its target's result.
func (r *run) score(sc *rules.Scorecard, targets []int, res *ScoreResult) {
	var sumW, sumWA float64
	allNA := true
	var left, zeroed, noData []string
	type counted struct {
		name string
		w, a float64
	}
	var buf [16]counted
	parts := buf[:0]
	for wi, w := range sc.Weights {
		tr := &r.out.Targets[targets[wi]]
		switch tr.Status {
		case NotApplicable:
			continue
		case TargetNoData:
			allNA = false
			noData = append(noData, w.Target.Name)
			switch sc.Missing {
			case rules.Void:
				res.Status = ScoreNoData
				if r.ruleWhy {
					res.Why = fmt.Sprintf("no data: target %s is no_data (%s) and missing = \"void\" voids the score", w.Target.Name, tr.Reason)
				}
				return
			case rules.Zero:
				zeroed = append(zeroed, w.Target.Name)
				parts = append(parts, counted{w.Target.Name, w.Weight, 0})
				sumW += w.Weight
			default:
				left = append(left, w.Target.Name)
			}
			continue
		}
		allNA = false
		a := tr.Attainment.Num
		parts = append(parts, counted{w.Target.Name, w.Weight, a})
		sumW += w.Weight
		sumWA += w.Weight * a
	}
	if allNA {
		res.Status = ScoreNotApplicable
		if r.ruleWhy {
			res.Why = "not applicable: every target of the scorecard is not applicable"
		}
		return
	}
	res.Coverage, res.CoverageSet = sumW, true
	if sumW < sc.MinCoverage-1e-9 || sumW <= 0 {
		res.Status = ScoreNoData
		if r.ruleWhy {
			res.Why = fmt.Sprintf("no data: coverage %s%% is below the minimum %s%% (no data for %s)", Short(sumW), Short(sc.MinCoverage), strings.Join(noData, ", "))
		}
		return
	}
	score := sumWA / sumW
	if math.IsInf(score, 0) || math.IsNaN(score) {
		res.Status = ScoreNoData
		if r.ruleWhy {
			res.Why = "no data: the score overflows (an attainment is too large to add up)"
		}
		return
	}
	res.Status = ScoreOK
	res.Value = Num(score)
	for _, c := range parts {
		res.Contributions = append(res.Contributions, Contribution{Target: c.name, Value: c.w * c.a / sumW})
	}
	res.Band = Str("")
	var band *rules.Band
	for i := range sc.Bands {
		if score >= sc.Bands[i].Min-eps(sc.Bands[i].Min) {
			band = &sc.Bands[i]
			res.Band = Str(band.Name)
			break
		}
	}
	if !r.ruleWhy {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "score %s = Σ weight × attainment / %s over ", Short(score), Short(sumW))
	for i, c := range parts {
		if i > 0 {
			b.WriteString(" + ")
		}
		fmt.Fprintf(&b, "%s %s×%s", c.name, Short(c.w), Short(c.a))
	}
	fmt.Fprintf(&b, " (coverage %s%%", Short(sumW))
	if len(left) > 0 {
		fmt.Fprintf(&b, "; no data, left out: %s", strings.Join(left, ", "))
	}
	if len(zeroed) > 0 {
		fmt.Fprintf(&b, "; no data, counted as 0: %s", strings.Join(zeroed, ", "))
	}
	b.WriteString(")")
	switch {
	case band != nil:
		fmt.Fprintf(&b, "; band %s (at or above %s)", band.Name, Short(band.Min))
	case len(sc.Bands) > 0:
		low := sc.Bands[len(sc.Bands)-1]
		fmt.Fprintf(&b, "; below every band (the lowest, %s, starts at %s)", low.Name, Short(low.Min))
	}
	res.Why = b.String()
}
