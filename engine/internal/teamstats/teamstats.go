// Package teamstats is the first pass over an input for team.* and
// all.*: every good snapshot derived and added to the team statistics,
// on every core (a pipeline), in input order, so the sums are the same
// bits as a serial pass's.
package teamstats

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/rubric-dev/rubric/engine/internal/input"
	"github.com/rubric-dev/rubric/engine/internal/pipeline"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// Pass is the first pass over the input: derive every good snapshot
// and add it to the team statistics. Conversion and derivation, most of
// its time, run on every worker, each with a converter of its own; the
// statistics are added in input order on one goroutine, so their sums are
// the same bits as a serial pass's, and a duplicate (subject, period)
// counts once, as the main pass keeps only its first good row (exactDups,
// when bad rows are skipped; otherwise a duplicate fails the run and the
// statistics are not used). Bad rows are left out here and reported by
// the main pass.
//
// A CSV file is split into rows on the workers too, chunk by chunk
// (Chunks), unless a row that is not plain turns up; the pass then starts
// again and reads as the main pass does (Records).
func Pass(ctx context.Context, rp *rules.Policy, ev *evaluator.Evaluator, open func() (io.ReadCloser, error), name, format string, workers int, exactDups bool) (*evaluator.Stats, error) {
	if format == input.FormatCSV {
		stats := evaluator.NewStats(rp)
		if plain, err := Chunks(ctx, rp, ev, stats, open, name, workers, exactDups); err != nil || plain {
			return stats, err
		}
	}
	return Records(ctx, rp, ev, func() (input.Reader, func(), error) {
		rc, err := open()
		if err != nil {
			return nil, nil, err
		}
		rr, err := input.NewReader(rc, name, format)
		if err != nil {
			rc.Close()
			return nil, nil, err
		}
		return rr, func() { rc.Close() }, nil
	}, name, workers, exactDups)
}

// Only returns the slots the statistics pass reads (Converter.Only),
// or nil to read everything. When bad input fails the run, a bad row here
// changes nothing (the main pass reports it and nothing is written), so
// the pass reads only what the statistics use: team, period and the
// metrics they sum, when none of those is derived.
func Only(p *rules.Policy, stats *evaluator.Stats, exactDups bool) []bool {
	if exactDups {
		return nil
	}
	only := make([]bool, p.Scope.Len())
	for _, m := range stats.Metrics() {
		if m.Derived != nil {
			return nil
		}
		only[m.Decl.Slot] = true
	}
	return only
}

// statsConverter returns a function for one worker that reads a record
// into a snapshot as the statistics need it and reports whether it is
// good: only the slots Only says (Converter.StatsInto), or the whole
// record, converted and derived, into a snapshot it resets. For a CSV
// file whose header is header, fields is how many leading fields of a row
// it reads (0: all).
func converter(rp *rules.Policy, ev *evaluator.Evaluator, name string, only []bool, header []string) (convert func(*input.Record, *evaluator.Snapshot) bool, fields int) {
	conv := input.NewConverter(rp, name)
	conv.LeaveDuplicates()
	if only != nil {
		conv.Only(only)
		return conv.StatsInto, conv.StatsFields(header)
	}
	return func(rec *input.Record, s *evaluator.Snapshot) bool {
		s.Reset()
		if _, errs := conv.ConvertInto(rec, s); len(errs) > 0 {
			return false
		}
		ev.Derive(s)
		return true
	}, 0
}

// statsAdder returns the function that adds a good snapshot to stats, in
// input order: with exactDups, only the first of a (subject, period).
func statsAdder(stats *evaluator.Stats, exactDups bool) func(*evaluator.Snapshot) {
	if !exactDups {
		return stats.Add
	}
	keys := input.NewKeys()
	return func(s *evaluator.Snapshot) {
		if _, dup := keys.Add(s.Subject, s.Period.Label, int64(s.Line), 0); !dup {
			stats.Add(s)
		}
	}
}

// statsEntry is a record of the statistics pass and what converting it
// gave.
type statsEntry struct {
	rec  input.Record
	snap *evaluator.Snapshot // kept from batch to batch
	ok   bool                // the record converted without error
}

