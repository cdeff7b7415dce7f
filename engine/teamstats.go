package engine

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/rubric-dev/rubric/engine/internal/input"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// statsEntry is a record of the statistics pass and what converting it
// gave.
type statsEntry struct {
	rec  input.Record
	snap *evaluator.Snapshot // kept from batch to batch
	ok   bool                // the record converted without error
}

// teamStats is the first pass over the input: derive every good snapshot
// and add it to the team statistics. Conversion and derivation, most of
// its time, run on every worker, each with a converter of its own; the
// statistics are added in input order on one goroutine, so their sums are
// the same bits as a serial pass's, and a duplicate (subject, period)
// counts once, as the main pass keeps only its first good row (exactDups,
// when bad rows are skipped; otherwise a duplicate fails the run and the
// statistics are not used). Bad rows are left out here and reported by
// the main pass.
func (p *Policy) teamStats(ctx context.Context, ev *evaluator.Evaluator, open func() (io.ReadCloser, error), name, format string, workers int, exactDups bool) (*evaluator.Stats, error) {
	stats := evaluator.NewStats(p.Rules())
	rc, err := open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	rr, err := input.NewReader(rc, name, format)
	if err != nil {
		var ie *InputError
		if errors.As(err, &ie) {
			return stats, nil // reported by the second pass
		}
		return nil, err
	}

	only := statsOnly(p.Rules(), stats, exactDups)
	used := stats.Metrics()
	var readErr error // set by fill, read once ordered returns
	fill := func(entries []statsEntry) ([]statsEntry, bool) {
		for n := 0; n < cap(entries); {
			entries = entries[:n+1]
			err := input.NextInto(rr, &entries[n].rec)
			if err == io.EOF {
				return entries[:n], false
			}
			switch {
			case err == nil:
			case rowError(err):
				continue // a row that cannot be read: the main pass rejects it
			case isInputError(err):
				return entries[:n], false // input that cannot be read further: the main pass reports it
			default:
				readErr = err
				return entries[:n], false
			}
			n++
		}
		if readErr = ctx.Err(); readErr != nil {
			return entries, false
		}
		return entries, true
	}
	newWorker := func() func([]statsEntry) {
		conv := input.NewConverter(p.Rules(), name)
		conv.LeaveDuplicates()
		if only != nil {
			conv.Only(only)
		}
		return func(entries []statsEntry) { p.convertStats(conv, ev, entries, only != nil, used) }
	}
	var keys *input.Keys // only when bad rows are skipped: otherwise a duplicate fails the run
	if exactDups {
		keys = input.NewKeys()
	}
	var bug error
	ordered(workers, batchSize, fill, newWorker, func(entries []statsEntry, panicked any) bool {
		if panicked != nil {
			bug = fmt.Errorf("internal error in the team statistics pass: %v", panicked)
			return false
		}
		for i := range entries {
			if !entries[i].ok {
				continue
			}
			s := entries[i].snap
			if keys == nil {
				stats.Add(s)
			} else if _, dup := keys.Add(s.Subject, s.Period.Label, s.Line, 0); !dup {
				stats.Add(s)
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

// statsOnly returns the slots the statistics pass reads (Converter.Only),
// or nil to read everything. When bad input fails the run, a bad row here
// changes nothing (the main pass reports it and nothing is written), so
// the pass reads only what the statistics use: team, period and the
// metrics they sum, when none of those is derived.
func statsOnly(p *rules.Policy, stats *evaluator.Stats, exactDups bool) []bool {
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

// convertStats converts and derives a batch, each snapshot into its slot.
// With only the used metrics read (Converter.Only), derivation is left
// out, as none of them is derived, and a used metric missing in the input
// takes its default, as Derive would give it.
func (p *Policy) convertStats(conv *input.Converter, ev *evaluator.Evaluator, entries []statsEntry, onlyUsed bool, used []*rules.Metric) {
	for i := range entries {
		e := &entries[i]
		if e.snap == nil {
			e.snap = evaluator.NewSnapshot(p.Rules())
		} else {
			e.snap.Reset()
		}
		s := e.snap
		_, errs := conv.ConvertInto(&e.rec, s)
		e.ok = len(errs) == 0
		switch {
		case !e.ok:
		case onlyUsed:
			for _, m := range used {
				if m.Default != nil && !s.Values[m.Decl.Slot].Has() {
					s.Values[m.Decl.Slot] = evaluator.Num(*m.Default)
				}
			}
		default:
			ev.Derive(s)
		}
	}
}
