package policytest

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/input"
	"github.com/rubric-dev/rubric/engine/internal/tally"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// CodeTest marks diagnostics about test files.
const CodeTest dsl.Code = "test"

// Options control Run.
type Options struct {
	Run *regexp.Regexp // only tests whose name matches; nil: all
}

// Report is the outcome of one policy's tests.
type Report struct {
	Path     string
	Policy   string
	Files    map[string][]byte // policy and test sources, for diagnostics
	Diags    hcl.Diagnostics   // policy or test files that are wrong
	Tests    []CaseResult
	Coverage *Coverage
}

// CaseResult is one test's result.
type CaseResult struct {
	Name     string
	File     string
	Line     int
	Failures []Failure
	Duration time.Duration // how long the test took (JUnit's time)
}

// Passed reports whether every expectation held.
func (r *CaseResult) Passed() bool { return len(r.Failures) == 0 }

// Failure is one expectation that did not hold, or bad test input.
type Failure struct {
	Rule     string `json:"rule"`     // "incentive monthly_bonus"
	Field    string `json:"field"`    // "amount"; "" for bad test input
	Expected string `json:"expected"` // the value as written, not quoted
	Got      string `json:"got"`
	Quoted   bool   `json:"-"` // a string value: quote it for people
	Why      string `json:"why,omitempty"`
	Line     int    `json:"line"`
}

func (f Failure) String() string {
	if f.Field == "" {
		return f.Rule + ": " + f.Got
	}
	if f.Quoted {
		return fmt.Sprintf("%s %s: expected %q, got %q", f.Rule, f.Field, f.Expected, f.Got)
	}
	return fmt.Sprintf("%s %s: expected %s, got %s", f.Rule, f.Field, f.Expected, f.Got)
}

// Counts returns passed and failed tests.
func (r *Report) Counts() (passed, failed int) {
	for i := range r.Tests {
		if r.Tests[i].Passed() {
			passed++
		} else {
			failed++
		}
	}
	return
}

// Run loads the policy at path and runs its *.test.hcl files.
func Run(path string, opts Options) (*Report, error) {
	srcs, err := dsl.ReadSources(path)
	if err != nil {
		return nil, err
	}
	tsrcs, err := dsl.ReadTestFiles(path)
	if err != nil {
		return nil, err
	}
	rep := &Report{Path: path, Files: dsl.SourceFiles(append(append([]dsl.Source(nil), srcs...), tsrcs...))}
	p, diags := engine.LoadSources(path, srcs)
	rep.Diags = append(rep.Diags, diags...)
	if p == nil {
		return rep, nil
	}
	rep.Policy = p.Rules().Name
	files, tdiags := dsl.ParseTests(tsrcs)
	rep.Diags = append(rep.Diags, tdiags...)
	if tdiags.HasErrors() {
		return rep, nil
	}
	r := &testRunner{pol: p, p: p.Rules(), ev: evaluator.New(p.Rules(), evaluator.Options{Explain: true}), cov: newCoverage(p.Rules())}
	for _, f := range files {
		for _, tc := range f.Tests {
			if opts.Run != nil && !opts.Run.MatchString(tc.Name) {
				continue
			}
			start := time.Now()
			res := r.run(f, tc)
			res.Duration = time.Since(start)
			rep.Tests = append(rep.Tests, res)
		}
	}
	rep.Diags = append(rep.Diags, r.diags...)
	dsl.SortDiagnostics(rep.Diags)
	rep.Coverage = r.cov
	return rep, nil
}

type testRunner struct {
	pol   *engine.Policy
	p     *rules.Policy
	ev    *evaluator.Evaluator
	cov   *Coverage
	diags hcl.Diagnostics
}

