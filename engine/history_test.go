package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/evaluator"
)

const historyPolicy = `
policy "hist" {
  version        = "1"
  currency       = "EUR"
  language       = "LANG"
  history        = 3
  effective_from = "2026-09-01"
}
metric "surveys" { better = "higher" }
metric "satisfied" { better = "higher" }
metric "csat" {
  better = "higher"
  expr   = "ratio(window.sum.satisfied, window.sum.surveys)"
}
attribute "pay" { type = "money" }
target "csat" {
  metric = "csat"
  goal   = 0.8
}
breach "coaching" {
  when = "streak.target.csat.missed >= 3"
}
incentive "consistency" {
  gate "streak" { when = "streak.target.csat.met >= 2" }
  amount = "pay * 0.01 * window.target.csat.met + (prev.pay > 0 ? 0 : 1)"
}
`

// historyInput is shuffled, has gaps (A has no 2026-07; A-09 has no
// surveys) and months before effective_from (history only).
const historyInput = `subject,period,surveys,satisfied,pay
A,2026-10,10,9,1000
B,2026-09,10,5,1000
A,2026-08,10,9,1000
B,2026-10,10,9,1000
A,2026-06,10,2,1000
B,2026-08,10,5,1000
B,2026-07,10,5,1000
A,2026-09,,,1000
C,2026-10,10,10,1000
`

func historyOutcomes(t *testing.T, lang string, periods []string, workers int) []map[string]any {
	t.Helper()
	p := loadHistoryPolicy(t, lang)
	in := writeFile(t, "h.csv", historyInput)
	var buf bytes.Buffer
	res, err := p.Eval(Input{Name: in, Periods: periods}, Output{W: &buf}, EvalOptions{Format: OutNDJSON, StreamOptions: StreamOptions{Workers: workers}})
	if err != nil || res.Failed() {
		t.Fatalf("eval: %v %v", err, res)
	}
	if res.HistoryOnly != 4 {
		t.Errorf("history-only snapshots: %d, want 4", res.HistoryOnly)
	}
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var o map[string]any
		if err := json.Unmarshal(line, &o); err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}

func TestHistoryWindows(t *testing.T) {
	type want struct {
		key, window, status, breach, incentive, amount string
		csat                                           float64
	}
	wants := []want{ // in input order, history-only months left out
		{"A 2026-10", "2026-08 2026-09 2026-10", "met", "clear", "ineligible", "0.00", 0.9},
		{"B 2026-09", "2026-07 2026-08 2026-09", "missed", "breached", "ineligible", "0.00", 0.5},
		{"B 2026-10", "2026-07 2026-08 2026-09 2026-10", "missed", "breached", "ineligible", "0.00", 0.6},
		{"A 2026-09", "2026-06 2026-08 2026-09", "missed", "clear", "ineligible", "0.00", 0.55},
		{"C 2026-10", "2026-10", "met", "clear", "ineligible", "0.00", 1},
	}
	for _, lang := range []string{"cel", "expr"} {
		t.Run(lang, func(t *testing.T) {
			got := historyOutcomes(t, lang, nil, 2)
			if len(got) != len(wants) {
				t.Fatalf("%d outcomes, want %d", len(got), len(wants))
			}
			for i, w := range wants {
				o := got[i]
				key := o["subject"].(string) + " " + o["period"].(string)
				var win []string
				for _, l := range o["window"].([]any) {
					win = append(win, l.(string))
				}
				tg := o["targets"].(map[string]any)["csat"].(map[string]any)
				br := o["breaches"].(map[string]any)["coaching"].(map[string]any)
				in := o["incentives"].(map[string]any)["consistency"].(map[string]any)
				csat, _ := o["values"].(map[string]any)["csat"].(float64)
				if key != w.key || strings.Join(win, " ") != w.window || tg["status"] != w.status || br["status"] != w.breach ||
					in["status"] != w.incentive || in["amount"] != w.amount || csat != w.csat {
					t.Errorf("outcome %d: %s window %v csat %v %v breach %v incentive %v %v; want %+v", i, key, win, csat, tg["status"], br["status"], in["status"], in["amount"], w)
				}
			}
		})
	}
}

