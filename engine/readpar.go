package engine

import (
	"context"
	"fmt"

	"github.com/rubric-dev/rubric/engine/internal/input"
	"github.com/rubric-dev/rubric/engine/internal/pipeline"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// readEntry is one record, or the error reading it, and what converting
// it gave.
type readEntry struct {
	rec  input.Record
	err  error
	snap *evaluator.Snapshot // kept from batch to batch
	errs []*InputError
	bin  []byte // snap.AppendBinary, when it converted without error
}

// readInParallel is readSnapshots with the conversion on every worker, for
// a stream that evaluates nothing until every row is read (InKeyOrder),
// which would otherwise leave all cores but one idle meanwhile. Records
// are read on one goroutine, converted on the workers (each with a
// converter of its own that leaves duplicates alone), and taken back in
// input order on this goroutine, where duplicates, errors, rejects and emit
// go exactly as in readSnapshots, with conv. The workers also encode each
// good snapshot (AppendBinary), which emit receives beside it.
func readInParallel(ctx context.Context, rp *rules.Policy, rr input.Reader, conv *input.Converter, rejects *rejectWriter, res *StreamResult, opts StreamOptions, workers int, emit func(*evaluator.Snapshot, []byte)) (failing bool, readErr error) {
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
	r := &reading{conv: conv, rejects: rejects, res: res, opts: opts, emit: func(s *evaluator.Snapshot) { emit(s, e.bin) }}
	convert := func() (*evaluator.Snapshot, []*InputError) {
		conv.NoteColumns(&e.rec)
		if len(e.errs) > 0 {
			return nil, e.errs
		}
		if d := conv.CheckDuplicate(&e.rec, e.snap); d != nil {
			return nil, []*InputError{d}
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