// defaultPeriod is the period label of the policy's kind containing its
// effective_from date, or 1 January 2026: tests without a period are
// deterministic.
func defaultPeriod(p *rules.Policy) string {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if p.EffectiveFrom != nil {
		t = *p.EffectiveFrom
	}
	switch p.Period {
	case rules.Day:
		return t.Format(time.DateOnly)
	case rules.Week:
		y, w := t.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w)
	case rules.Quarter:
		return fmt.Sprintf("%04d-Q%d", t.Year(), (int(t.Month())-1)/3+1)
	case rules.Year:
		return fmt.Sprintf("%04d", t.Year())
	}
	return t.Format("2006-01")
}

// testValues turns a test's map of values into the values of one snapshot,
// so they are checked exactly as input is.
func testValues(m *dsl.Value, subject, period, team string) []engine.Value {
	var vals []engine.Value
	has := map[string]bool{}
	for _, e := range m.Map {
		v := engine.Value{Name: e.Key, Line: e.Value.Range.Start.Line, Column: e.Value.Range.Start.Column}
		switch e.Value.Kind {
		case dsl.KindNumber:
			v.Kind, v.Text = engine.ValueNumber, e.Value.Num
		case dsl.KindString:
			v.Kind, v.Text = engine.ValueString, e.Value.Str
		case dsl.KindBool:
			v.Kind, v.Bool = engine.ValueBool, e.Value.Bool
		case dsl.KindInvalid:
			continue
		default:
			v.Kind = engine.ValueOther
		}
		has[e.Key] = true
		vals = append(vals, v)
	}
	for k, s := range map[string]string{"subject": subject, "period": period, "team": team} {
		if !has[k] && s != "" {
			vals = append(vals, engine.Value{Name: k, Kind: engine.ValueString, Text: s, Line: m.Range.Start.Line, Column: m.Range.Start.Column})
		}
	}
	sort.SliceStable(vals, func(i, j int) bool { return vals[i].Name < vals[j].Name })
	return vals
}

