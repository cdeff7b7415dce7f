package diff

import (
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/textenc"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/evaluator/money"
)

// Report is what a policy change does to the outcomes of the same
// snapshots.
type Report struct {
	OldPolicy  engine.PolicyRef `json:"old"`
	NewPolicy  engine.PolicyRef `json:"new"`
	Snapshots  int              `json:"snapshots"`
	OnlyOld    int              `json:"only_old"` // snapshots valid for OLD only
	OnlyNew    int              `json:"only_new"`
	Incentives []Incentive      `json:"incentives"`
	Subjects   SubjectCounts    `json:"subjects"`
	Statuses   []Transition     `json:"incentive_status_changes"`
	Bands      []Transition     `json:"band_changes"`
	Targets    []Transition     `json:"target_status_changes"`
	Largest    []Individual     `json:"largest_changes"`
}

// Incentive is the total payout of one incentive and currency before
// and after.
type Incentive struct {
	Incentive string   `json:"incentive"`
	Currency  string   `json:"currency"`
	Old       string   `json:"old"`
	New       string   `json:"new"`
	Delta     string   `json:"delta"`
	Percent   *float64 `json:"percent"` // nil when the old total is 0
	InOld     bool     `json:"in_old"`
	InNew     bool     `json:"in_new"`
}

// SubjectCounts says how many snapshots gain, lose or keep their total pay.
type SubjectCounts struct {
	Gain      int `json:"gain"`
	Lose      int `json:"lose"`
	Unchanged int `json:"unchanged"`
}

// Transition counts snapshots whose status (or band) went From → To for one
// rule.
type Transition struct {
	Rule  string `json:"rule"`
	From  string `json:"from"`
	To    string `json:"to"`
	Count int    `json:"count"`
}

// Individual is one snapshot's change of one incentive.
type Individual struct {
	Subject   string `json:"subject"`
	Period    string `json:"period"`
	Incentive string `json:"incentive"`
	Old       string `json:"old"` // "" when no amount
	New       string `json:"new"`
	Delta     string `json:"delta"`
	OldStatus string `json:"old_status"`
	NewStatus string `json:"new_status"`
	OldWhy    string `json:"old_why"`
	NewWhy    string `json:"new_why"`
	abs       *apd.Decimal
}

// Options control Diff.
type Options struct {
	Top         int // largest individual changes to keep; 0: 10
	SkipInvalid string
}

// summary is what a diff keeps of one outcome.
type summary struct {
	incentives map[string]incentiveSummary
	bands      map[string]string
	targets    map[string]string
	currency   string
}

type incentiveSummary struct {
	status string
	amount *apd.Decimal
	why    string
}

func summarize(o *evaluator.Outcome, currency string) summary {
	s := summary{incentives: map[string]incentiveSummary{}, bands: map[string]string{}, targets: map[string]string{}, currency: currency}
	for _, in := range o.Incentives {
		s.incentives[in.Incentive.Name] = incentiveSummary{status: in.Status.String(), amount: in.Amount, why: in.Why()}
	}
	for _, sc := range o.Scores {
		band := sc.Status.String()
		if sc.Status == evaluator.ScoreOK {
			band = sc.Band.Str
			if band == "" {
				band = "(below every band)"
			}
		}
		s.bands[sc.Scorecard.Name] = band
	}
	for _, t := range o.Targets {
		s.targets[t.Target.Name] = t.Status.String()
	}
	return s
}

// Compare evaluates both policies on the same input and compares the outcomes
// snapshot by snapshot (matched by subject and period). It keeps a summary
// of every snapshot of both runs in memory.
func Compare(oldP, newP *engine.Policy, in engine.Input, opts Options) (*Report, *engine.StreamResult, error) {
	if opts.Top <= 0 {
		opts.Top = 10
	}
	in, release, err := in.Rewindable()
	if err != nil {
		return nil, nil, err
	}
	defer release()
	olds, res, err := collect(oldP, in, opts)
	if err != nil || res.Failed() {
		return nil, res, err
	}
	news, res2, err := collect(newP, in, opts)
	if err != nil || res2.Failed() {
		return nil, res2, err
	}
	c := newComparison(oldP, newP)
	// Snapshots are compared in (subject, period) order, so the report
	// does not depend on map order.
	keys := make([]string, 0, len(olds))
	for k := range olds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if n, ok := news[k]; ok {
			c.snapshot(k, olds[k], n)
		} else {
			c.rep.OnlyOld++
		}
	}
	for k := range news {
		if _, ok := olds[k]; !ok {
			c.rep.OnlyNew++
		}
	}
	c.rep.Incentives = c.totals()
	c.rep.Statuses = transitions(c.statusT)
	c.rep.Bands = transitions(c.bandT)
	c.rep.Targets = transitions(c.targetT)
	c.rep.Largest = largest(c.changes, opts.Top)
	if c.err != nil {
		return nil, res2, c.err
	}
	return c.rep, res2, nil
}

