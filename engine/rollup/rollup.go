// Package rollup counts a policy's input metrics from interaction rows,
// one row per call, chat or ticket, as its rollup block says (SPEC §14):
// each row is read and checked, filtered and turned into its share of
// every measure, sorted on disk by period and subject (memory stays flat
// at any number of rows, subjects and periods), and each (subject,
// period) becomes one snapshot.
package rollup

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/extsort"
	"github.com/rubric-dev/rubric/engine/internal/input"
	"github.com/rubric-dev/rubric/engine/internal/pipeline"
	"github.com/rubric-dev/rubric/engine/internal/textenc"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// Options control a rollup.
type Options struct {
	Format      string // csv (the default) or ndjson
	SkipInvalid string // write rejected rows here and go on; "" fails on bad input
	MaxErrors   int    // bad-input errors kept; 0: 100
	SortMemory  int    // bytes of groups held in memory before they spill to disk; 0: 64 MiB
	Workers     int    // goroutines converting and counting rows; 0: GOMAXPROCS
}

// Result says what a rollup read and wrote.
type Result struct {
	Rows       int // interaction rows read, good or bad
	Counted    int // rows that passed the rollup's where
	Rejected   int // rows written to the rejects file
	Snapshots  int
	Errors     []*engine.InputError
	ErrorCount int
	Warnings   []string
	// Skipped counts, per measure, the rows left out because one of its
	// expressions read a missing value, in block order (none: absent).
	Skipped []Skip
}

// Skip is how many rows a measure left out.
type Skip struct {
	Measure string
	Rows    int
}

// Failed reports whether bad input failed the run (nothing was written).
func (r *Result) Failed() bool { return r.ErrorCount > 0 }

