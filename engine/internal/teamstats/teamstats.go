// Package teamstats is the first pass over an input for team.* and
// all.*: every good snapshot derived and added to the team statistics,
// on every core (a pipeline), in input order, so the sums are the same
// bits as a serial pass's.
package teamstats

import (
	"context"
	"errors"
	"fmt"

	"github.com/rubric-dev/rubric/engine/internal/input"
	"github.com/rubric-dev/rubric/engine/internal/pipeline"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

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

// converter returns a function for one worker that reads a record into a
// snapshot as the statistics need it and reports whether it is good: only
// the slots Only says (Converter.StatsInto), or the whole record,
// converted and derived, into a snapshot it resets.
func converter(rp *rules.Policy, ev *evaluator.Evaluator, name string, only []bool) func(*input.Record, *evaluator.Snapshot) bool {
	conv := input.NewConverter(rp, name)
	conv.LeaveDuplicates()
	if only != nil {
		conv.Only(only)
		return conv.StatsInto
	}
	return func(rec *input.Record, s *evaluator.Snapshot) bool {
		s.Reset()
		if _, errs := conv.ConvertInto(rec, s); len(errs) > 0 {
			return false
		}
		ev.Derive(s)
		return true
	}
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

// Pass is the first pass over the input: derive every good snapshot
// and add it to the team statistics. Records are read on one goroutine as
// the main pass reads them (newReader opens the input); conversion and
// derivation, most of the pass's time, run on every worker, each with a
// converter of its own; the statistics are added in input order on one
// goroutine, so their sums are the same bits as a serial pass's, and a
// duplicate (subject, period) counts once, as the main pass keeps only its
// first good row (exactDups, when bad rows are skipped; otherwise a
// duplicate fails the run and the statistics are not used). Bad rows are
// left out here and reported by the main pass.
func Pass(ctx context.Context, rp *rules.Policy, ev *evaluator.Evaluator, newReader func() (input.Reader, func(), error), name string, workers int, exactDups bool) (*evaluator.Stats, error) {
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
		convert := converter(rp, ev, name, only)
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

// batchSize is how many records a batch of the records pass holds.
const batchSize = 256