// TestHistorySelection: --period writes only the selected periods; the
// others still serve as history.
func TestHistorySelection(t *testing.T) {
	got := historyOutcomes(t, "cel", []string{"2026-10"}, 1)
	if len(got) != 3 {
		t.Fatalf("%d outcomes for 2026-10, want 3", len(got))
	}
	if got[0]["values"].(map[string]any)["csat"].(float64) != 0.9 {
		t.Errorf("A 2026-10 did not use its history: %v", got[0]["values"])
	}
}

// TestHistoryDeterministic: the same bytes whatever the number of workers.
func TestHistoryDeterministic(t *testing.T) {
	a, _ := json.Marshal(historyOutcomes(t, "cel", nil, 1))
	b, _ := json.Marshal(historyOutcomes(t, "cel", nil, 8))
	if !bytes.Equal(a, b) {
		t.Errorf("outcomes differ between 1 and 8 workers")
	}
}

// TestHistoryStreakAndPrev: a streak of met months pays, prev.* reads the
// month just before, and a gap ends a streak.
func TestHistoryStreakAndPrev(t *testing.T) {
	src := `
policy "s" {
  version  = "1"
  currency = "EUR"
  history  = 2
}
metric "x" { better = "higher" }
target "x" {
  metric = "x"
  goal   = 1
}
incentive "streak" {
  gate "two" { when = "streak.target.x.met >= 2 && prev.target.x.met" }
  amount = "10 + prev.x"
}
`
	p, diags := LoadSources("s.hcl", []dsl.Source{{Name: "s.hcl", Bytes: []byte(src)}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	in := writeFile(t, "s.csv", "subject,period,x\nA,2026-03,2\nA,2026-01,1\nA,2026-02,1\nB,2026-01,1\nB,2026-03,1\n")
	var buf bytes.Buffer
	if _, err := p.Eval(Input{Name: in}, Output{W: &buf}, EvalOptions{Format: OutNDJSON}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var o struct {
			Subject, Period string
			Incentives      map[string]struct{ Status, Amount string }
		}
		json.Unmarshal([]byte(line), &o)
		got = append(got, o.Subject+" "+o.Period+" "+o.Incentives["streak"].Status+" "+o.Incentives["streak"].Amount)
	}
	// The first month has no previous one, so prev.* has no value: no_data.
	want := []string{"A 2026-03 earned 11.00", "A 2026-01 no_data ", "A 2026-02 earned 11.00", "B 2026-01 no_data ", "B 2026-03 no_data "}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestHistoryValidation: history names need history, keep to their
// stages, and window.*.d inside d is a cycle.
func TestHistoryValidation(t *testing.T) {
	cases := map[string]struct{ src, want string }{
		"without history": {`
policy "v" {
  version = "1"
}
metric "x" { better = "higher" }
metric "y" {
  better = "higher"
  expr   = "prev.x"
}
`, "has no history"},
		"earlier stage": {`
policy "v" {
  version = "1"
  history = 2
}
metric "x" { better = "higher" }
metric "y" {
  better = "higher"
  expr   = "streak.target.t.met"
}
target "t" {
  metric = "x"
  goal   = 1
}
`, "computed after"},
		"window cycle": {`
policy "v" {
  version = "1"
  history = 2
}
metric "x" { better = "higher" }
metric "y" {
  better = "higher"
  expr   = "window.sum.y + x"
}
`, "cycle"},
		"history range": {`
policy "v" {
  version = "1"
  history = 25
}
`, "0 to 24"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, diags := LoadSources("v.hcl", []dsl.Source{{Name: "v.hcl", Bytes: []byte(c.src)}})
			if !diags.HasErrors() || !strings.Contains(diags.Error(), c.want) {
				t.Errorf("diagnostics %v; want an error mentioning %q", diags, c.want)
			}
		})
	}
}

// TestExplainHistory: explain without a period shows the latest, lists
// the others, and ends with the window, gaps as gaps.
func TestExplainHistory(t *testing.T) {
	p := loadHistoryPolicy(t, "cel")
	in := writeFile(t, "h.csv", historyInput)
	var buf bytes.Buffer
	if _, err := p.Explain(Input{Name: in}, "A", "", &buf, StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"A, period 2026-10", "History (the window of 3 earlier period(s))", "2026-07  (no snapshot)", "2026-08 (history only)", "0.9 met", "the input also has 2026-09"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
}

// TestMinTeam: below min_team, team.* has no value, so the rule is
// no_data with the reason, not a payout.
func TestMinTeam(t *testing.T) {
	src := `
policy "m" {
  version  = "1"
  currency = "EUR"
  min_team = 3
}
metric "csat" { better = "higher" }
target "vs_team" {
  value  = "csat / team.avg.csat"
  better = "higher"
  goal   = 1
}
incentive "kicker" {
  gate "above" { when = "target.vs_team.met" }
  amount = 10
}
`
	p, diags := LoadSources("m.hcl", []dsl.Source{{Name: "m.hcl", Bytes: []byte(src)}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	in := writeFile(t, "m.csv", "subject,period,team,csat\nA,2026-10,small,0.9\nB,2026-10,big,0.9\nC,2026-10,big,0.8\nD,2026-10,big,0.7\n")
	var buf bytes.Buffer
	if _, err := p.Eval(Input{Name: in}, Output{W: &buf}, EvalOptions{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if !strings.Contains(lines[0], `"kicker":{"status":"no_data"`) || !strings.Contains(lines[0], "min_team") {
		t.Errorf("a team of one was compared with itself:\n%s", lines[0])
	}
	if !strings.Contains(lines[1], `"kicker":{"status":"earned"`) {
		t.Errorf("a team of three: %s", lines[1])
	}
}

// TestLeftOutTeams: rows rejected under --skip-invalid are named by team
// and period when the policy uses team figures.
func TestLeftOutTeams(t *testing.T) {
	p := mustLoad(t, "../policies/voice-agents")
	in := writeFile(t, "a.csv", "subject,period,team,tenure_days,base_pay,handled,aht\nA,2026-10,west,400,3000,300,x\nB,2026-10,west,400,3000,300,280\n")
	res, err := p.Eval(Input{Name: in}, Output{W: &bytes.Buffer{}}, EvalOptions{StreamOptions: StreamOptions{SkipInvalid: filepath.Join(t.TempDir(), "r.csv")}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.LeftOut, ";") != "team west in 2026-10" {
		t.Errorf("left out: %v", res.LeftOut)
	}
}

// TestHistorySubjectAloneOrTogether: each subject's outcomes are the same
// whether it is evaluated in a file of many subjects (its snapshots then
// decoded into ones an earlier subject used, on one worker or several:
// more subjects than are read ahead) or in a file of its own. Subjects
// have one to six months, shuffled, some without surveys: a value left
// over from another subject changes its window's sums.
func TestHistorySubjectAloneOrTogether(t *testing.T) {
	p := loadHistoryPolicy(t, "cel")
	r := rand.New(rand.NewPCG(7, 8))
	months := []string{"2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"}
	rows := map[string][]string{}
	var all []string
	for i := range 400 {
		subject := fmt.Sprintf("S%03d", i)
		for _, m := range months {
			if r.IntN(3) == 0 {
				continue
			}
			surveys, satisfied := fmt.Sprint(5+r.IntN(10)), fmt.Sprint(r.IntN(5))
			if r.IntN(4) == 0 {
				surveys, satisfied = "", ""
			}
			row := fmt.Sprintf("%s,%s,%s,%s,%d", subject, m, surveys, satisfied, 1000+r.IntN(500))
			rows[subject] = append(rows[subject], row)
			all = append(all, row)
		}
	}
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	const header = "subject,period,surveys,satisfied,pay\n"
	outcomes := func(text string, workers int) map[string]string {
		t.Helper()
		var buf bytes.Buffer
		in := writeFile(t, "h.csv", header+text)
		res, err := p.Eval(Input{Name: in}, Output{W: &buf}, EvalOptions{Format: OutNDJSON, StreamOptions: StreamOptions{Workers: workers}})
		if err != nil || res.Failed() {
			t.Fatalf("eval: %v %+v", err, res)
		}
		out := map[string]string{}
		for _, line := range strings.Split(buf.String(), "\n") {
			if line == "" {
				continue // the end, or a subject with history only
			}
			var o struct{ Subject, Period string }
			if err := json.Unmarshal([]byte(line), &o); err != nil {
				t.Fatal(err)
			}
			out[o.Subject+" "+o.Period] = line
		}
		return out
	}
	alone := map[string]string{}
	for _, subject := range slices.Sorted(maps.Keys(rows)) {
		maps.Copy(alone, outcomes(strings.Join(rows[subject], "\n")+"\n", 1))
	}
	for _, workers := range []int{1, 4} {
		together := outcomes(strings.Join(all, "\n")+"\n", workers)
		if len(together) != len(alone) || len(alone) < 400 {
			t.Fatalf("%d workers: %d outcomes together, %d alone", workers, len(together), len(alone))
		}
		for k, want := range alone {
			if together[k] != want {
				t.Fatalf("%d workers: %s together:\n%s\nalone:\n%s", workers, k, together[k], want)
			}
		}
	}
}

// TestHistoryTeamAverages: with history and team statistics, each
// snapshot is derived with its window in a first pass (its snapshots
// decoded into ones an earlier subject used: more subjects than are read
// ahead); the team averages it adds are those of the input, on one worker
// or several.
func TestHistoryTeamAverages(t *testing.T) {
	src := `
policy "ht" {
  version        = "1"
  currency       = "EUR"
  history        = 2
  effective_from = "2026-09-01"
}
metric "surveys" { better = "higher" }
target "vs_team" {
  value  = "surveys / team.avg.surveys"
  better = "higher"
  goal   = 1
}
`
	p, diags := LoadSources("ht.hcl", []dsl.Source{{Name: "ht.hcl", Bytes: []byte(src)}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	r := rand.New(rand.NewPCG(9, 10))
	sum, n := map[string]float64{}, map[string]int{}
	var rows []string
	for i := range 400 {
		team := fmt.Sprintf("T%d", i%3)
		for _, m := range []string{"2026-07", "2026-08", "2026-09", "2026-10"} {
			if r.IntN(4) == 0 {
				continue
			}
			surveys := ""
			if r.IntN(4) > 0 {
				v := 1 + r.IntN(20)
				surveys = fmt.Sprint(v)
				sum[team+" "+m] += float64(v)
				n[team+" "+m]++
			}
			rows = append(rows, fmt.Sprintf("S%03d,%s,%s,%s", i, m, team, surveys))
		}
	}
	r.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	in := writeFile(t, "ht.csv", "subject,period,team,surveys\n"+strings.Join(rows, "\n")+"\n")
	for _, workers := range []int{1, 4} {
		var buf bytes.Buffer
		res, err := p.Eval(Input{Name: in}, Output{W: &buf}, EvalOptions{Format: OutNDJSON, StreamOptions: StreamOptions{Workers: workers}})
		if err != nil || res.Failed() {
			t.Fatalf("eval: %v %+v", err, res)
		}
		checked := 0
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var o struct {
				Period, Team string
				Values       map[string]*float64
				Targets      map[string]struct{ Value *float64 }
			}
			if err := json.Unmarshal([]byte(line), &o); err != nil {
				t.Fatal(err)
			}
			surveys := o.Values["surveys"]
			if surveys == nil {
				continue
			}
			k := o.Team + " " + o.Period
			want := *surveys / (sum[k] / float64(n[k]))
			if got := o.Targets["vs_team"].Value; got == nil || math.Abs(*got-want) > 1e-12 {
				t.Fatalf("%d workers: %s: vs_team %v, want %v", workers, line, got, want)
			}
			checked++
		}
		if checked < 300 {
			t.Fatalf("%d workers: %d outcomes checked", workers, checked)
		}
	}
}

// TestHistoryFailureEndsTheRun: a panic while evaluating a subject (a bug)
// or a write that fails ends a run with history in an error, not a hang,
// whether the outcomes go out in key order (written as subjects finish)
// or in input order (sorted first).
func TestHistoryFailureEndsTheRun(t *testing.T) {
	p := loadHistoryPolicy(t, "cel")
	var b strings.Builder
	b.WriteString("subject,period,surveys,satisfied,pay\n")
	for i := range 300 {
		for _, m := range []string{"2026-09", "2026-10"} {
			fmt.Fprintf(&b, "S%03d,%s,10,8,1000\n", i, m)
		}
	}
	in := writeFile(t, "h.csv", b.String())
	for _, keyOrder := range []bool{false, true} {
		for _, failure := range []string{"panic", "write"} {
			t.Run(fmt.Sprintf("%s, key order %v", failure, keyOrder), func(t *testing.T) {
				var encoded atomic.Int64
				encode := func(o *evaluator.Outcome, buf []byte) []byte {
					if encoded.Add(1) == 100 && failure == "panic" {
						panic("boom")
					}
					return append(buf, "x\n"...)
				}
				write := func(b []byte) error {
					if failure == "write" {
						return errors.New("disk full")
					}
					return nil
				}
				done := make(chan error, 1)
				go func() {
					_, err := p.Stream(Input{Name: in}, StreamOptions{Workers: 4, InKeyOrder: keyOrder}, encode, write)
					done <- err
				}()
				select {
				case err := <-done:
					want := map[string]string{"panic": "internal error while evaluating history: boom", "write": "disk full"}[failure]
					if err == nil || !strings.Contains(err.Error(), want) {
						t.Fatalf("error %v, want one saying %q", err, want)
					}
				case <-time.After(30 * time.Second):
					t.Fatal("the run hangs")
				}
			})
		}
	}
}

// TestHistoryBadRows: a policy with history reads its rows on every
// worker, and bad rows and duplicates are reported, or rejected with
// --skip-invalid, exactly as on one: the same errors, the same rejects
// file, the same outcomes.
func TestHistoryBadRows(t *testing.T) {
	p := loadHistoryPolicy(t, "cel")
	var b strings.Builder
	b.WriteString("subject,period,surveys,satisfied,pay\n")
	for i := range 2000 {
		switch i % 250 {
		case 17:
			fmt.Fprintf(&b, "S%04d,2026-10,x,1,1000\n", i) // not a number
		case 99:
			fmt.Fprintf(&b, "S%04d,2026-13,10,8,1000\n", i) // not a month
		case 200:
			fmt.Fprintf(&b, "S%04d,2026-10,10,8\n", i) // a field short
		case 201:
			fmt.Fprintf(&b, "S%04d,2026-10,10,8,1000\n", i-2) // a duplicate of a good row
		default:
			fmt.Fprintf(&b, "S%04d,2026-10,10,%d,1000\n", i, i%11)
		}
	}
	in := writeFile(t, "h.csv", b.String())
	type run struct{ out, rejects, errs string }
	runs := map[int]run{}
	for _, workers := range []int{1, 4} {
		var r run
		var out bytes.Buffer
		res, err := p.Eval(Input{Name: in}, Output{W: &out}, EvalOptions{Format: OutCSV, StreamOptions: StreamOptions{Workers: workers, MaxErrors: 1000}})
		if err != nil || !res.Failed() {
			t.Fatalf("%d workers: bad rows did not fail the run: %v", workers, err)
		}
		for _, e := range res.Errors {
			r.errs += e.Error() + "\n"
		}
		rejects := filepath.Join(t.TempDir(), "rejects.csv")
		res, err = p.Eval(Input{Name: in}, Output{W: &out}, EvalOptions{Format: OutCSV, StreamOptions: StreamOptions{Workers: workers, SkipInvalid: rejects}})
		if err != nil || res.Failed() || res.Rejected != 32 {
			t.Fatalf("%d workers, --skip-invalid: %v, rejected %d, want 32", workers, err, res.Rejected)
		}
		rb, err := os.ReadFile(rejects)
		if err != nil {
			t.Fatal(err)
		}
		r.out, r.rejects = out.String(), string(rb)
		runs[workers] = r
	}
	if strings.Count(runs[1].errs, "\n") != 32 {
		t.Errorf("%d errors, want 32:\n%s", strings.Count(runs[1].errs, "\n"), runs[1].errs)
	}
	if runs[1] != runs[4] {
		t.Errorf("one worker and four differ:\nerrors\n%s\n%s\nrejects\n%s\n%s", runs[1].errs, runs[4].errs, runs[1].rejects, runs[4].rejects)
	}
}

// loadHistoryPolicy is historyPolicy with its expressions in lang.
func loadHistoryPolicy(t *testing.T, lang string) *Policy {
	t.Helper()
	src := strings.Replace(historyPolicy, "LANG", lang, 1)
	p, diags := LoadSources("hist.hcl", []dsl.Source{{Name: "hist.hcl", Bytes: []byte(src)}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

const unknownPolicy = `
policy "u" {
  version  = "1"
  currency = "EUR"
  language = "LANG"
  history  = 2
}
metric "x" { better = "higher" }
target "x" {
  metric = "x"
  goal   = 1
}
breach "coach" {
  when = "streak.target.x.missed >= 2"
}
incentive "streak" {
  gate "two" { when = "streak.target.x.met >= 2" }
  amount = "10"
}
incentive "window" {
  gate "any" { when = "window.target.x.met >= 2" }
  amount = "5"
}
incentive "missed_last" {
  gate "missed" { when = "prev.target.x.status in ['missed', 'breached']" }
  amount = "3"
}
incentive "not_met_last" {
  gate "not_met" { when = "!prev.target.x.met" }
  amount = "2"
}
incentive "exists" {
  gate "prev" { when = "prev.exists" }
  amount = "1"
}
incentive "prev_x" { amount = "prev.x" }
incentive "window_sum" { amount = "window.sum.x" }
`

// unknownInput: A's February is no_data (an empty cell), B's February is
// rejected (a bad cell), C's February is a gap, D missed twice, E missed
// after a no_data month.
const unknownInput = `subject,period,x
A,2026-01,1
A,2026-02,
A,2026-03,1
B,2026-01,1
B,2026-02,abc
B,2026-03,1
C,2026-01,1
C,2026-03,1
D,2026-02,0
D,2026-03,0
E,2026-02,
E,2026-03,0
`

// TestUnknownIsNotMissed: SPEC §10 revised. A no_data or rejected month
// in a window leaves the counts and prev.* that reach it without a result
// (the line needs review, never a silent 0 or false), prev.target.*.status
// says "no_data" or "gap", prev.exists tells a gap from a month that was
// there; and the why names the month and its reason. Both languages, one
// worker and two.
func TestUnknownIsNotMissed(t *testing.T) {
	type want struct{ status, amount string }
	wants := map[string]map[string]want{
		// A: 2026-02 no_data. Met in January and March, unknown between.
		"A": {"streak": {"no_data", ""}, "window": {"no_data", ""}, "missed_last": {"ineligible", "0.00"},
			"not_met_last": {"no_data", ""}, "exists": {"earned", "1.00"}, "prev_x": {"no_data", ""}, "window_sum": {"earned", "2.00"}},
		// B: 2026-02 rejected: unknown for every name.
		"B": {"streak": {"no_data", ""}, "window": {"no_data", ""}, "missed_last": {"ineligible", "0.00"},
			"not_met_last": {"no_data", ""}, "exists": {"earned", "1.00"}, "prev_x": {"no_data", ""}, "window_sum": {"no_data", ""}},
		// C: 2026-02 a gap: not unknown, the streak ends there.
		"C": {"streak": {"ineligible", "0.00"}, "window": {"earned", "5.00"}, "missed_last": {"ineligible", "0.00"},
			"not_met_last": {"no_data", ""}, "exists": {"ineligible", "0.00"}, "prev_x": {"no_data", ""}, "window_sum": {"earned", "2.00"}},
		"D": {"streak": {"ineligible", "0.00"}, "window": {"ineligible", "0.00"}, "missed_last": {"earned", "3.00"},
			"not_met_last": {"earned", "2.00"}, "exists": {"earned", "1.00"}, "prev_x": {"not_earned", "0.00"}, "window_sum": {"not_earned", "0.00"}},
	}
	coach := map[string]string{"A": "clear", "B": "clear", "C": "clear", "D": "breached", "E": "no_data"}
	for _, lang := range []string{"cel", "expr"} {
		for _, workers := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/%d", lang, workers), func(t *testing.T) {
				src := strings.Replace(unknownPolicy, "LANG", lang, 1)
				p, diags := LoadSources("u.hcl", []dsl.Source{{Name: "u.hcl", Bytes: []byte(src)}})
				if diags.HasErrors() {
					t.Fatal(diags)
				}
				in := writeFile(t, "u.csv", unknownInput)
				var buf bytes.Buffer
				res, err := p.Eval(Input{Name: in, Periods: []string{"2026-03"}}, Output{W: &buf},
					EvalOptions{Format: OutNDJSON, StreamOptions: StreamOptions{Workers: workers, SkipInvalid: filepath.Join(t.TempDir(), "rej.csv")}})
				if err != nil || res.Failed() {
					t.Fatal(err, res)
				}
				if res.Rejected != 1 || strings.Join(res.HistoryLeftOut, ";") != "B in 2026-02" {
					t.Errorf("rejected %d, history left out %q; want 1, B in 2026-02", res.Rejected, res.HistoryLeftOut)
				}
				seen := 0
				for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
					var o struct {
						Subject    string
						Breaches   map[string]struct{ Status, Why string }
						Incentives map[string]struct {
							Status string
							Amount *string
							Why    string
						}
					}
					if err := json.Unmarshal([]byte(line), &o); err != nil {
						t.Fatal(err)
					}
					seen++
					if got := o.Breaches["coach"].Status; got != coach[o.Subject] {
						t.Errorf("%s coach: %s, want %s (%s)", o.Subject, got, coach[o.Subject], o.Breaches["coach"].Why)
					}
					for name, w := range wants[o.Subject] {
						in := o.Incentives[name]
						amount := ""
						if in.Amount != nil {
							amount = *in.Amount
						}
						if in.Status != w.status || amount != w.amount {
							t.Errorf("%s %s: %s %q, want %s %q (%s)", o.Subject, name, in.Status, amount, w.status, w.amount, in.Why)
						}
					}
					switch o.Subject {
					case "A":
						if why := o.Incentives["streak"].Why; !strings.Contains(why, "x was no_data in 2026-02: ") {
							t.Errorf("A streak why does not name the unknown month: %s", why)
						}
					case "B":
						if why := o.Incentives["window"].Why; !strings.Contains(why, "the snapshot of 2026-02 was rejected as bad input") {
							t.Errorf("B window why does not name the rejected month: %s", why)
						}
					case "E":
						if why := o.Breaches["coach"].Why; !strings.Contains(why, "x was no_data in 2026-02") {
							t.Errorf("E coach why: %s", why)
						}
					}
				}
				if seen != 5 {
					t.Errorf("%d outcomes, want 5", seen)
				}
			})
		}
	}
}

// TestThinHistory: SPEC §10, Thin history. Paying a month from its own
// file alone, or evaluating an input whose first periods look back before
// it, says how far the windows reach and how many written snapshots are
// affected; an input holding earlier periods says nothing.
func TestThinHistory(t *testing.T) {
	src := strings.Replace(unknownPolicy, "LANG", "cel", 1)
	p, diags := LoadSources("u.hcl", []dsl.Source{{Name: "u.hcl", Bytes: []byte(src)}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	march := "subject,period,x\nA,2026-03,1\nB,2026-03,0\n"
	cases := []struct {
		name, input string
		periods     []string
		want        string
	}{
		{"the month alone", march, nil, "history = 2 looks back to 2026-01, the input starts at 2026-03: 2 written snapshot(s) have windows that reach before the input"},
		{"the month alone, selected", march, []string{"2026-03"}, "history = 2 looks back to 2026-01, the input starts at 2026-03: 2 written snapshot(s)"},
		{"every month", unknownInput, nil, "history = 2 looks back to 2025-11, the input starts at 2026-01: 6 written snapshot(s)"},
		{"earlier months given", unknownInput, []string{"2026-03"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := writeFile(t, "u.csv", c.input)
			res, err := p.Eval(Input{Name: in, Periods: c.periods}, Output{W: io.Discard},
				EvalOptions{Format: OutNDJSON, StreamOptions: StreamOptions{SkipInvalid: filepath.Join(t.TempDir(), "rej.csv")}})
			if err != nil || res.Failed() {
				t.Fatal(err, res)
			}
			if (c.want == "") != (res.ThinHistory == "") || !strings.HasPrefix(res.ThinHistory, c.want) {
				t.Errorf("thin history %q, want %q", res.ThinHistory, c.want)
			}
		})
	}
}
