package engine

import (
	"path/filepath"
	"testing"

	"github.com/rubric-dev/rubric/evaluator"
)

// TestIncentivesOnly: evaluating only what incentives depend on gives the
// same incentive results as evaluating everything, for every fixture row of
// every example; and the voice-agent payroll needs no team statistics.
func TestIncentivesOnly(t *testing.T) {
	for _, name := range examples(t) {
		p := mustLoad(t, filepath.Join("../policies", name))
		input := filepath.Join("../fixtures", name, "snapshots.csv")
		collect := func(only bool) [][]evaluator.IncentiveResult {
			var out [][]evaluator.IncentiveResult
			res, err := p.Stream(Input{Name: input}, StreamOptions{IncentivesOnly: only, Workers: 1}, func(o *evaluator.Outcome, buf []byte) []byte {
				c := o.Clone()
				for i := range c.Incentives {
					c.Incentives[i].Steps = nil
				}
				out = append(out, c.Incentives)
				return buf
			}, func([]byte) error { return nil })
			if err != nil || res.Failed() {
				t.Fatal(err, res)
			}
			return out
		}
		full, only := collect(false), collect(true)
		if len(full) != len(only) || len(full) == 0 {
			t.Fatalf("%s: %d and %d outcomes", name, len(full), len(only))
		}
		for i := range full {
			for j := range full[i] {
				a, b := full[i][j], only[i][j]
				same := a.Status == b.Status && a.Tier == b.Tier && a.Gate == b.Gate &&
					(a.Amount == nil) == (b.Amount == nil) && (a.Amount == nil || a.Amount.Cmp(b.Amount) == 0)
				if !same {
					t.Fatalf("%s row %d %s: full %+v, incentives only %+v", name, i, a.Incentive.Name, a, b)
				}
			}
		}
	}
	va := mustLoad(t, "../policies/voice-agents")
	if evaluator.New(va.Rules(), evaluator.Options{IncentivesOnly: true}).NeedsStats() {
		t.Error("the voice-agent payroll should not need team statistics (only aht_vs_team uses them)")
	}
	if !evaluator.New(va.Rules(), evaluator.Options{}).NeedsStats() {
		t.Error("the full voice-agent evaluation needs team statistics")
	}
	st := mustLoad(t, "../policies/support-team")
	if !evaluator.New(st.Rules(), evaluator.Options{IncentivesOnly: true}).NeedsStats() {
		t.Error("the team pool reads breaches.major, which counts nps_below_site, which uses all.avg.nps")
	}
}
