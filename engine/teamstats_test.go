package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine/internal/teamstats"
	"github.com/rubric-dev/rubric/evaluator"
)

// TestTeamStatsInParallel: the statistics pass converts on every worker
// and adds in input order. Over several batches, with a duplicate whose
// first row is good (the later one is left out), a duplicate whose first
// row is bad (the later one counts) and a bad row, each team's average is
// the serial sum over the rows the main pass keeps, and the output is the
// same bytes on one worker as on four.
func TestTeamStatsInParallel(t *testing.T) {
	// Plain rows are split on the workers; a quoted value sends the pass
	// back to reading records as the main pass does.
	for _, quoted := range []bool{false, true} {
		t.Run(fmt.Sprintf("quoted %v", quoted), func(t *testing.T) { testTeamStatsInParallel(t, quoted) })
	}
}

func testTeamStatsInParallel(t *testing.T, quoted bool) {
	p := mustLoad(t, "../policies/voice-agents")
	var in strings.Builder
	in.WriteString("subject,period,team,tenure_days,base_pay,handled,aht,resolved_first,surveys,satisfied,adherence,qa_autofails,days_worked\n")
	teams := []string{"north", "south", "west"}
	sum := map[string]float64{}
	count := map[string]int{}
	row := func(subject, team, aht string) {
		if quoted && subject == "A-1" {
			team = `"` + team + `"`
		}
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

// TestTeamStatsReadOnlyWhatTheyUse: when bad input fails the run, the
// statistics pass reads only team, period and the metrics the statistics
// sum (unless one is derived), and gives a missing one its default. Its
// figures equal those of the full pass (taken when bad rows are skipped)
// and those of the same rows read as records (NDJSON), and a bad row in a
// column it does not read still fails the run.
func TestTeamStatsReadOnlyWhatTheyUse(t *testing.T) {
	raw := `
target "vs_team" {
  value  = "aht / team.avg.aht + qa / (all.max.qa + 1) + team.avg.qa + team.count / 1000"
  better = "higher"
  goal   = 1
}
`
	derived := raw + `
target "rate_vs_team" {
  value  = "rate / team.avg.rate"
  better = "higher"
  goal   = 1
}
`
	// Plain rows, rows ending in "\r\n", and a quoted value far into the
	// file.
	type variant struct {
		name, text, ndjson string // the same rows as NDJSON
	}
	var variants []variant
	for _, v := range []struct {
		name, eol string
		plain     bool
	}{{"plain", "\n", true}, {"crlf", "\r\n", true}, {"quoted", "\n", false}} {
		var in, nd strings.Builder
		in.WriteString("subject,period,team,aht,handled,qa,pay,level" + v.eol)
		for i := range 3000 {
			qa := fmt.Sprint(i % 5)
			if i%7 == 0 {
				qa = "" // the default, 0
			}
			team := []string{"north", "south"}[i%2]
			if i%11 == 0 {
				team = "" // in no team: counted in all.* only
			}
			if !v.plain && i == 2500 {
				team = `"` + team + `"`
			}
			fmt.Fprintf(&in, "A%d,2026-10,%s,%d,%d,%s,100,L%d%s", i, team, 200+i%50, 10+i%9, qa, i%3, v.eol)
			fmt.Fprintf(&nd, `{"subject":"A%d","period":"2026-10","aht":%d,"handled":%d,"pay":100,"level":"L%d"`, i, 200+i%50, 10+i%9, i%3)
			if team = strings.Trim(team, `"`); team != "" {
				fmt.Fprintf(&nd, `,"team":%q`, team)
			}
			if qa != "" {
				fmt.Fprintf(&nd, `,"qa":%s`, qa)
			}
			nd.WriteString("}\n")
		}
		variants = append(variants, variant{v.name, in.String(), nd.String()})
	}
	for _, tt := range []struct {
		name, policy string
		only         bool
	}{{"raw metrics", raw, true}, {"a derived metric", derived, false}} {
		for _, v := range variants {
			t.Run(tt.name+", "+v.name, func(t *testing.T) {
				good := writeFile(t, "in.csv", v.text)
				bad := writeFile(t, "bad.csv", v.text+"B1,2026-10,north,250,x,1,100,L1\n")
				records := writeFile(t, "in.ndjson", v.ndjson)
				testTeamStatsReadOnly(t, tt.policy, tt.only, good, bad, records)
			})
		}
	}
}

func testTeamStatsReadOnly(t *testing.T, policy string, readsOnly bool, good, bad, records string) {
	t.Helper()
	p, diags := LoadSources("inputs.hcl", []dsl.Source{{Name: "inputs.hcl", Bytes: []byte(inputPolicy + policy)}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	slots := teamstats.Only(p.Rules(), evaluator.NewStats(p.Rules()), false)
	if got := slots != nil; got != readsOnly {
		t.Fatalf("reads only what it uses: %v, want %v", got, readsOnly)
	}
	if teamstats.Only(p.Rules(), evaluator.NewStats(p.Rules()), true) != nil {
		t.Fatal("reads only what it uses when bad rows are skipped")
	}
	var full, only bytes.Buffer
	res, err := p.Eval(Input{Name: good}, Output{W: &full}, EvalOptions{Format: OutCSV, StreamOptions: StreamOptions{SkipInvalid: filepath.Join(t.TempDir(), "rejects.csv")}})
	if err != nil || res.Failed() || res.Rejected != 0 {
		t.Fatalf("full pass: %v, %+v", err, res)
	}
	res, err = p.Eval(Input{Name: good}, Output{W: &only}, EvalOptions{Format: OutCSV})
	if err != nil || res.Failed() {
		t.Fatalf("reading only what is used: %v, %+v", err, res)
	}
	if diff := cmp.Diff(full.String(), only.String()); diff != "" {
		t.Fatalf("outcomes differ (-full +only):\n%s", diff)
	}
	var fromRecords bytes.Buffer
	res, err = p.Eval(Input{Name: records}, Output{W: &fromRecords}, EvalOptions{Format: OutCSV})
	if err != nil || res.Failed() {
		t.Fatalf("the same rows as NDJSON: %v, %+v", err, res)
	}
	if diff := cmp.Diff(fromRecords.String(), only.String()); diff != "" {
		t.Fatalf("outcomes differ (-NDJSON +CSV):\n%s", diff)
	}
	if !strings.Contains(full.String(), "vs_team") || strings.Count(full.String(), "\n") != 3001 {
		t.Fatalf("unexpected outcomes:\n%.500s", full.String())
	}
	res, err = p.Eval(Input{Name: bad}, Output{W: io.Discard}, EvalOptions{Format: OutCSV})
	if err != nil || !res.Failed() || res.ErrorCount != 1 || !strings.Contains(res.Errors[0].Error(), ":3002:") {
		t.Fatalf("a bad row in a column the statistics do not read: %v, %+v", err, res)
	}
}
