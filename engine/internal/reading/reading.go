// Package reading turns an input's records into good snapshots, in input
// order: each record converted and checked (input.Converter), bad rows
// rejected into a rejects file or reported, everything counted in a
// Tally; on one goroutine (Serial) or converting on every core
// (Parallel); and, for a run in key order, sorted by subject and period
// (KeyOrder). Every pass of the engine that reads snapshots reads them
// here.
package reading

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync/atomic"

	"github.com/rubric-dev/rubric/engine/internal/extsort"
	"github.com/rubric-dev/rubric/engine/internal/input"
	"github.com/rubric-dev/rubric/engine/internal/pipeline"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// batchSize is the number of records a worker converts at a time.
const batchSize = 256

// Options control a reading.
type Options struct {
	MaxErrors int            // errors kept in Tally.Errors (all are counted)
	Rejects   *input.Rejects // bad rows go here and reading goes on; nil: bad input fails the run
	Rows      *atomic.Int64  // counts the rows read, for a progress display; nil for none
}

// Tally is what a reading counted.
type Tally struct {
	Rows        int            // records, good or bad
	Rejected    int            // rows written to the rejects file
	Errors      []*input.Error // bad input, up to MaxErrors
	ErrorCount  int            // all bad input, also beyond MaxErrors
	HistoryOnly int            // snapshots before effective_from, read as history only

	leftOut  map[string]bool
	rejected map[string][]string // subject -> the periods of its rejected rows
}

// noteRejected records the subject and period of a rejected row, for the
// history windows that reach it.
func (t *Tally) noteRejected(e *input.Error) {
	if e.Subject == "" || e.Period == "" {
		return
	}
	if t.rejected == nil {
		t.rejected = map[string][]string{}
	}
	t.rejected[e.Subject] = append(t.rejected[e.Subject], e.Period)
}

// RejectedPeriods maps each subject with rejected rows to their periods.
func (t *Tally) RejectedPeriods() map[string][]string { return t.rejected }

func (t *Tally) noteLeftOut(e *input.Error) {
	if t.leftOut == nil {
		t.leftOut = map[string]bool{}
	}
	key := "period " + e.Period
	if e.Team != "" {
		key = "team " + e.Team + " in " + e.Period
	}
	t.leftOut[key] = true
}