// Records is the statistics pass over records read on one goroutine as
// the main pass reads them.
func Records(ctx context.Context, rp *rules.Policy, ev *evaluator.Evaluator, newReader func() (input.Reader, func(), error), name string, workers int, exactDups bool) (*evaluator.Stats, error) {
	stats := evaluator.NewStats(rp)
	rr, done, err := newReader()
	if err == nil {
		defer done()
	}
	if err != nil {
		var ie *input.Error
		if errors.As(err, &ie) {
			return stats, nil // reported by the second pass
		}
		return nil, err
	}

	only := Only(rp, stats, exactDups)
	var readErr error // set by fill, read once pipeline.Ordered returns
	fill := func(entries []statsEntry) ([]statsEntry, bool) {
		batch, more := input.NextBatch(rr, entries, func(e *statsEntry) *input.Record { return &e.rec }, func(_ *statsEntry, err error) bool {
			if err != nil && !input.IsError(err) {
				readErr = err
			}
			// A bad row is the main pass's to reject or report, and so is
			// input that cannot be read further.
			return err == nil
		})
		if more && readErr == nil {
			readErr = ctx.Err()
		}
		return batch, more && readErr == nil
	}
	newWorker := func() func([]statsEntry) {
		convert, _ := converter(rp, ev, name, only, nil)
		return func(entries []statsEntry) {
			for i := range entries {
				e := &entries[i]
				if e.snap == nil {
					e.snap = evaluator.NewSnapshot(rp)
				}
				e.ok = convert(&e.rec, e.snap)
			}
		}
	}
	add := statsAdder(stats, exactDups)
	var bug error
	pipeline.Ordered(workers, batchSize, fill, newWorker, func(entries []statsEntry, panicked any) bool {
		if bug = statsBug(panicked); bug != nil {
			return false
		}
		for i := range entries {
			if entries[i].ok {
				add(entries[i].snap)
			}
		}
		return true
	})
	if readErr != nil {
		return nil, readErr
	}
	if bug != nil {
		return nil, bug
	}
	return stats, nil
}

// statsBug is the error of a panic in the statistics pass (a bug), or nil.
func statsBug(panicked any) error {
	if panicked == nil {
		return nil
	}
	return fmt.Errorf("internal error in the team statistics pass: %v", panicked)
}

// statsChunk is a chunk of a CSV file's rows and what converting them
// gave.
type statsChunk struct {
	data  []byte
	line  int                   // the line data starts at
	snaps []*evaluator.Snapshot // its good rows' snapshots first; kept from batch to batch
	n     int                   // how many
	plain bool                  // every line of data is plain (input.RowSplitter.Rows)
}

// Chunks is the statistics pass over a CSV file whose rows are
// split on the workers, chunk by chunk: the reading goroutine reads bytes
// and finds line ends. It adds to stats and reports whether every row was
// plain; if not, stats holds part of the file and the caller reads it
// again.
func Chunks(ctx context.Context, rp *rules.Policy, ev *evaluator.Evaluator, stats *evaluator.Stats, open func() (io.ReadCloser, error), name string, workers int, exactDups bool) (plain bool, err error) {
	rc, err := open()
	if err != nil {
		return false, err
	}
	defer rc.Close()
	chunks, err := input.NewCSVChunks(rc, name)
	if err != nil {
		if input.IsError(err) {
			return true, nil // reported by the second pass
		}
		return false, err
	}
	only := Only(rp, stats, exactDups)
	var readErr error // set by fill, read once pipeline.Ordered returns
	fill := func(entries []statsChunk) ([]statsChunk, bool) {
		e := &entries[:1][0]
		var err error
		if e.data, e.line, err = chunks.Next(e.data); err != nil {
			if err != io.EOF && !input.IsError(err) { // input that cannot be read further: the main pass reports it
				readErr = err
			}
			return entries[:0], false
		}
		readErr = ctx.Err()
		return entries[:1], readErr == nil
	}
	newWorker := func() func([]statsChunk) {
		convert, fields := converter(rp, ev, name, only, chunks.Header())
		split := chunks.Splitter()
		split.Limit(fields) // the rest of a row is not read
		var rec input.Record
		return func(entries []statsChunk) {
			e := &entries[0]
			e.n = 0
			e.plain = split.Rows(e.data, e.line, &rec, func(rec *input.Record, ok bool) {
				if !ok {
					return // the main pass rejects it
				}
				if e.n == len(e.snaps) {
					e.snaps = append(e.snaps, evaluator.NewSnapshot(rp))
				}
				if convert(rec, e.snaps[e.n]) {
					e.n++
				}
			})
		}
	}
	add := statsAdder(stats, exactDups)
	plain = true
	var bug error
	pipeline.Ordered(workers, 1, fill, newWorker, func(entries []statsChunk, panicked any) bool {
		if bug = statsBug(panicked); bug != nil {
			return false
		}
		e := &entries[0]
		if !e.plain {
			plain = false
			return false
		}
		for _, s := range e.snaps[:e.n] {
			add(s)
		}
		return true
	})
	if bug != nil {
		return false, bug
	}
	if readErr != nil {
		return false, readErr
	}
	return plain, nil
}

// batchSize is how many records a batch of the records pass holds.
const batchSize = 256