// check keeps the first failed money operation.
func (c *comparison) check(err error) {
	if err != nil && c.err == nil {
		c.err = err
	}
}

// collect runs p over in and keeps a summary of each outcome, by subject
// and period.
func collect(p *engine.Policy, in engine.Input, opts Options) (map[string]summary, *engine.StreamResult, error) {
	var mu sync.Mutex
	out := map[string]summary{}
	res, err := p.Stream(in, engine.StreamOptions{Explain: true, SkipInvalid: opts.SkipInvalid}, func(o *evaluator.Outcome, buf []byte) []byte {
		k := o.Snapshot.Subject + "\x00" + o.Snapshot.Period.Label
		s := summarize(o, p.Rules().Currency)
		mu.Lock()
		out[k] = s
		mu.Unlock()
		return append(buf, k...)
	}, func(b []byte) error { return nil })
	return out, res, err
}

type totalKey struct{ incentive, currency string }

// comparison accumulates what the two runs' outcomes differ in.
type comparison struct {
	rep            *Report
	err            error // the first failed money operation
	oldTot, newTot map[totalKey]*apd.Decimal
	order          []totalKey // every (incentive, currency) with a total
	inOld, inNew   map[string]bool
	statusT, bandT map[[3]string]int
	targetT        map[[3]string]int
	changes        []Individual
}

// newComparison starts with a zero total for every incentive of either
// policy, so an incentive no snapshot pays is still listed.
func newComparison(oldP, newP *engine.Policy) *comparison {
	c := &comparison{
		rep:    &Report{OldPolicy: oldP.Ref(), NewPolicy: newP.Ref()},
		oldTot: map[totalKey]*apd.Decimal{}, newTot: map[totalKey]*apd.Decimal{},
		inOld: map[string]bool{}, inNew: map[string]bool{},
		statusT: map[[3]string]int{}, bandT: map[[3]string]int{}, targetT: map[[3]string]int{},
	}
	for _, in := range oldP.Rules().Incentives {
		c.inOld[in.Name] = true
		c.add(c.oldTot, totalKey{in.Name, oldP.Rules().Currency}, nil)
	}
	for _, in := range newP.Rules().Incentives {
		c.inNew[in.Name] = true
		c.add(c.newTot, totalKey{in.Name, newP.Rules().Currency}, nil)
	}
	return c
}

// add adds d (nil: nothing) to the total m[k].
func (c *comparison) add(m map[totalKey]*apd.Decimal, k totalKey, d *apd.Decimal) {
	if c.oldTot[k] == nil && c.newTot[k] == nil {
		c.order = append(c.order, k)
	}
	if m[k] == nil {
		m[k] = new(apd.Decimal)
	}
	if d != nil {
		c.check(money.Add(m[k], m[k], d))
	}
}

