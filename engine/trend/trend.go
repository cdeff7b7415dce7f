// Package trend shows how subjects and teams fare period after period:
// each target's value and status, the score and band, the breaches fired
// and each incentive's amount, with the change against the previous period
// judged by the metric's direction; with a team, the team's average beside
// each member's, so that a dip can be seen to be one person's or the whole
// team's.
package trend

import (
	"bufio"
	"io"
	"math"
	"sort"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/fsutil"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/evaluator/lang"
	"github.com/rubric-dev/rubric/evaluator/money"
	"github.com/rubric-dev/rubric/rules"
)

// Options choose what a trend shows.
type Options struct {
	Subject string // one subject; "" for all
	Team    string // one team's members and its averages; "" for all
	Stream  engine.StreamOptions
}

// Report is the trend of the chosen subjects (and team).
type Report struct {
	Policy   engine.PolicyRef `json:"policy"`
	Subjects []*Subject       `json:"subjects"`
	Teams    []*Team          `json:"teams"`
	// Lang is the language of the text and markdown renderings (nil:
	// English; SPEC §15). JSON and CSV are not affected.
	Lang *lang.Locale `json:"-"`

	rp *rules.Policy
}

// Subject is one subject's periods, oldest first.
type Subject struct {
	Subject string    `json:"subject"`
	Team    string    `json:"team,omitempty"`
	Periods []*Period `json:"periods"`
}

// Period is one subject's outcome in one period, with the change against
// the period just before (none after a gap).
type Period struct {
	Period     string                `json:"period"`
	Targets    map[string]*Measure   `json:"targets"`
	Scores     map[string]*Measure   `json:"scores"`
	Breaches   []string              `json:"breaches"`
	Incentives map[string]*AmountRow `json:"incentives"`

	index int
}

// Measure is a number with its status and its change.
type Measure struct {
	Value     *float64 `json:"value"`
	Status    string   `json:"status"`
	Band      *string  `json:"band,omitempty"`
	Change    *float64 `json:"change"`
	Direction string   `json:"direction,omitempty"` // improving, worsening or flat
}

// AmountRow is an incentive's amount with its change.
type AmountRow struct {
	Status    string  `json:"status"`
	Amount    *string `json:"amount"`
	Change    *string `json:"change"`
	Direction string  `json:"direction,omitempty"`
}

// Team is a team's averages per period.
type Team struct {
	Team    string        `json:"team"`
	Periods []*TeamPeriod `json:"periods"`
}

// TeamPeriod is a team's figures in one period: the average of its
// members' values (over those with one) and the total of each incentive.
type TeamPeriod struct {
	Period     string             `json:"period"`
	Members    int                `json:"members"`
	Targets    map[string]*Avg    `json:"targets"`
	Scores     map[string]*Avg    `json:"scores"`
	Incentives map[string]*string `json:"incentives"`
}

// Avg is an average over the members that had a value.
type Avg struct {
	Avg   *float64 `json:"avg"`
	Count int      `json:"count"`
}

// Run evaluates in and builds the whole trend in memory: for a library
// caller that wants the model. Write streams it instead.
func Run(p *engine.Policy, in engine.Input, opts Options) (*Report, *engine.StreamResult, error) {
	r := &Report{Policy: p.Ref(), Subjects: []*Subject{}, Teams: []*Team{}, Lang: opts.Stream.Lang, rp: p.Rules()}
	teams, res, err := each(p, in, opts, func(sub *Subject) error {
		r.Subjects = append(r.Subjects, sub)
		return nil
	})
	if err != nil || res.Failed() {
		return nil, res, err
	}
	r.Teams = teams
	return r, res, nil
}

// Write evaluates in and writes the trend to w in format (text,
// markdown, csv or json), subject by subject as the outcomes come in
// order of subject and period: memory holds one subject's periods and,
// with a team, its sums per period, never every outcome. The trend is
// written aside first and copied to w only when the run did not fail,
// so a failed run writes nothing; a run with a subject or team chosen
// that finds none writes nothing either, and n tells (n is the subjects
// written).
func Write(p *engine.Policy, in engine.Input, opts Options, format string, w io.Writer) (n int, res *engine.StreamResult, err error) {
	tmp, err := fsutil.CreateTemp("", "rubric-trend-*")
	if err != nil {
		return 0, nil, err
	}
	defer func() { tmp.Close(); fsutil.Remove(tmp.Name()) }()
	bw := bufio.NewWriterSize(tmp, 64<<10)
	r := &Report{Policy: p.Ref(), Lang: opts.Stream.Lang, rp: p.Rules()}
	out := r.sink(format, bw)
	// A team's averages go above its members' rows for people: its
	// members are held until the averages are known (one team's rows).
	tf, first := out.(teamFirst)
	first = first && opts.Team != ""
	var held []*Subject
	teams, res, err := each(p, in, opts, func(sub *Subject) error {
		n++
		if first {
			held = append(held, sub)
			return nil
		}
		return out.subject(sub)
	})
	if err != nil || res.Failed() {
		return 0, res, err
	}
	if n == 0 && (opts.Subject != "" || opts.Team != "") {
		return 0, res, nil
	}
	if first {
		if err := tf.teams(teams); err != nil {
			return 0, res, err
		}
		for _, sub := range held {
			if err := out.subject(sub); err != nil {
				return 0, res, err
			}
		}
		teams = nil
	}
	if err := out.finish(teams); err != nil {
		return 0, res, err
	}
	if err := bw.Flush(); err != nil {
		return 0, res, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return 0, res, err
	}
	if _, err := io.Copy(w, tmp); err != nil {
		return 0, res, &engine.OutputError{Err: err}
	}
	return n, res, nil
}

