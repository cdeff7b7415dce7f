package tally

import (
	"sync"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/engine/internal/extsort"
	"github.com/rubric-dev/rubric/engine/internal/input"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// Counts is one counting of rows: the groups of every Counter, spilled
// to one sorter past the memory budget.
type Counts struct {
	l        *layout
	sorter   *sharedSorter
	limit    int // each counter's budget
	mu       sync.Mutex
	counters []*Counter
}

// New begins a counting by ru's measures, its groups held in about
// memory bytes (0: 64 MiB) shared by workers counters.
func New(ru *rules.Rollup, memory, workers int) *Counts {
	if memory <= 0 {
		memory = 64 << 20
	}
	return &Counts{l: newLayout(ru), sorter: &sharedSorter{s: extsort.New("", 8<<20)}, limit: memory / max(workers, 1)}
}

// Close removes what was spilled to disk.
func (cs *Counts) Close() { cs.sorter.s.Close() }

// Counter returns a counter for one goroutine.
func (cs *Counts) Counter() *Counter {
	c := &Counter{l: cs.l, re: evaluator.NewRowEval(), agg: newAggregator(cs.l, cs.sorter, cs.limit), skipped: make([]int, len(cs.l.ru.Measures))}
	cs.mu.Lock()
	cs.counters = append(cs.counters, c)
	cs.mu.Unlock()
	return c
}

// Counted is how many rows passed the rollup's where, and Skipped, per
// measure, how many rows it left out because one of its expressions read
// a missing value.
func (cs *Counts) Counted() (counted int, skipped []int) {
	skipped = make([]int, len(cs.l.ru.Measures))
	for _, c := range cs.counters {
		counted += c.counted
		for i, n := range c.skipped {
			skipped[i] += n
		}
	}
	return counted, skipped
}

// Counter counts one goroutine's rows into groups of its own.
type Counter struct {
	l       *layout
	re      *evaluator.RowEval
	agg     *aggregator
	counted int
	skipped []int // per measure: rows left out, an expression reading a missing value
}

// Count counts a good row, the seq-th of the input (the later row wins a
// tie on time for the team). An error is that of a spill to disk.
func (c *Counter) Count(row *input.Row, seq int64) error {
	ru, re := c.l.ru, c.re
	if ru.Where != nil {
		if v, ok := re.Eval(ru.Where, row.Values); !ok || !v.Bool {
			return nil
		}
	}
	c.counted++
	g, err := c.agg.group(row.Period.Index(), row.Subject)
	if err != nil {
		return err
	}
	g.rows++
	if row.HasTeam {
		g.setTeam(row.Team, row.Time.UnixNano(), seq)
	}
	for i, m := range ru.Measures {
		if m.Where != nil {
			v, ok := re.Eval(m.Where, row.Values)
			if !ok {
				c.skipped[i]++
				g.miss[i]++
			}
			if !ok || !v.Bool {
				continue
			}
		}
		g.seen[i]++
		if m.Kind == rules.MeasureCount && m.Expr == nil {
			g.has[i] = true
			g.n[i]++
			continue
		}
		v, ok := re.Eval(m.Expr, row.Values)
		if !ok {
			c.skipped[i]++
			g.miss[i]++
			continue
		}
		s := c.l.slot[i]
		switch m.Kind {
		case rules.MeasureCount:
			if v.Bool {
				g.n[i]++
			}
		case rules.MeasureSum, rules.MeasureAvg:
			text := ""
			if m.Column != nil {
				text = row.Exact[m.Column.Decl.Slot]
			}
			if text != "" && !g.sums[s].addText(text) || text == "" && !g.sums[s].addFloat(v.Num) {
				c.skipped[i]++
				g.miss[i]++
				continue
			}
			g.n[i]++
		case rules.MeasureMin, rules.MeasureMax:
			var d apd.Decimal
			if !decimalOf(&d, m, row, v) {
				c.skipped[i]++
				g.miss[i]++
				continue
			}
			g.extreme(c.l, i, &d)
			g.n[i]++
		case rules.MeasureQuantile:
			g.quants[s] = append(g.quants[s], v.Num)
			g.n[i]++
			c.agg.held += 8
		case rules.MeasureDistinct:
			if g.dists[s].add(c.agg.internValue(s, v)) {
				c.agg.held += 8
			}
			g.n[i]++
		}
		g.has[i] = true
	}
	return nil
}

// decimalOf is a min or max measure's value of a row: the cell as written,
// or the shortest decimal of what its expression gave, written out.
func decimalOf(d *apd.Decimal, m *rules.Measure, row *input.Row, v evaluator.Value) bool {
	text := ""
	if m.Column != nil {
		text = row.Exact[m.Column.Decl.Slot]
	}
	if text == "" {
		f, ok := evaluator.FromFloat(v.Num)
		if !ok {
			return false
		}
		text = f.Text('f')
	}
	_, _, err := d.SetString(text)
	return err == nil
}

// Group is one subject's counts in one period.
type Group struct {
	g *group
	a *aggregator // holding its distinct values
}

// Subject is the group's subject.
func (g Group) Subject() string { return g.g.subject }

// Period is the index of the group's period (rules.PeriodAt).
func (g Group) Period() int { return g.g.period }

// Team is the team of the group's latest row, if it had one.
func (g Group) Team() (string, bool) { return g.g.team, g.g.hasTeam }

// Teams is how many teams the group's rows had.
func (g Group) Teams() int { return len(g.g.teams) }

// Err is the group's first failed addition: its sums cannot be trusted.
func (g Group) Err() error {
	for s := range g.g.sums {
		g.g.check(g.g.sums[s].err)
	}
	return g.g.err
}

// Value is measure i's value as text, "" when it has none: counts are 0
// when no row counted, the others have no value without a row.
func (g Group) Value(i int) string { return g.a.value(g.g, i) }

// Origin is where a group's values came from: how many rows counted,
// and for each measure how many rows it read and left out.
type Origin struct {
	Subject, Period string // the period's label
	Rows            int64  // rows of the subject in the period past the rollup's where
	Measures        []MeasureOrigin
}

// MeasureOrigin is how one measure was counted.
type MeasureOrigin struct {
	Measure *rules.Measure
	Value   string // as the snapshot has it; "" for no value
	Seen    int64  // rows its own where let through (Rows without one)
	Counted int64  // a count's rows where its condition held; another's values taken
	Missing int64  // rows left out: an expression read a missing value
}

// Origin is where g's values came from, its period labelled by p.
func (g Group) Origin(p *rules.Policy) Origin {
	o := Origin{Subject: g.g.subject, Period: rules.PeriodAt(p.Period, g.g.period).Label, Rows: g.g.rows}
	for i, m := range g.a.l.ru.Measures {
		o.Measures = append(o.Measures, MeasureOrigin{Measure: m, Value: g.Value(i), Seen: g.g.seen[i], Counted: g.g.n[i], Missing: g.g.miss[i]})
	}
	return o
}

// Each calls fn with every group, complete, in period then subject order,
// once every Counter is done. Without a spill the counters' groups are
// merged in memory; else every partial group goes to the sorter and the
// partials of a group are merged as they come out.
func (cs *Counts) Each(fn func(Group) error) error {
	l, sorter, counters, limit := cs.l, cs.sorter, cs.counters, cs.limit
	spilled := false
	for _, c := range counters {
		spilled = spilled || c.agg.spilled
	}
	if !spilled {
		into := newAggregator(l, sorter, limit)
		if len(counters) > 0 {
			into = counters[0].agg
		}
		for _, c := range counters[min(1, len(counters)):] {
			for _, o := range c.agg.sorted() {
				into.absorb(o, c.agg)
			}
			c.agg = nil // its groups are merged: let them go
		}
		for _, g := range into.sorted() {
			if err := fn(Group{g, into}); err != nil {
				return err
			}
		}
		return nil
	}
	for _, c := range counters {
		if err := c.agg.spill(); err != nil {
			return err
		}
	}
	// One group is merged at a time: its distinct values are forgotten
	// once it is written.
	a := newAggregator(l, sorter, limit)
	var cur *group
	err := sorter.s.Each(func(v []byte) error {
		g, err := a.decode(v)
		if err != nil {
			return err
		}
		if cur != nil && cur.period == g.period && cur.subject == g.subject {
			a.merge(cur, g, a)
			return nil
		}
		if cur != nil {
			if err := fn(Group{cur, a}); err != nil {
				return err
			}
			a.forget()
			if g, err = a.decode(v); err != nil { // its ids again, after forgetting
				return err
			}
		}
		cur = g
		return nil
	})
	if err == nil && cur != nil {
		err = fn(Group{cur, a})
	}
	return err
}
