// Package trend shows how subjects and teams fare period after period:
// each target's value and status, the score and band, the breaches fired
// and each incentive's amount, with the change against the previous period
// judged by the metric's direction; with a team, the team's average beside
// each member's, so that a dip can be seen to be one person's or the whole
// team's.
package trend

import (
	"math"
	"sort"
	"sync"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/engine"
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

// Run evaluates in and builds the trend.
func Run(p *engine.Policy, in engine.Input, opts Options) (*Report, *engine.StreamResult, error) {
	rp := p.Rules()
	sel, err := engine.NewSelection(in.Periods, rp.Period)
	if err != nil {
		return nil, nil, err
	}
	opts.Stream.EncodeAll = true
	var mu sync.Mutex
	subjects := map[string]*Subject{}
	res, err := p.Stream(in, opts.Stream, func(o *evaluator.Outcome, buf []byte) []byte {
		s := o.Snapshot
		if s.HistoryOnly || !sel.Has(s.Period) || (opts.Subject != "" && s.Subject != opts.Subject) || (opts.Team != "" && s.Team != opts.Team) {
			return buf
		}
		per := period(o)
		mu.Lock()
		defer mu.Unlock()
		sub := subjects[s.Subject]
		if sub == nil {
			sub = &Subject{Subject: s.Subject, Team: s.Team}
			subjects[s.Subject] = sub
		}
		sub.Periods = append(sub.Periods, per)
		return buf
	}, func([]byte) error { return nil })
	if err != nil || res.Failed() {
		return nil, res, err
	}
	r := &Report{Policy: p.Ref(), Subjects: []*Subject{}, Teams: []*Team{}, rp: rp}
	for _, sub := range subjects {
		sort.Slice(sub.Periods, func(i, j int) bool { return sub.Periods[i].index < sub.Periods[j].index })
		for i := 1; i < len(sub.Periods); i++ {
			if sub.Periods[i].index == sub.Periods[i-1].index+1 {
				r.change(sub.Periods[i-1], sub.Periods[i])
			}
		}
		r.Subjects = append(r.Subjects, sub)
	}
	sort.Slice(r.Subjects, func(i, j int) bool { return r.Subjects[i].Subject < r.Subjects[j].Subject })
	if opts.Team != "" {
		r.Teams = append(r.Teams, r.team(opts.Team))
	}
	return r, res, nil
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

// team averages a team's members period by period.
func (r *Report) team(name string) *Team {
	byIndex := map[int]*TeamPeriod{}
	var order []int
	sums := map[int]map[string]float64{}
	totals := map[int]map[string]*apd.Decimal{}
	for _, sub := range r.Subjects {
		for _, per := range sub.Periods {
			tp := byIndex[per.index]
			if tp == nil {
				tp = &TeamPeriod{Period: per.Period, Targets: map[string]*Avg{}, Scores: map[string]*Avg{}, Incentives: map[string]*string{}}
				byIndex[per.index] = tp
				order = append(order, per.index)
				sums[per.index] = map[string]float64{}
				totals[per.index] = map[string]*apd.Decimal{}
			}
			tp.Members++
			add := func(m map[string]*Avg, key string, v *float64) {
				a := m[key]
				if a == nil {
					a = &Avg{}
					m[key] = a
				}
				if v != nil {
					a.Count++
					sums[per.index][key] += *v
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
					if totals[per.index][k] == nil {
						totals[per.index][k] = new(apd.Decimal)
					}
					money.Add(totals[per.index][k], totals[per.index][k], d)
				}
			}
		}
	}
	sort.Ints(order)
	t := &Team{Team: name, Periods: []*TeamPeriod{}}
	for _, idx := range order {
		tp := byIndex[idx]
		finish := func(m map[string]*Avg, prefix string) map[string]*Avg {
			out := map[string]*Avg{}
			for k, a := range m {
				if a.Count > 0 {
					v := sums[idx][k] / float64(a.Count)
					a.Avg = &v
				}
				out[k[len(prefix):]] = a
			}
			return out
		}
		tp.Targets, tp.Scores = finish(tp.Targets, "t:"), finish(tp.Scores, "s:")
		for k, d := range totals[idx] {
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