// Run reads in's interaction rows through p's rollup and writes one
// snapshot per subject and period to w: subject, period, team, then the
// measures in block order, sorted by period then subject.
func Run(p *engine.Policy, in engine.Input, w io.Writer, opts Options) (*Result, error) {
	rp := p.Rules()
	ru := rp.Rollup
	if ru == nil {
		return nil, fmt.Errorf("policy %s has no rollup block: its input is snapshots, not interaction rows", rp.Name)
	}
	switch opts.Format {
	case "":
		opts.Format = "csv"
	case "csv", "ndjson":
	default:
		return nil, fmt.Errorf("unknown rollup format %q (csv or ndjson)", opts.Format)
	}
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = 100
	}
	if opts.SortMemory <= 0 {
		opts.SortMemory = 64 << 20
	}
	need := input.Columns{Names: []string{ru.Subject, ru.Time}, Why: fmt.Sprintf("rollup %s reads the subject from %q and the time from %q", ru.Name, ru.Subject, ru.Time)}
	rr, files, done, err := in.Records(need)
	if err != nil {
		return nil, err
	}
	defer done()
	var rejects *engine.Rejects
	if opts.SkipInvalid != "" {
		if rejects, err = engine.NewRejects(opts.SkipInvalid); err != nil {
			return nil, err
		}
		defer rejects.Abort()
	}
	conv := input.NewRowConverter(rp, files[0])
	conv.SetFiles(files)
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	sorter := &sharedSorter{s: extsort.New("", 8<<20)} // partial groups, when the groups outgrow their memory
	defer sorter.s.Close()
	l := newLayout(ru)

	res := &Result{}
	failing := false
	addErr := func(e *engine.InputError) {
		res.ErrorCount++
		if len(res.Errors) < opts.MaxErrors {
			res.Errors = append(res.Errors, e)
		}
	}
	// Rows are read on one goroutine, converted and counted on every
	// core (each worker into groups of its own), and their errors taken
	// back here in input order.
	var (
		mu       sync.Mutex
		counters []*counter
		readErr  error // fill's
		writeErr error // take's
		seq      int64
	)
	fill := func(entries []entry) ([]entry, bool) {
		for n := 0; n < cap(entries); n++ {
			entries = entries[:n+1]
			e := &entries[n]
			err := input.NextInto(rr, &e.rec)
			if err == io.EOF {
				return entries[:n], false
			}
			e.err, e.errs, e.seq = err, nil, seq
			seq++
			var ie *engine.InputError
			if err != nil && !errors.As(err, &ie) {
				readErr = err
				return entries[:n], false // reading cannot go on
			}
		}
		return entries, true
	}
	newWorker := func() func([]entry) {
		c := &counter{l: l, conv: conv.Sibling(), re: evaluator.NewRowEval(), agg: newAggregator(l, sorter, opts.SortMemory/workers), skipped: make([]int, len(ru.Measures))}
		mu.Lock()
		counters = append(counters, c)
		mu.Unlock()
		return c.entries
	}
	take := func(entries []entry, panicked any) bool {
		if panicked != nil {
			panic(panicked)
		}
		for i := range entries {
			e := &entries[i]
			res.Rows++
			if e.err != nil {
				ie := e.err.(*engine.InputError)
				if ie.Raw() != "" && rejects != nil {
					res.Rejected++
					if writeErr = rejects.Write(ie); writeErr != nil {
						return false
					}
					continue
				}
				addErr(ie)
				failing = true
				if ie.Raw() == "" {
					return false // the input cannot be read further
				}
				continue
			}
			conv.Note(&e.rec)
			if len(e.errs) > 0 {
				if rejects != nil {
					res.Rejected++
					if writeErr = rejects.Write(e.errs...); writeErr != nil {
						return false
					}
					continue
				}
				failing = true
				for _, e := range e.errs {
					addErr(e)
				}
			}
		}
		return true
	}
	pipeline.Ordered(workers, 256, fill, newWorker, take)
	if err := errors.Join(readErr, writeErr); err != nil {
		return nil, err
	}
	skipped := make([]int, len(ru.Measures))
	for _, c := range counters {
		if c.err != nil {
			return nil, c.err
		}
		res.Counted += c.counted
		for i, n := range c.skipped {
			skipped[i] += n
		}
	}
	res.Warnings = conv.Warnings()
	for i, m := range ru.Measures {
		if skipped[i] > 0 {
			res.Skipped = append(res.Skipped, Skip{m.Name, skipped[i]})
		}
	}
	if failing {
		return res, nil
	}
	out := newWriter(w, rp, opts.Format)
	conflicts := 0
	err = each(l, sorter, counters, opts.SortMemory, func(a *aggregator, g *group) error {
		for s := range g.sums {
			g.check(g.sums[s].err)
		}
		if g.err != nil {
			return fmt.Errorf("%s %s: %w", g.subject, rules.PeriodAt(rp.Period, g.period).Label, g.err)
		}
		if len(g.teams) > 1 {
			conflicts++
		}
		res.Snapshots++
		return out.write(a, g)
	})
	if err == nil {
		err = out.close()
	}
	if err != nil {
		return nil, err
	}
	if conflicts > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d subject-period(s) have rows in more than one team; each is given the team of its latest row", conflicts))
	}
	if rejects != nil {
		if err := rejects.Commit(); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// entry is one interaction row on its way: read on one goroutine,
// converted and counted on a worker, its errors taken in input order.
type entry struct {
	rec  input.Record
	err  error // reading it
	seq  int64 // its place in the input
	errs []*engine.InputError
}

// counter converts and counts a worker's rows into its aggregator.
type counter struct {
	l       *layout
	conv    *input.RowConverter
	re      *evaluator.RowEval
	agg     *aggregator
	row     input.Row
	counted int
	skipped []int // per measure: rows left out, an expression reading a missing value
	err     error // a spill's
}

func (c *counter) entries(entries []entry) {
	for i := range entries {
		e := &entries[i]
		if e.err != nil {
			continue
		}
		if e.errs = c.conv.Convert(&e.rec, &c.row); len(e.errs) > 0 || c.err != nil {
			continue
		}
		c.err = c.count(&c.row, e.seq)
	}
}

// count counts a good row, the seq-th of the input.
func (c *counter) count(row *input.Row, seq int64) error {
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
	if row.HasTeam {
		g.setTeam(row.Team, row.Time.UnixNano(), seq)
	}
	for i, m := range ru.Measures {
		if m.Where != nil {
			v, ok := re.Eval(m.Where, row.Values)
			if !ok {
				c.skipped[i]++
			}
			if !ok || !v.Bool {
				continue
			}
		}
		if m.Kind == rules.MeasureCount && m.Expr == nil {
			g.has[i] = true
			g.n[i]++
			continue
		}
		v, ok := re.Eval(m.Expr, row.Values)
		if !ok {
			c.skipped[i]++
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
				continue
			}
			g.n[i]++
		case rules.MeasureMin, rules.MeasureMax:
			var d apd.Decimal
			if !decimalOf(&d, m, row, v) {
				c.skipped[i]++
				continue
			}
			g.extreme(c.l, i, &d)
			g.n[i]++
		case rules.MeasureQuantile:
			g.quants[s] = append(g.quants[s], v.Num)
			c.agg.held += 8
		case rules.MeasureDistinct:
			if g.dists[s].add(c.agg.internValue(s, v)) {
				c.agg.held += 8
			}
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

// each calls fn with every group, complete, in period then subject order,
// and the aggregator holding its distinct values. Without a spill the
// workers' groups are merged in memory; else every partial group goes to
// the sorter and the partials of a group are merged as they come out.
func each(l *layout, sorter *sharedSorter, counters []*counter, limit int, fn func(*aggregator, *group) error) error {
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
			if err := fn(into, g); err != nil {
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
			if err := fn(a, cur); err != nil {
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
		err = fn(a, cur)
	}
	return err
}

// writer writes the snapshots as CSV or NDJSON.
type writer struct {
	w      io.Writer
	rp     *rules.Policy
	format string
	buf    bytes.Buffer
	err    error
}

func newWriter(w io.Writer, rp *rules.Policy, format string) *writer {
	out := &writer{w: w, rp: rp, format: format}
	if format == "csv" {
		head := []string{"subject", "period", "team"}
		for _, m := range rp.Rollup.Measures {
			head = append(head, m.Name)
		}
		out.buf.Write(textenc.CSVLine(head))
	}
	return out
}

func (o *writer) write(a *aggregator, g *group) error {
	label := rules.PeriodAt(o.rp.Period, g.period).Label
	team := ""
	if g.hasTeam {
		team = g.team
	}
	if o.format == "csv" {
		cells := []string{g.subject, label, team}
		for i := range o.rp.Rollup.Measures {
			cells = append(cells, a.value(g, i))
		}
		o.buf.Write(textenc.CSVLine(cells))
	} else {
		j := textenc.JSON{B: o.buf.AvailableBuffer()}
		j.Raw("{")
		j.Key("subject")
		j.Str(g.subject)
		j.Key("period")
		j.Str(label)
		j.Key("team")
		if g.hasTeam {
			j.Str(team)
		} else {
			j.Raw("null")
		}
		for i, m := range o.rp.Rollup.Measures {
			j.Key(m.Name)
			if v := a.value(g, i); v == "" {
				j.Raw("null")
			} else {
				j.Raw(v)
			}
		}
		j.Raw("}\n")
		o.buf.Write(j.B)
	}
	if o.buf.Len() >= 64<<10 {
		return o.flush()
	}
	return nil
}

func (o *writer) flush() error {
	if o.err == nil && o.buf.Len() > 0 {
		_, o.err = o.w.Write(o.buf.Bytes())
	}
	o.buf.Reset()
	return o.err
}

func (o *writer) close() error { return o.flush() }
