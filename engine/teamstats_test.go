package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// TestTeamStatsInParallel: the statistics pass converts on every worker
// and adds in input order. Over several batches, with a duplicate whose
// first row is good (the later one is left out), a duplicate whose first
// row is bad (the later one counts) and a bad row, each team's average is
// the serial sum over the rows the main pass keeps, and the output is the
// same bytes on one worker as on four.
func TestTeamStatsInParallel(t *testing.T) {
	p := mustLoad(t, "../policies/voice-agents")
	var in strings.Builder
	in.WriteString("subject,period,team,tenure_days,base_pay,handled,aht,resolved_first,surveys,satisfied,adherence,qa_autofails,days_worked\n")
	teams := []string{"north", "south", "west"}
	sum := map[string]float64{}
	count := map[string]int{}
	row := func(subject, team, aht string) {
		fmt.Fprintf(&in, "%s,2026-10,%s,400,3000,400,%s,300,40,35,0.9,0,31\n", subject, team, aht)
	}
	for i := range 1500 {
		team := teams[i%3]
		aht := 200 + float64(i%97)*1.1
		row(fmt.Sprintf("A-%d", i), team, fmt.Sprint(aht))
		sum[team] += aht
		count[team]++
		switch i {
		case 700:
			row("A-5", "north", "777") // a duplicate of a good row (within the metric's range): left out
			row("B-1", "south", "x")   // bad: left out
		case 900:
			row("B-1", "south", "250") // its first row was bad: this one counts
			sum["south"] += 250
			count["south"]++
		}
	}
	input := writeFile(t, "in.csv", in.String())
	var outs [2]bytes.Buffer
	for i, workers := range []int{1, 4} {
		opts := EvalOptions{StreamOptions: StreamOptions{Workers: workers, SkipInvalid: filepath.Join(t.TempDir(), "rejects.csv")}}
		res, err := p.Eval(Input{Name: input}, Output{W: &outs[i]}, opts)
		if err != nil || res.Failed() || res.Rejected != 2 {
			t.Fatalf("workers %d: err %v, rejected %d", workers, err, res.Rejected)
		}
	}
	if !bytes.Equal(outs[0].Bytes(), outs[1].Bytes()) {
		t.Fatal("one worker and four give different outcomes")
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(outs[1].String()), "\n") {
		var o struct {
			Subject string
			Team    string
			Values  map[string]any
			Targets map[string]struct{ Value *float64 }
		}
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			t.Fatal(err)
		}
		team, aht := o.Team, o.Values["aht"].(float64)
		got := o.Targets["aht_vs_team"].Value
		want := aht / (sum[team] / float64(count[team]))
		if got == nil {
			t.Fatalf("%s (%s): aht_vs_team has no value, want %v", o.Subject, team, want)
		}
		if math.Abs(*got-want) > 1e-9 {
			t.Fatalf("%s (%s): aht_vs_team = %v, want %v", o.Subject, team, *got, want)
		}
		checked++
	}
	if checked != 1501 {
		t.Errorf("%d outcomes, want 1501", checked)
	}
}