// rolledUp counts a test's interaction rows (rows = [...]) through the
// policy's rollup, as rubric rollup counts an export's: the values of
// its measures for the test's subject and period (none where no row
// counted) and the team of the latest row. A row without the subject
// column is the test's subject's. A bad row, or one of another subject
// or period, is the test's input failing, at its line.
func (r *testRunner) rolledUp(file string, rows *dsl.Value, subject, period string) (vals []engine.Value, team string, line int, msg string) {
	ru := r.p.Rollup
	if ru == nil {
		return nil, "", rows.Range.Start.Line, "rows are interaction rows, counted by a rollup block: the policy has none (give the measures in values)"
	}
	entries, line, msg := listOfMaps(rows, "rows must be a list of maps, each an interaction row", "each row must be a map of column headers to values")
	if msg != "" {
		return nil, "", line, msg
	}
	conv := input.NewRowConverter(r.p, file)
	counts := tally.New(ru, 0, 1)
	defer counts.Close()
	c := counts.Counter()
	var row input.Row
	for i, e := range entries {
		at := e.Range.Start
		var names []string
		var fields []input.Field
		hasSubject := false
		for _, kv := range e.Map {
			v, start := kv.Value, kv.Value.Range.Start
			var f input.Field
			switch v.Kind {
			case dsl.KindNumber:
				f = input.NewField(input.FieldNumber, v.Num, false, start.Line, start.Column)
			case dsl.KindString:
				f = input.NewField(input.FieldString, v.Str, false, start.Line, start.Column)
			case dsl.KindBool:
				f = input.NewField(input.FieldBool, strconv.FormatBool(v.Bool), v.Bool, start.Line, start.Column)
			case dsl.KindInvalid:
				continue // null: an empty cell
			default:
				return nil, "", start.Line, fmt.Sprintf("rows: %s must be a string, number or bool", kv.Key)
			}
			hasSubject = hasSubject || kv.Key == ru.Subject
			names, fields = append(names, kv.Key), append(fields, f)
		}
		if !hasSubject {
			names, fields = append(names, ru.Subject), append(fields, input.NewField(input.FieldString, subject, false, at.Line, at.Column))
		}
		if errs := conv.Convert(input.NewRecord(at.Line, names, fields), &row); len(errs) > 0 {
			return nil, "", errs[0].Line, "rows: " + errs[0].Msg
		}
		if row.Subject != subject || row.Period.Label != period {
			return nil, "", at.Line, fmt.Sprintf("rows: this row is of %s in %s; the test is of %s in %s", row.Subject, row.Period.Label, subject, period)
		}
		if err := c.Count(&row, int64(i)); err != nil {
			return nil, "", at.Line, "rows: " + err.Error()
		}
	}
	if w := conv.Warnings(); len(w) > 0 {
		return nil, "", rows.Range.Start.Line, "rows: " + strings.TrimPrefix(w[0], file+": ")
	}
	err := counts.Each(func(g tally.Group) error {
		if err := g.Err(); err != nil {
			return err
		}
		team, _ = g.Team()
		for i, m := range ru.Measures {
			if v := g.Value(i); v != "" {
				vals = append(vals, engine.Value{Name: m.Name, Kind: engine.ValueNumber, Text: v, Line: rows.Range.Start.Line, Column: rows.Range.Start.Column})
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", rows.Range.Start.Line, "rows: " + err.Error()
	}
	return vals, team, 0, ""
}

// mapEntry returns the value of key in the map m.
func mapEntry(m *dsl.Value, key string) (*dsl.Value, bool) {
	for _, e := range m.Map {
		if e.Key == key {
			return e.Value, true
		}
	}
	return nil, false
}

// listOfMaps returns the entries of a list of maps, or the line and message
// of what is not one (notList for the value, notMap for an entry).
func listOfMaps(v *dsl.Value, notList, notMap string) ([]*dsl.Value, int, string) {
	if v.Kind != dsl.KindList {
		return nil, v.Range.Start.Line, notList
	}
	for _, e := range v.List {
		if e.Kind != dsl.KindMap {
			return nil, e.Range.Start.Line, notMap
		}
	}
	return v.List, 0, ""
}

func (r *testRunner) str(v *dsl.Value, def string) string {
	if v == nil {
		return def
	}
	if v.Kind == dsl.KindNumber {
		return v.Num
	}
	if v.Kind != dsl.KindString {
		r.diags = append(r.diags, dsl.Errorf(CodeTest, v.Range, "expected a string"))
		return def
	}
	return v.Str
}

func (r *testRunner) run(f *dsl.TestFile, tc *dsl.TestCase) CaseResult {
	res := CaseResult{Name: tc.Name, File: f.Name, Line: tc.DefRange.Start.Line}
	failSetup := func(line int, msg string) CaseResult {
		res.Failures = append(res.Failures, Failure{Rule: "test input", Got: msg, Line: line})
		return res
	}
	subject := r.str(tc.Subject, "test")
	period := r.str(tc.Period, defaultPeriod(r.p))
	team := r.str(tc.Team, "")
	values := tc.Values
	if values == nil {
		values = &dsl.Value{Kind: dsl.KindMap, Range: tc.DefRange}
	}
	if values.Kind != dsl.KindMap {
		return failSetup(values.Range.Start.Line, "values must be a map of names to values")
	}
	vals := testValues(values, subject, period, team)
	if tc.Rows != nil {
		counted, rowTeam, line, msg := r.rolledUp(f.Name, tc.Rows, subject, period)
		if msg != "" {
			return failSetup(line, msg)
		}
		for _, v := range vals {
			if slices.ContainsFunc(counted, func(c engine.Value) bool { return c.Name == v.Name }) {
				return failSetup(v.Line, fmt.Sprintf("values: %s is counted from the rows; leave it out of values", v.Name))
			}
		}
		if team == "" && rowTeam != "" {
			vals = append(vals, engine.Value{Name: "team", Kind: engine.ValueString, Text: rowTeam, Line: tc.Rows.Range.Start.Line, Column: tc.Rows.Range.Start.Column})
		}
		vals = append(vals, counted...)
		sort.SliceStable(vals, func(i, j int) bool { return vals[i].Name < vals[j].Name })
	}
	conv := r.pol.NewChecker(f.Name)
	snap, errs := conv.Snapshot(values.Range.Start.Line, vals)
	if len(errs) > 0 {
		for _, e := range errs {
			res.Failures = append(res.Failures, Failure{Rule: "test input", Got: e.Error(), Line: e.Line})
		}
		return res
	}
	// The subject's earlier snapshots (history = [...]), oldest first. An
	// entry { period = "2026-09", rejected = true } is a month whose row
	// was rejected as bad input: unknown for every name (SPEC §10).
	var earlier []*evaluator.Snapshot
	var rejected []rules.Period
	if tc.History != nil {
		entries, line, msg := listOfMaps(tc.History, "history must be a list of maps, each with a period", "each history entry must be a map of names to values, with a period")
		if msg != "" {
			return failSetup(line, msg)
		}
		for _, hv := range entries {
			if rej, ok := mapEntry(hv, "rejected"); ok {
				if rej.Kind != dsl.KindBool {
					return failSetup(rej.Range.Start.Line, "history: rejected must be true or false")
				}
				if rej.Bool {
					per, ok := mapEntry(hv, "period")
					if !ok || per.Kind != dsl.KindString {
						return failSetup(hv.Range.Start.Line, "history: a rejected month needs its period")
					}
					p, err := rules.ParsePeriod(per.Str)
					if err != nil || p.Kind != r.p.Period {
						return failSetup(per.Range.Start.Line, fmt.Sprintf("history: period %q is not a %s", per.Str, r.p.Period))
					}
					rejected = append(rejected, p)
					continue
				}
			}
			hs, errs := conv.Snapshot(hv.Range.Start.Line, testValues(hv, subject, "", team))
			if len(errs) > 0 {
				return failSetup(errs[0].Line, "history: "+errs[0].Error())
			}
			earlier = append(earlier, hs)
		}
		sort.SliceStable(earlier, func(i, j int) bool { return earlier[i].Period.Index() < earlier[j].Period.Index() })
	}
	sort.Slice(rejected, func(i, j int) bool { return rejected[i].Index() < rejected[j].Index() })
	window := func(k int, s *evaluator.Snapshot) *evaluator.Window {
		w := &evaluator.Window{}
		for _, e := range earlier[:k] {
			if evaluator.InWindow(e, s, r.p.History) {
				w.Earlier = append(w.Earlier, e)
			}
		}
		for _, p := range rejected {
			if d := s.Period.Index() - p.Index(); d >= 1 && d <= r.p.History {
				w.Rejected = append(w.Rejected, p)
			}
		}
		return w
	}
	for k, e := range earlier {
		r.ev.DeriveWindow(e, window(k, e))
	}
	r.ev.DeriveWindow(snap, window(len(earlier), snap))
	var stats *evaluator.Stats
	if r.p.UsesTeam || r.p.UsesAll {
		stats = evaluator.NewStats(r.p)
		for _, e := range earlier {
			stats.Add(e)
		}
		stats.Add(snap)
		if tc.Peers != nil {
			peers, line, msg := listOfMaps(tc.Peers, "peers must be a list of maps", "each peer must be a map of names to values")
			if msg != "" {
				return failSetup(line, msg)
			}
			for i, pv := range peers {
				ps, errs := conv.Snapshot(pv.Range.Start.Line, testValues(pv, fmt.Sprintf("peer-%d", i+1), period, team))
				if len(errs) > 0 {
					return failSetup(errs[0].Line, "peer: "+errs[0].Error())
				}
				r.ev.Derive(ps)
				stats.Add(ps)
			}
		}
	}
	for k, e := range earlier {
		r.ev.EvaluateWindow(&evaluator.Outcome{}, e, stats, window(k, e))
	}
	o := r.ev.EvaluateWindow(&evaluator.Outcome{}, snap, stats, window(len(earlier), snap))
	r.cov.observe(o)
	for _, e := range tc.Expect {
		res.Failures = append(res.Failures, r.check(o, e)...)
	}
	return res
}

func numText(v evaluator.Value) string {
	if !v.Has() {
		return "no value"
	}
	return v.String()
}

// observed is what an outcome says about one rule: the fields an expect
// block can check (a number field is a Value, a text field a string) and
// the rule's why.
type observed struct {
	name string
	nums map[string]evaluator.Value
	strs map[string]string
	why  string
}

// observe lists the rules of one kind in an outcome with their fields.
func observe(o *evaluator.Outcome, kind string) []observed {
	var out []observed
	switch kind {
	case "target":
		for _, t := range o.Targets {
			out = append(out, observed{t.Target.Name, map[string]evaluator.Value{"value": t.Value, "attainment": t.Attainment},
				map[string]string{"status": t.Status.String()}, t.Why()})
		}
	case "score":
		for _, s := range o.Scores {
			band := "no value"
			if s.Band.Has() {
				band = s.Band.Str
			}
			out = append(out, observed{s.Scorecard.Name, map[string]evaluator.Value{"value": s.Value},
				map[string]string{"status": s.Status.String(), "band": band}, s.Why()})
		}
	case "breach":
		for _, b := range o.Breaches {
			out = append(out, observed{b.Breach.Name, nil, map[string]string{"status": b.Status.String()}, b.Why()})
		}
	case "incentive":
		for _, in := range o.Incentives {
			amount := "no amount"
			if in.Amount != nil {
				amount = in.Amount.Text('f')
			}
			out = append(out, observed{in.Incentive.Name, nil,
				map[string]string{"status": in.Status.String(), "amount": amount, "tier": in.Tier}, in.Why()})
		}
	}
	return out
}

// check compares one expect block with the outcome. Numbers match within
// 1e-6; everything else (statuses, bands, tiers, amounts) as exact strings.
func (r *testRunner) check(o *evaluator.Outcome, e *dsl.Expectation) []Failure {
	rule := e.Kind + " " + e.Name
	seen := observe(o, e.Kind)
	var got *observed
	names := make([]string, 0, len(seen))
	for i := range seen {
		names = append(names, seen[i].name)
		if seen[i].name == e.Name {
			got = &seen[i]
		}
	}
	if got == nil {
		d := dsl.Errorf(CodeTest, e.NameRange, "no %s named %q in policy %s", e.Kind, e.Name, r.p.Name)
		rules.DidYouMean(d, e.Name, names)
		r.diags = append(r.diags, d)
		return []Failure{{Rule: rule, Got: "no such " + e.Kind, Line: e.NameRange.Start.Line}}
	}
	var out []Failure
	fail := func(f *dsl.ExpectField, expected, gotText string, quoted bool) {
		out = append(out, Failure{Rule: rule, Field: f.Name, Expected: expected, Got: gotText, Quoted: quoted, Why: got.why, Line: f.Range.Start.Line})
	}
	for _, f := range e.Fields {
		if v, isNum := got.nums[f.Name]; isNum {
			if f.Value.Kind != dsl.KindNumber {
				r.diags = append(r.diags, dsl.Errorf(CodeTest, f.Range, "%s: %s must be a number", rule, f.Name))
				continue
			}
			want, err := strconv.ParseFloat(f.Value.Num, 64)
			if err != nil || math.IsInf(want, 0) {
				r.diags = append(r.diags, dsl.Errorf(CodeTest, f.Range, "%s: %s is not a number a float can hold: %s", rule, f.Name, f.Value.Num))
				continue
			}
			if !v.Has() || v.Kind != evaluator.Number || math.Abs(v.Num-want) > 1e-6 {
				fail(f, f.Value.Num, numText(v), false)
			}
			continue
		}
		if f.Value.Kind != dsl.KindString {
			r.diags = append(r.diags, dsl.Errorf(CodeTest, f.Range, "%s: %s must be a string", rule, f.Name))
			continue
		}
		if want, have := f.Value.Str, got.strs[f.Name]; want != have {
			fail(f, want, have, true)
		}
	}
	return out
}

// Coverage records which parts of a policy the tests exercised: every
// status a target can have, each band, each breach firing and staying
// clear, each gate failing, each tier and rate band reached, and each
// status an incentive can have.
type Coverage struct {
	items []string        // in policy order
	hit   map[string]bool // item → exercised
}

func newCoverage(p *rules.Policy) *Coverage {
	c := &Coverage{hit: map[string]bool{}}
	add := func(format string, args ...any) { c.items = append(c.items, fmt.Sprintf(format, args...)) }
	for _, t := range p.Targets {
		statuses := []string{"met", "missed", "no_data"}
		if t.Stretch.Set {
			statuses = append(statuses, "exceeded")
		}
		if t.Threshold.Set {
			statuses = append(statuses, "breached")
		}
		if t.When != nil {
			statuses = append(statuses, "not_applicable")
		}
		for _, s := range statuses {
			add("target %s: status %s", t.Name, s)
		}
	}
	for _, s := range p.Scorecards {
		for _, b := range s.Bands {
			add("scorecard %s: band %s", s.Name, b.Name)
		}
		if len(s.Bands) > 0 && s.Bands[len(s.Bands)-1].Min > 0 {
			add("scorecard %s: below every band", s.Name)
		}
	}
	for _, b := range p.Breaches {
		add("breach %s: breached", b.Name)
		add("breach %s: clear", b.Name)
	}
	for _, in := range p.Incentives {
		for _, g := range in.Gates {
			add("incentive %s: gate %s fails", in.Name, g.Name)
		}
		for _, t := range in.Tiers {
			add("incentive %s: tier %s", in.Name, t.Name)
		}
		for _, r := range in.Rates {
			add("incentive %s: rate %s", in.Name, r.Name)
		}
		statuses := []string{"earned", "not_earned", "no_data"}
		if len(in.Gates) > 0 {
			statuses = append(statuses, "ineligible")
		}
		for _, s := range statuses {
			add("incentive %s: status %s", in.Name, s)
		}
	}
	return c
}

func (c *Coverage) observe(o *evaluator.Outcome) {
	mark := func(format string, args ...any) { c.hit[fmt.Sprintf(format, args...)] = true }
	for _, t := range o.Targets {
		mark("target %s: status %s", t.Target.Name, t.Status)
	}
	for _, s := range o.Scores {
		if s.Status == evaluator.ScoreOK {
			if s.Band.Str == "" {
				mark("scorecard %s: below every band", s.Scorecard.Name)
			} else {
				mark("scorecard %s: band %s", s.Scorecard.Name, s.Band.Str)
			}
		}
	}
	for _, b := range o.Breaches {
		mark("breach %s: %s", b.Breach.Name, b.Status)
	}
	for _, in := range o.Incentives {
		name := in.Incentive.Name
		mark("incentive %s: status %s", name, in.Status)
		if in.Status == evaluator.Ineligible {
			mark("incentive %s: gate %s fails", name, in.Gate)
		}
		if in.Tier != "" {
			mark("incentive %s: tier %s", name, in.Tier)
		}
		for _, st := range in.Steps {
			if st.Step == "rate" && st.Name != "" {
				mark("incentive %s: rate %s", name, st.Name)
			}
		}
	}
}

// Percent is the share of items exercised (100 when there are none).
func (c *Coverage) Percent() float64 {
	if len(c.items) == 0 {
		return 100
	}
	return 100 * float64(c.Covered()) / float64(len(c.items))
}

// Covered counts the items exercised; Total all items.
func (c *Coverage) Covered() int {
	n := 0
	for _, it := range c.items {
		if c.hit[it] {
			n++
		}
	}
	return n
}

// Total is the number of coverage items.
func (c *Coverage) Total() int { return len(c.items) }

// Missed lists the items no test exercised, in policy order.
func (c *Coverage) Missed() []string {
	var out []string
	for _, it := range c.items {
		if !c.hit[it] {
			out = append(out, it)
		}
	}
	return out
}

// Hit reports whether an item was exercised.
func (c *Coverage) Hit(item string) bool { return c.hit[item] }
