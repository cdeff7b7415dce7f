// Package rollup counts a policy's input metrics from interaction rows,
// one row per call, chat or ticket, as its rollup block says (SPEC §14):
// each row is read and checked, filtered and turned into its share of
// every measure, sorted on disk by period and subject (memory stays flat
// at any number of rows, subjects and periods), and each (subject,
// period) becomes one snapshot.
package rollup

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/explain"
	"github.com/rubric-dev/rubric/engine/internal/input"
	"github.com/rubric-dev/rubric/engine/internal/pipeline"
	"github.com/rubric-dev/rubric/engine/internal/tally"
	"github.com/rubric-dev/rubric/engine/internal/textenc"
	"github.com/rubric-dev/rubric/evaluator/lang"
	"github.com/rubric-dev/rubric/rules"
)

// Options control a rollup.
type Options struct {
	Format      string // csv (the default) or ndjson
	SkipInvalid string // write rejected rows here and go on; "" fails on bad input
	MaxErrors   int    // bad-input errors kept; 0: 100
	SortMemory  int    // bytes of groups held in memory before they spill to disk; 0: 64 MiB (tally.New)
	Workers     int    // goroutines converting and counting rows; 0: GOMAXPROCS
	// Periods selects the periods written (labels or FROM..TO, as
	// --period); every row is still read and checked. Empty: all.
	Periods []string
	// Origins, when set, keeps in Result.Origins where the snapshots of
	// the subjects it reports true for came from (rubric explain).
	Origins func(subject string) bool
}

// Origin is where a snapshot's values came from: the rows counted and,
// for each measure, how many rows it read and left out.
type Origin = tally.Origin

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
	// Origins are those Options.Origins asked for, in period then subject
	// order.
	Origins []Origin
}

// WriteOrigins writes where the values of origins came from, for people,
// in l's language (nil: English).
func WriteOrigins(w io.Writer, p *engine.Policy, origins []Origin, l *lang.Locale) {
	explain.Origins(w, p.Rules(), origins, l)
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
	sel, err := engine.NewSelection(opts.Periods, rp.Period)
	if err != nil {
		return nil, err
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
	counts := tally.New(ru, opts.SortMemory, workers) // partial groups spill to disk past the memory
	defer counts.Close()

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
		workErr  error // a worker's
		readErr  error // fill's
		writeErr error // take's
		seq      int64
	)
	fill := func(entries []entry) ([]entry, bool) {
		return input.NextBatch(rr, entries, func(e *entry) *input.Record { return &e.rec }, func(e *entry, err error) bool {
			if err != nil && !input.IsError(err) {
				readErr = err // reading cannot go on
				return false
			}
			e.err, e.errs, e.seq = err, nil, seq
			seq++
			return true
		})
	}
	newWorker := func() func([]entry) {
		conv, c := conv.Sibling(), counts.Counter()
		var row input.Row
		return func(entries []entry) {
			for i := range entries {
				e := &entries[i]
				if e.err != nil {
					continue
				}
				if e.errs = conv.Convert(&e.rec, &row); len(e.errs) > 0 {
					continue
				}
				if err := c.Count(&row, e.seq); err != nil {
					mu.Lock()
					workErr = cmp.Or(workErr, err)
					mu.Unlock()
				}
			}
		}
	}
	take := func(entries []entry, panicked any) bool {
		if panicked != nil { // a bug: the run fails, nothing is written
			writeErr = fmt.Errorf("internal error while counting the rows of %s: %v (please report this with the policy and the rows)", files[0], panicked)
			return false
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
	if err := errors.Join(readErr, writeErr, workErr); err != nil {
		return nil, err
	}
	counted, skipped := counts.Counted()
	res.Counted = counted
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
	err = counts.Each(func(g tally.Group) error {
		if !sel.Has(rules.PeriodAt(rp.Period, g.Period())) {
			return nil
		}
		if err := g.Err(); err != nil {
			return fmt.Errorf("%s %s: %w", g.Subject(), rules.PeriodAt(rp.Period, g.Period()).Label, err)
		}
		if g.Teams() > 1 {
			conflicts++
		}
		if opts.Origins != nil && opts.Origins(g.Subject()) {
			res.Origins = append(res.Origins, g.Origin(rp))
		}
		res.Snapshots++
		return out.write(g)
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

func (o *writer) write(g tally.Group) error {
	label := rules.PeriodAt(o.rp.Period, g.Period()).Label
	team, hasTeam := g.Team()
	if o.format == "csv" {
		cells := []string{g.Subject(), label, team}
		for i := range o.rp.Rollup.Measures {
			cells = append(cells, g.Value(i))
		}
		o.buf.Write(textenc.CSVLine(cells))
	} else {
		j := textenc.JSON{B: o.buf.AvailableBuffer()}
		j.Raw("{")
		j.Key("subject")
		j.Str(g.Subject())
		j.Key("period")
		j.Str(label)
		j.Key("team")
		if hasTeam {
			j.Str(team)
		} else {
			j.Raw("null")
		}
		for i, m := range o.rp.Rollup.Measures {
			j.Key(m.Name)
			if v := g.Value(i); v == "" {
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