// snapshot compares one snapshot's outcomes: totals, who gains or loses,
// status, band and target transitions, and each incentive that changed.
func (c *comparison) snapshot(k string, o, n summary) {
	c.rep.Snapshots++
	subject, period, _ := strings.Cut(k, "\x00")
	oldSum, newSum := new(apd.Decimal), new(apd.Decimal)
	for name, oi := range o.incentives {
		c.add(c.oldTot, totalKey{name, o.currency}, oi.amount)
		if oi.amount != nil {
			c.check(money.Add(oldSum, oldSum, oi.amount))
		}
	}
	for name, ni := range n.incentives {
		c.add(c.newTot, totalKey{name, n.currency}, ni.amount)
		if ni.amount != nil {
			c.check(money.Add(newSum, newSum, ni.amount))
		}
	}
	switch oldSum.Cmp(newSum) {
	case -1:
		c.rep.Subjects.Gain++
	case 1:
		c.rep.Subjects.Lose++
	default:
		c.rep.Subjects.Unchanged++
	}
	names := map[string]bool{}
	for name := range o.incentives {
		names[name] = true
	}
	for name := range n.incentives {
		names[name] = true
	}
	for name := range names {
		oi, ni := o.incentives[name], n.incentives[name]
		os, ns := statusOr(oi.status, "absent"), statusOr(ni.status, "absent")
		if os != ns {
			c.statusT[[3]string{name, os, ns}]++
		}
		delta := new(apd.Decimal)
		c.check(money.Sub(delta, zeroIfNil(ni.amount), zeroIfNil(oi.amount)))
		if delta.IsZero() && os == ns {
			continue
		}
		abs := new(apd.Decimal)
		abs.Abs(delta)
		c.changes = append(c.changes, Individual{Subject: subject, Period: period, Incentive: name,
			Old: amountText(oi.amount), New: amountText(ni.amount), Delta: signed(delta),
			OldStatus: os, NewStatus: ns, OldWhy: oi.why, NewWhy: ni.why, abs: abs})
	}
	for name, ob := range o.bands {
		if nb, ok := n.bands[name]; ok && nb != ob {
			c.bandT[[3]string{name, ob, nb}]++
		}
	}
	for name, ot := range o.targets {
		if nt, ok := n.targets[name]; ok && nt != ot {
			c.targetT[[3]string{name, ot, nt}]++
		}
	}
}

// totals is each incentive's total before and after, by incentive and
// currency.
func (c *comparison) totals() []Incentive {
	sort.Slice(c.order, func(i, j int) bool {
		if c.order[i].incentive != c.order[j].incentive {
			return c.order[i].incentive < c.order[j].incentive
		}
		return c.order[i].currency < c.order[j].currency
	})
	var out []Incentive
	for _, k := range c.order {
		o, n := zeroIfNil(c.oldTot[k]), zeroIfNil(c.newTot[k])
		d := new(apd.Decimal)
		c.check(money.Sub(d, n, o))
		id := Incentive{Incentive: k.incentive, Currency: k.currency, Old: o.Text('f'), New: n.Text('f'), Delta: signed(d),
			InOld: c.inOld[k.incentive], InNew: c.inNew[k.incentive]}
		if !o.IsZero() {
			q := new(apd.Decimal)
			c.check(money.Ratio(q, d, o))
			f, _ := q.Float64()
			pct := math.Round(f*100*1e4) / 1e4
			id.Percent = &pct
		}
		out = append(out, id)
	}
	return out
}

// largest is the top individual changes: largest absolute change first,
// then by subject, period and incentive.
func largest(changes []Individual, top int) []Individual {
	sort.SliceStable(changes, func(i, j int) bool {
		if c := changes[i].abs.Cmp(changes[j].abs); c != 0 {
			return c > 0
		}
		if changes[i].Subject != changes[j].Subject {
			return changes[i].Subject < changes[j].Subject
		}
		if changes[i].Period != changes[j].Period {
			return changes[i].Period < changes[j].Period
		}
		return changes[i].Incentive < changes[j].Incentive
	})
	if len(changes) > top {
		changes = changes[:top]
	}
	if changes == nil {
		changes = []Individual{}
	}
	return changes
}

// MaxChange returns the largest absolute percentage change of an
// incentive's total (+Inf when a total moves away from 0).
func (r *Report) MaxChange() float64 {
	m := 0.0
	for _, id := range r.Incentives {
		switch {
		case id.Percent != nil:
			m = math.Max(m, math.Abs(*id.Percent))
		case id.Old != id.New && !textenc.EqualDecimal(id.Old, id.New):
			return math.Inf(1)
		}
	}
	return m
}

func statusOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func zeroIfNil(d *apd.Decimal) *apd.Decimal {
	if d == nil {
		return new(apd.Decimal)
	}
	return d
}

func amountText(d *apd.Decimal) string {
	if d == nil {
		return ""
	}
	return d.Text('f')
}

func signed(d *apd.Decimal) string {
	if d.Sign() > 0 {
		return "+" + d.Text('f')
	}
	return d.Text('f')
}

func transitions(m map[[3]string]int) []Transition {
	out := make([]Transition, 0, len(m))
	for k, n := range m {
		out = append(out, Transition{Rule: k[0], From: k[1], To: k[2], Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.From != b.From {
			return a.From < b.From
		}
		return a.To < b.To
	})
	return out
}