// each streams in in order of subject and period and calls fn with each
// chosen subject's periods, changes filled in; with a team, it returns
// the team's averages.
func each(p *engine.Policy, in engine.Input, opts Options, fn func(*Subject) error) ([]*Team, *engine.StreamResult, error) {
	rp := p.Rules()
	sel, err := engine.NewSelection(in.Periods, rp.Period)
	if err != nil {
		return nil, nil, err
	}
	opts.Stream.EncodeAll = true
	opts.Stream.InKeyOrder = true
	r := &Report{rp: rp}
	var acc *teamAcc
	if opts.Team != "" {
		acc = newTeamAcc(opts.Team)
	}
	var cur *Subject
	flush := func() error {
		if cur == nil {
			return nil
		}
		sub := cur
		cur = nil
		sort.SliceStable(sub.Periods, func(i, j int) bool { return sub.Periods[i].index < sub.Periods[j].index })
		for i := 1; i < len(sub.Periods); i++ {
			if sub.Periods[i].index == sub.Periods[i-1].index+1 {
				r.change(sub.Periods[i-1], sub.Periods[i])
			}
		}
		if acc != nil {
			for _, per := range sub.Periods {
				acc.add(per)
			}
		}
		return fn(sub)
	}
	var res *engine.StreamResult
	for o, err := range p.Outcomes(in, opts.Stream, &res) {
		if err != nil {
			return nil, nil, err
		}
		sn := o.Snapshot
		if sn.HistoryOnly || !sel.Has(sn.Period) || (opts.Subject != "" && sn.Subject != opts.Subject) || (opts.Team != "" && sn.Team != opts.Team) {
			continue
		}
		if cur != nil && cur.Subject != sn.Subject {
			if err := flush(); err != nil {
				return nil, res, err
			}
		}
		if cur == nil {
			cur = &Subject{Subject: sn.Subject, Team: sn.Team}
		}
		cur.Periods = append(cur.Periods, period(o))
	}
	if res.Failed() {
		return nil, res, nil
	}
	if err := flush(); err != nil {
		return nil, res, err
	}
	teams := []*Team{}
	if acc != nil {
		teams = append(teams, acc.finish())
	}
	return teams, res, nil
}

func period(o *evaluator.Outcome) *Period {
	s := o.Snapshot
	per := &Period{Period: s.Period.Label, index: s.Period.Index(), Targets: map[string]*Measure{}, Scores: map[string]*Measure{},
		Breaches: []string{}, Incentives: map[string]*AmountRow{}}
	for _, t := range o.Targets {
		per.Targets[t.Target.Name] = &Measure{Value: num(t.Value), Status: t.Status.String()}
	}
	for _, sc := range o.Scores {
		m := &Measure{Value: num(sc.Value), Status: sc.Status.String()}
		if sc.Status == evaluator.ScoreOK {
			b := sc.Band.Str
			m.Band = &b
		}
		per.Scores[sc.Scorecard.Name] = m
	}
	for _, b := range o.Breaches {
		if b.Status == evaluator.Breached {
			per.Breaches = append(per.Breaches, b.Breach.Name)
		}
	}
	for _, t := range o.Targets {
		if t.Status == evaluator.TargetBreached {
			per.Breaches = append(per.Breaches, "target "+t.Target.Name)
		}
	}
	for _, in := range o.Incentives {
		a := &AmountRow{Status: in.Status.String()}
		if in.Amount != nil {
			s := in.Amount.Text('f')
			a.Amount = &s
		}
		per.Incentives[in.Incentive.Name] = a
	}
	return per
}

