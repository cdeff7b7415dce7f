package rules

import (
	"fmt"
	"sort"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/dsl"
)

func (r *resolver) scorecards() {
	byName := firstByName(r.ast.Scorecards, func(x *dsl.Scorecard) string { return x.Name })
	for _, sc := range r.p.Scorecards {
		s := byName[sc.Name]
		what := fmt.Sprintf("scorecard %q", s.Name)
		sc.Title, _ = r.str(s.Title, "title")
		sc.Label, sc.Description = r.text(s.Label, "label"), r.text(s.Description, "description")
		sc.Missing = Missing(r.enum(s.Missing, "missing", int(Reweight), "reweight", "zero", "void"))
		sc.MinCoverage = 50
		if v, _, ok := r.number(s.MinCoverage, "min_coverage"); ok {
			if v < 0 || v > 100 {
				r.errorf(CodeBadValue, s.MinCoverage.Range, "%s: min_coverage is a percentage from 0 to 100, not %v", what, v)
			}
			sc.MinCoverage = v
		}
		switch {
		case s.Weights == nil:
			r.errorf(CodeMissing, s.DefRange, "%s has no weights", what)
		case s.Weights.Kind == dsl.KindInvalid:
		case s.Weights.Kind != dsl.KindMap:
			r.errorf(CodeWeights, s.Weights.Range, "%s weights must be a map of target = weight", what)
		default:
			sum := new(apd.Decimal)
			seen := map[string]bool{}
			ok := true
			for _, e := range s.Weights.Map {
				tg := r.targetByName[e.Key]
				if tg == nil {
					names := make([]string, 0, len(r.targetByName))
					for n := range r.targetByName {
						names = append(names, n)
					}
					DidYouMean(r.errorf(CodeUnknownName, e.KeyRange, "%s weights: unknown target %q", what, e.Key), e.Key, names)
					ok = false
					continue
				}
				if seen[e.Key] {
					r.errorf(CodeDuplicate, e.KeyRange, "%s weights: target %q appears twice", what, e.Key)
					ok = false
					continue
				}
				seen[e.Key] = true
				w, dec, wok := r.number(e.Value, "weight")
				if !wok {
					ok = false
					continue
				}
				if w <= 0 {
					r.errorf(CodeWeights, e.Value.Range, "%s: the weight of %q must be positive, not %v", what, e.Key, w)
					ok = false
					continue
				}
				if _, err := apd.BaseContext.Add(sum, sum, dec); err != nil {
					r.errorf(CodeWeights, e.Value.Range, "%s: the weight of %q cannot be added up (%v)", what, e.Key, err)
					ok = false
					continue
				}
				sc.Weights = append(sc.Weights, Weight{Target: tg, Weight: w})
			}
			if ok && sum.Cmp(apd.New(100, 0)) != 0 {
				r.errorf(CodeWeights, s.Weights.Range, "%s weights sum to %s; they must sum to 100", what, sum.Text('f'))
			}
		}
		names := map[string]bool{}
		mins := map[float64]string{}
		for _, b := range s.Bands {
			if !r.firstOf(names, b.Head, what, "band") {
				continue
			}
			band := Band{Name: b.Name}
			band.Title, _ = r.str(b.Title, "title")
			band.Label, band.Description = r.text(b.Label, "label"), r.text(b.Description, "description")
			if b.Min == nil {
				r.errorf(CodeMissing, b.DefRange, "%s: band %q has no min", what, b.Name)
				continue
			}
			v, _, ok := r.number(b.Min, "min")
			if !ok {
				continue
			}
			if other, dup := mins[v]; dup {
				r.errorf(CodeBounds, b.Min.Range, "%s: bands %q and %q have the same min %v", what, other, b.Name, v)
				continue
			}
			mins[v] = b.Name
			band.Min = v
			sc.Bands = append(sc.Bands, band)
		}
		sort.SliceStable(sc.Bands, func(i, j int) bool { return sc.Bands[i].Min > sc.Bands[j].Min })
	}
}