// LeftOut lists, sorted, the teams and periods whose team.* and all.*
// figures were computed without rows that were rejected.
func (t *Tally) LeftOut() []string {
	var out []string
	for k := range t.leftOut {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Serial reads every record, checks it and passes each good
// snapshot to emit. Bad rows are rejected (with a rejects file) or
// reported; once bad input fails the run, reading goes on to report every
// bad row but nothing more is emitted.
//
// alloc, when not nil, offers an empty snapshot to convert into (nil: a
// new one).
func Serial(ctx context.Context, rr input.Reader, conv *input.Converter, opts Options, t *Tally, alloc func() *evaluator.Snapshot, emit func(*evaluator.Snapshot)) (failing bool, readErr error) {
	r := &reading{conv: conv, opts: opts, t: t, emit: emit}
	for {
		if t.Rows%batchSize == 0 {
			if err := ctx.Err(); err != nil {
				return r.failing, err
			}
		}
		rec, err := rr.Next()
		if err == io.EOF {
			break
		}
		if !r.record(rec, err, func() (*evaluator.Snapshot, []*input.Error) {
			var into *evaluator.Snapshot
			if alloc != nil {
				into = alloc()
			}
			return conv.ConvertInto(rec, into)
		}) {
			break
		}
	}
	return r.finish()
}

// reading is what Serial and Parallel do with each record, in input
// order.
type reading struct {
	conv    *input.Converter
	opts    Options
	t       *Tally
	emit    func(*evaluator.Snapshot)
	failing bool
	err     error // reading cannot go on
}

func (r *reading) addError(e *input.Error) {
	r.t.ErrorCount++
	if len(r.t.Errors) < r.opts.MaxErrors {
		r.t.Errors = append(r.t.Errors, e)
	}
}

// readError takes the error reading a record (record's part: a variable
// that errors.As is given escapes, and must not cost every row).
func (r *reading) readError(err error) bool {
	var ie *input.Error
	if errors.As(err, &ie) && ie.Raw() != "" && r.opts.Rejects != nil {
		// A row that cannot be read as a record (a wrong field count,
		// a broken NDJSON line) is still a row: reject it and go on.
		r.t.Rejected++
		if werr := r.opts.Rejects.Write(ie); werr != nil {
			r.err = werr
			return false
		}
		return true
	}
	if ie != nil {
		r.addError(ie)
		r.failing = true
		return ie.Raw() != ""
	}
	r.err = err
	return false
}

// record takes the next record, or the error reading it: convert gives
// its snapshot or what is wrong with it. It reports whether reading goes
// on.
func (r *reading) record(rec *input.Record, err error, convert func() (*evaluator.Snapshot, []*input.Error)) bool {
	r.t.Rows++
	if r.opts.Rows != nil {
		r.opts.Rows.Add(1)
	}
	if err != nil {
		return r.readError(err)
	}
	snap, errs := convert()
	if len(errs) > 0 {
		if r.opts.Rejects != nil {
			r.t.Rejected++
			r.t.noteLeftOut(errs[0])
			r.t.noteRejected(errs[0])
			if werr := r.opts.Rejects.Write(errs...); werr != nil {
				r.err = werr
				return false
			}
			return true
		}
		r.failing = true
		for _, e := range errs {
			r.addError(e)
		}
		return true
	}
	if r.failing {
		return true
	}
	if snap.HistoryOnly {
		r.t.HistoryOnly++
	}
	r.emit(snap)
	return true
}

// finish adds the duplicates found only at the end of the input
// (Converter.SpillDuplicates) to the errors, in line order.
func (r *reading) finish() (failing bool, err error) {
	if r.err != nil {
		return r.failing, r.err
	}
	late, err := r.conv.LateDuplicates()
	if err != nil {
		return r.failing, err
	}
	if len(late) > 0 {
		r.failing = true
		r.t.ErrorCount += len(late)
		r.t.Errors = mergeByLine(r.t.Errors, late, r.opts.MaxErrors)
	}
	return r.failing, nil
}

// mergeByLine merges two lists of errors in line order, an error of a
// keeps its place before one of b on the same line, and keeps the first
// max.
func mergeByLine(a, b []*input.Error, max int) []*input.Error {
	out := make([]*input.Error, 0, min(len(a)+len(b), max))
	for len(out) < max && (len(a) > 0 || len(b) > 0) {
		if len(b) == 0 || (len(a) > 0 && a[0].Line <= b[0].Line) {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return out
}

// readEntry is one record, or the error reading it, and what converting
// it gave.
type readEntry struct {
	rec  input.Record
	err  error
	snap *evaluator.Snapshot // kept from batch to batch
	errs []*input.Error
	bin  []byte // snap.AppendBinary, when it converted without error
}

// Parallel is Serial with the conversion on every worker, for
// a stream that evaluates nothing until every row is read (InKeyOrder),
// which would otherwise leave all cores but one idle meanwhile. Records
// are read on one goroutine, converted on the workers (each with a
// converter of its own that leaves duplicates alone), and taken back in
// input order on this goroutine, where duplicates, errors, rejects and emit
// go exactly as in Serial, with conv. The workers also encode each
// good snapshot (AppendBinary), which emit receives beside it.
func Parallel(ctx context.Context, rp *rules.Policy, rr input.Reader, conv *input.Converter, opts Options, t *Tally, workers int, emit func(*evaluator.Snapshot, []byte)) (failing bool, readErr error) {
	fill := func(entries []readEntry) ([]readEntry, bool) {
		batch, more := input.NextBatch(rr, entries, func(e *readEntry) *input.Record { return &e.rec }, func(e *readEntry, err error) bool {
			e.err, e.errs = err, nil
			return true // an error that ends the reading too: take reports it
		})
		return batch, more && ctx.Err() == nil
	}
	newWorker := func() func([]readEntry) {
		c := conv.Sibling()
		return func(entries []readEntry) { convertEntries(rp, c, entries) }
	}
	var e *readEntry // the entry being taken
	r := &reading{conv: conv, opts: opts, t: t, emit: func(s *evaluator.Snapshot) { emit(s, e.bin) }}
	convert := func() (*evaluator.Snapshot, []*input.Error) {
		conv.NoteColumns(&e.rec)
		if len(e.errs) > 0 {
			return nil, e.errs
		}
		if d := conv.CheckDuplicate(&e.rec, e.snap); d != nil {
			return nil, []*input.Error{d}
		}
		return e.snap, nil
	}
	pipeline.Ordered(workers, batchSize, fill, newWorker, func(entries []readEntry, panicked any) bool {
		if panicked != nil {
			r.err = fmt.Errorf("internal error while reading %s: %v (please report this with the policy and the input)", conv.File(), panicked)
			return false
		}
		if r.err = ctx.Err(); r.err != nil {
			return false
		}
		for i := range entries {
			if e = &entries[i]; !r.record(&e.rec, e.err, convert) {
				return false
			}
		}
		return true
	})
	if r.err == nil {
		r.err = ctx.Err() // the reader may have stopped for it
	}
	return r.finish()
}

// convertEntries converts records, each into its entry's snapshot, and
// encodes the good ones.
func convertEntries(rp *rules.Policy, c *input.Converter, entries []readEntry) {
	for i := range entries {
		e := &entries[i]
		if e.err != nil {
			continue
		}
		if e.snap == nil {
			e.snap = evaluator.NewSnapshot(rp)
		} else {
			e.snap.Reset()
		}
		if _, e.errs = c.ConvertInto(&e.rec, e.snap); len(e.errs) == 0 {
			e.bin = e.snap.AppendBinary(e.bin[:0])
		}
	}
}

// KeyOrder sorts a run's good snapshots by subject and period (the bytes
// of subject NUL period), on disk past 8 MiB, for a stream that evaluates
// them in that order (engine.StreamOptions.InKeyOrder). Sorting the snapshots as
// read (about 150 bytes each) costs a fraction of sorting what is written
// from them: a payroll line and its explanation are over 1 KB.
type KeyOrder struct {
	sorter   *extsort.Sorter
	err      error
	key, val []byte
	scratch  *evaluator.Snapshot // each row is converted into it, then added
	dec      evaluator.SnapshotDecoder
}

// NewKeyOrder sorts snapshots of p in a temporary directory under dir
// ("": the system's).
func NewKeyOrder(p *rules.Policy, dir string) *KeyOrder {
	return &KeyOrder{sorter: extsort.New(dir, 8<<20), scratch: evaluator.NewSnapshot(p)}
}

// Alloc is an empty snapshot to convert a row into before Add.
func (k *KeyOrder) Alloc() *evaluator.Snapshot {
	k.scratch.Reset()
	return k.scratch
}

// Add adds s, whose AppendBinary is bin (nil: encoded here).
func (k *KeyOrder) Add(s *evaluator.Snapshot, bin []byte) {
	if bin == nil {
		k.val = s.AppendBinary(k.val[:0])
		bin = k.val
	}
	k.key = append(append(append(k.key[:0], s.Subject...), 0), s.Period.Label...)
	if err := k.sorter.Add(k.key, bin); err != nil && k.err == nil {
		k.err = err
	}
}

// Each decodes the snapshots in key order, each into an empty one from
// next, and passes it to push.
func (k *KeyOrder) Each(ctx context.Context, next func() *evaluator.Snapshot, push func(*evaluator.Snapshot)) error {
	if k.err != nil {
		return k.err
	}
	n := 0
	return k.sorter.Each(func(val []byte) error {
		if n++; n%batchSize == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		s := next()
		if err := k.dec.DecodeInto(s, val); err != nil {
			return err
		}
		push(s)
		return nil
	})
}

// Close removes what the sort left on disk.
func (k *KeyOrder) Close() { k.sorter.Close() }
