package evaluator

import (
	"math"

	"github.com/rubric-dev/rubric/rules"
)

func (r *run) scores() {
	p := r.e.p
	r.out.Scores = resize(r.out.Scores, len(p.Scorecards))
	for i, sc := range p.Scorecards {
		res := &r.out.Scores[i]
		*res = ScoreResult{Scorecard: sc, Contributions: res.Contributions[:0], Missing: res.Missing[:0]}
		if !r.e.need.scores[i] {
			continue
		}
		res.explained = r.ruleWhy
		r.score(sc, r.e.weightTargets[i], res)
		if res.Status == ScoreOK {
			r.vals[sc.Score.Slot] = res.Value
			r.vals[sc.Band.Slot] = res.Band
		} else if r.why {
			reason := &Reason{Kind: ReasonScore, Name: sc.Name, Text: res.Status.String()}
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
	for wi, w := range sc.Weights {
		tr := &r.out.Targets[targets[wi]]
		switch tr.Status {
		case NotApplicable:
			continue
		case TargetNoData:
			allNA = false
			res.Missing = append(res.Missing, w.Target.Name)
			switch sc.Missing {
			case rules.Void:
				res.Status, res.Reason = ScoreNoData, tr.Reason
				res.Contributions = res.Contributions[:0]
				return
			case rules.Zero:
				res.Contributions = append(res.Contributions, Contribution{Target: w.Target.Name, Weight: w.Weight})
				sumW += w.Weight
			}
			continue
		}
		allNA = false
		a := tr.Attainment.Num
		res.Contributions = append(res.Contributions, Contribution{Target: w.Target.Name, Weight: w.Weight, Attainment: a})
		sumW += w.Weight
		sumWA += w.Weight * a
	}
	if allNA {
		res.Status = ScoreNotApplicable
		return
	}
	res.Coverage, res.CoverageSet = sumW, true
	if sumW < sc.MinCoverage-1e-9 || sumW <= 0 {
		res.Status = ScoreNoData
		res.Contributions = res.Contributions[:0]
		return
	}
	score := sumWA / sumW
	if math.IsInf(score, 0) || math.IsNaN(score) {
		res.Status = ScoreNoData
		res.Contributions = res.Contributions[:0]
		return
	}
	res.Status = ScoreOK
	res.Value = Num(score)
	for i := range res.Contributions {
		c := &res.Contributions[i]
		c.Value = c.Weight * c.Attainment / sumW
	}
	res.Band = Str("")
	for i := range sc.Bands {
		if score >= sc.Bands[i].Min-eps(sc.Bands[i].Min) {
			res.Band = Str(sc.Bands[i].Name)
			break
		}
	}
}
