package diff

import (
	"bytes"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/testkit"
)

// changedVoicePolicy is the voice-agent policy with one text replaced.
func changedVoicePolicy(t *testing.T, old, new string) *engine.Policy {
	t.Helper()
	srcs, err := dsl.ReadSources("../../policies/voice-agents")
	if err != nil {
		t.Fatal(err)
	}
	changed := false
	for i := range srcs {
		if bytes.Contains(srcs[i].Bytes, []byte(old)) {
			srcs[i].Bytes = bytes.Replace(srcs[i].Bytes, []byte(old), []byte(new), 1)
			changed = true
		}
	}
	if !changed {
		t.Fatalf("%q not found", old)
	}
	p, diags := engine.LoadSources("changed", srcs)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

// TestDiffTotals changes one tier multiplier and checks the reported total
// delta against the sum of per-subject amounts of two separate eval runs.
func TestDiffTotals(t *testing.T) {
	input := "../../fixtures/voice-agents/snapshots.csv"
	oldP := testkit.MustLoad(t, "../../policies/voice-agents")
	newP := changedVoicePolicy(t, "multiplier = 1.5", "multiplier = 2.0")
	rep, res, err := Compare(oldP, newP, engine.Input{Name: input}, Options{})
	if err != nil || res.Failed() {
		t.Fatal(err, res)
	}
	sum := func(p *engine.Policy) (map[string]*apd.Decimal, map[string]string) {
		tot := map[string]*apd.Decimal{}
		status := map[string]string{}
		for _, o := range testkit.EvalToMaps(t, p, input) {
			for name, v := range o["incentives"].(map[string]any) {
				iv := v.(map[string]any)
				if a, ok := iv["amount"].(string); ok {
					testkit.AddAmount(t, tot, name, a)
				}
				status[o["subject"].(string)+" "+name] = iv["status"].(string)
			}
		}
		return tot, status
	}
	oldTot, _ := sum(oldP)
	newTot, _ := sum(newP)
	for _, id := range rep.Incentives {
		d := new(apd.Decimal)
		apd.BaseContext.WithPrecision(50).Sub(d, newTot[id.Incentive], oldTot[id.Incentive])
		got, _, _ := apd.NewFromString(id.Delta)
		if got.Cmp(d) != 0 || id.Old != oldTot[id.Incentive].Text('f') || id.New != newTot[id.Incentive].Text('f') {
			t.Errorf("%s: old %s new %s delta %s; eval says %s, %s, %s", id.Incentive, id.Old, id.New, id.Delta, oldTot[id.Incentive].Text('f'), newTot[id.Incentive].Text('f'), d.Text('f'))
		}
	}
	bonus := rep.Incentives[1]
	if bonus.Incentive != "monthly_bonus" || bonus.Delta == "0.00" || bonus.Percent == nil || *bonus.Percent <= 0 {
		t.Fatalf("%+v", bonus)
	}
	if rep.Subjects.Lose != 0 || rep.Subjects.Gain == 0 || rep.Subjects.Gain+rep.Subjects.Unchanged != rep.Snapshots {
		t.Errorf("subjects %+v of %d", rep.Subjects, rep.Snapshots)
	}
	if m := rep.MaxChange(); m != *bonus.Percent || m < 1 {
		t.Errorf("max change %v", m)
	}
	if len(rep.Largest) != 10 || rep.Largest[0].OldWhy == rep.Largest[0].NewWhy {
		t.Errorf("largest: %+v", rep.Largest)
	}
}

// TestDiffTransitions raises the tenure gate: the status transitions must
// match those counted from two eval runs.
func TestDiffTransitions(t *testing.T) {
	input := "../../fixtures/voice-agents/snapshots.csv"
	oldP := testkit.MustLoad(t, "../../policies/voice-agents")
	newP := changedVoicePolicy(t, `when = "tenure_days >= 90"`, `when = "tenure_days >= 1000"`)
	rep, _, err := Compare(oldP, newP, engine.Input{Name: input}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[[2]string]int{}
	olds, news := testkit.EvalToMaps(t, oldP, input), testkit.EvalToMaps(t, newP, input)
	for i := range olds {
		o := olds[i]["incentives"].(map[string]any)["monthly_bonus"].(map[string]any)["status"].(string)
		n := news[i]["incentives"].(map[string]any)["monthly_bonus"].(map[string]any)["status"].(string)
		if o != n {
			want[[2]string{o, n}]++
		}
	}
	got := map[[2]string]int{}
	for _, tr := range rep.Statuses {
		if tr.Rule != "monthly_bonus" {
			t.Errorf("unexpected transition %+v", tr)
		}
		got[[2]string{tr.From, tr.To}] = tr.Count
	}
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s → %s: %d, want %d", k[0], k[1], got[k], n)
		}
	}
	if rep.Subjects.Gain != 0 || rep.Subjects.Lose == 0 || len(rep.Bands) != 0 || len(rep.Targets) != 0 {
		t.Errorf("subjects %+v bands %v targets %v", rep.Subjects, rep.Bands, rep.Targets)
	}
}