func num(v evaluator.Value) *float64 {
	if v.Kind != evaluator.Number || math.IsNaN(v.Num) || math.IsInf(v.Num, 0) {
		return nil
	}
	f := v.Num
	return &f
}

// direction judges a change by which way is better.
func direction(d float64, better rules.Direction) string {
	switch {
	case math.Abs(d) < 1e-9:
		return "flat"
	case (d > 0) == (better != rules.Lower):
		return "improving"
	}
	return "worsening"
}

func (r *Report) change(prev, cur *Period) {
	for _, t := range r.rp.Targets {
		a, b := prev.Targets[t.Name], cur.Targets[t.Name]
		if a != nil && b != nil && a.Value != nil && b.Value != nil {
			d := *b.Value - *a.Value
			b.Change, b.Direction = &d, direction(d, t.Better)
		}
	}
	for _, sc := range r.rp.Scorecards {
		a, b := prev.Scores[sc.Name], cur.Scores[sc.Name]
		if a != nil && b != nil && a.Value != nil && b.Value != nil {
			d := *b.Value - *a.Value
			b.Change, b.Direction = &d, direction(d, rules.Higher)
		}
	}
	for _, in := range r.rp.Incentives {
		a, b := prev.Incentives[in.Name], cur.Incentives[in.Name]
		if a == nil || b == nil || a.Amount == nil || b.Amount == nil {
			continue
		}
		x, errX := money.Parse(*a.Amount)
		y, errY := money.Parse(*b.Amount)
		var d apd.Decimal
		if errX != nil || errY != nil || money.Sub(&d, y, x) != nil {
			continue // amounts rubric wrote itself: cannot happen
		}
		s := d.Text('f')
		b.Change = &s
		b.Direction = map[int]string{-1: "worsening", 0: "flat", 1: "improving"}[d.Sign()]
	}
}

// teamAcc averages a team's members period by period, subject by
// subject as they come.
type teamAcc struct {
	name    string
	byIndex map[int]*TeamPeriod
	sums    map[int]map[string]float64
	totals  map[int]map[string]*apd.Decimal
}

func newTeamAcc(name string) *teamAcc {
	return &teamAcc{name: name, byIndex: map[int]*TeamPeriod{}, sums: map[int]map[string]float64{}, totals: map[int]map[string]*apd.Decimal{}}
}

// add counts one member's period.
func (a *teamAcc) add(per *Period) {
	tp := a.byIndex[per.index]
	if tp == nil {
		tp = &TeamPeriod{Period: per.Period, Targets: map[string]*Avg{}, Scores: map[string]*Avg{}, Incentives: map[string]*string{}}
		a.byIndex[per.index] = tp
		a.sums[per.index] = map[string]float64{}
		a.totals[per.index] = map[string]*apd.Decimal{}
	}
	tp.Members++
	sums, totals := a.sums[per.index], a.totals[per.index]
	add := func(m map[string]*Avg, key string, v *float64) {
		avg := m[key]
		if avg == nil {
			avg = &Avg{}
			m[key] = avg
		}
		if v != nil {
			avg.Count++
			sums[key] += *v
		}
	}
	for k, t := range per.Targets {
		add(tp.Targets, "t:"+k, t.Value)
	}
	for k, s := range per.Scores {
		add(tp.Scores, "s:"+k, s.Value)
	}
	for k, in := range per.Incentives {
		if in.Amount != nil {
			d, err := money.Parse(*in.Amount)
			if err != nil {
				continue // an amount rubric wrote itself: cannot happen
			}
			if totals[k] == nil {
				totals[k] = new(apd.Decimal)
			}
			money.Add(totals[k], totals[k], d)
		}
	}
}

// finish is the team's averages, oldest period first.
func (a *teamAcc) finish() *Team {
	var order []int
	for idx := range a.byIndex {
		order = append(order, idx)
	}
	sort.Ints(order)
	t := &Team{Team: a.name, Periods: []*TeamPeriod{}}
	for _, idx := range order {
		tp := a.byIndex[idx]
		finish := func(m map[string]*Avg, prefix string) map[string]*Avg {
			out := map[string]*Avg{}
			for k, avg := range m {
				if avg.Count > 0 {
					v := a.sums[idx][k] / float64(avg.Count)
					avg.Avg = &v
				}
				out[k[len(prefix):]] = avg
			}
			return out
		}
		tp.Targets, tp.Scores = finish(tp.Targets, "t:"), finish(tp.Scores, "s:")
		for k, d := range a.totals[idx] {
			s := d.Text('f')
			tp.Incentives[k] = &s
		}
		t.Periods = append(t.Periods, tp)
	}
	return t
}

func fmtNum(v *float64) string {
	if v == nil {
		return "–"
	}
	return evaluator.Short(*v)
}
