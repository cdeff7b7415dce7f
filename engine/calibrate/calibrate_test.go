package calibrate_test

import (
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/calibrate"
	"github.com/rubric-dev/rubric/engine/diff"
	"github.com/rubric-dev/rubric/engine/internal/testkit"
)

// TestPercentile: the linear-interpolation definition, by hand.
func TestPercentile(t *testing.T) {
	xs := []float64{10, 20, 30, 40}
	for p, want := range map[float64]float64{0: 10, 100: 40, 50: 25, 25: 17.5, 90: 37, 10: 13} {
		if got := calibrate.Percentile(xs, p); math.Abs(got-want) > 1e-12 {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if got := calibrate.Percentile([]float64{7}, 30); got != 7 {
		t.Errorf("one value: %v", got)
	}
}

const policy = `
policy "c" {
  version  = "1"
  currency = "EUR"
}
metric "sales" { better = "higher" }
metric "aht" { better = "lower" }
attribute "pay" { type = "money" }
target "sales" {
  metric    = "sales"
  goal      = 100 # a comment that must survive --apply
  threshold = 10
}
target "aht" {
  metric = "aht"
  goal   = 100
}
target "never" {
  metric = "sales"
  goal   = 1000
}
scorecard "s" {
  weights = { sales = 50, aht = 50 }
  band "good" { min = 1 }
}
incentive "bonus" {
  gate "met" { when = "target.sales.met" }
  amount = "pay * 0.1"
}
`

func load(t *testing.T, src string) *engine.Policy {
	t.Helper()
	return testkit.LoadSource(t, "c.hcl", src)
}

func input(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("subject,period,team,sales,aht,pay\n")
	for i := 0; i < 10; i++ {
		team := "a"
		if i >= 5 {
			team = "b"
		}
		b.WriteString(strings.Join([]string{"S" + string(rune('0'+i)), "2026-10", team, itoa(50 + 10*i), itoa(60 + 10*i), "1000"}, ",") + "\n")
	}
	path := filepath.Join(t.TempDir(), "in.csv")
	os.WriteFile(path, []byte(b.String()), 0o644)
	return path
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

func TestCalibrate(t *testing.T) {
	p := load(t, policy)
	in := engine.Input{Name: input(t)}
	rep, res, err := calibrate.Run(p, in, calibrate.Options{})
	if err != nil || res.Failed() {
		t.Fatal(err, res)
	}
	// sales: 50..140; goal 100 met by 100..140 = 5 of 10.
	s := rep.Targets["sales"]
	if s.Evaluable != 10 || *s.MetShare != 0.5 || *s.Verdict != calibrate.OK {
		t.Errorf("sales: evaluable %d share %v verdict %v", s.Evaluable, *s.MetShare, *s.Verdict)
	}
	// higher is better: the goal 70% reach is percentile 30 of 50..140.
	vals := []float64{50, 60, 70, 80, 90, 100, 110, 120, 130, 140}
	sort.Float64s(vals)
	if want := calibrate.Percentile(vals, 30); *s.SuggestedGoal != want || want != 77 {
		t.Errorf("sales suggested %v, want %v", *s.SuggestedGoal, want)
	}
	// lower is better: percentile 70 of aht 60..150.
	if a := rep.Targets["aht"]; *a.SuggestedGoal != 123 {
		t.Errorf("aht suggested %v, want 123", *a.SuggestedGoal)
	}
	if v := *rep.Targets["never"].Verdict; v != calibrate.Unachievable {
		t.Errorf("never: %s", v)
	}
	if tb := rep.Targets["sales"].ByTeam["b"]; tb.Evaluable != 5 || *tb.MetShare != 1 {
		t.Errorf("team b: %+v", tb)
	}
	if ic := rep.Incentives["bonus"]; ic.Total != "500.00" || ic.Statuses["earned"] != 5 {
		t.Errorf("bonus: %+v", ic)
	}
	if got := rep.Failing(calibrate.Unachievable, calibrate.TooEasy); len(got) != 1 || !strings.HasPrefix(got[0], "never") {
		t.Errorf("failing: %v", got)
	}
}

// TestApplyAgreesWithDiff: the policy --apply writes validates, keeps its
// comments, and rubric diff of it gives the totals the report priced.
func TestApplyAgreesWithDiff(t *testing.T) {
	p := load(t, policy)
	in := engine.Input{Name: input(t)}
	rep, _, err := calibrate.Run(p, in, calibrate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := calibrate.Price(p, in, calibrate.Options{}, rep)
	if err != nil {
		t.Fatal(err)
	}
	text := string(srcs[0].Bytes)
	if !strings.Contains(text, "goal      = 77 # a comment that must survive --apply") {
		t.Errorf("applied policy:\n%s", text)
	}
	if !strings.Contains(text, "goal   = 77") { // never: nobody met 1000; 70% meet 77
		t.Errorf("never was not changed:\n%s", text)
	}
	dir := t.TempDir()
	if err := calibrate.WriteDir(dir, srcs); err != nil {
		t.Fatal(err)
	}
	np, diags, err := engine.Load(dir)
	if err != nil || diags.HasErrors() {
		t.Fatal(err, diags)
	}
	d, _, err := diff.Compare(p, np, in, diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := rep.WhatIf.Incentives["bonus"]
	if d.Incentives[0].New != got.After || d.Incentives[0].Old != got.Before || got.After != "700.00" {
		t.Errorf("diff says %s → %s; the report %s → %s", d.Incentives[0].Old, d.Incentives[0].New, got.Before, got.After)
	}
}

// TestSuggestionKeepsBoundsOrdered: a suggestion below the threshold is
// listed and left as it was.
func TestSuggestionKeepsBoundsOrdered(t *testing.T) {
	p := load(t, strings.Replace(policy, "threshold = 10", "threshold = 90", 1))
	rep, _, err := calibrate.Run(p, engine.Input{Name: input(t)}, calibrate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	applied, skipped := rep.Suggestions()
	for _, a := range applied {
		if a.Target == "sales" {
			t.Errorf("sales goal 77 below its threshold 90 was applied")
		}
	}
	found := false
	for _, s := range skipped {
		found = found || (s.Target == "sales" && strings.Contains(s.Reason, "threshold"))
	}
	if !found {
		t.Errorf("sales not listed as skipped: %+v", skipped)
	}
}

// TestTeamLimit: --teams N keeps the N teams furthest from the aim (team
// a met 0% of sales, b 100%: a is 70 points from the aim of 70%, b 30)
// and says how many it left out; 0 shows every team.
func TestTeamLimit(t *testing.T) {
	p := load(t, policy)
	rep, _, err := calibrate.Run(p, engine.Input{Name: input(t)}, calibrate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var all, one strings.Builder
	rep.WriteText(&all)
	rep.TeamLimit = 1
	rep.WriteText(&one)
	if !strings.Contains(all.String(), "team a:") || !strings.Contains(all.String(), "team b:") || strings.Contains(all.String(), "more team(s)") {
		t.Errorf("every team:\n%s", all.String())
	}
	sales := func(s string) string { // the sales target's lines
		s = s[strings.Index(s, "sales:"):]
		return s[:strings.Index(s, "aht:")]
	}
	if o := sales(one.String()); !strings.Contains(o, "team a:") || strings.Contains(o, "team b:") || !strings.Contains(o, "… and 1 more team(s)") {
		t.Errorf("--teams 1:\n%s", o)
	}
	var md strings.Builder
	rep.WriteMarkdown(&md)
	m := md.String()
	m = m[strings.Index(m, "**sales by team**"):]
	m = m[:strings.Index(m, "**aht by team**")]
	if !strings.Contains(m, "| a |") || strings.Contains(m, "| b |") || !strings.Contains(m, "1 more team(s)") {
		t.Errorf("markdown --teams 1:\n%s", m)
	}
}
