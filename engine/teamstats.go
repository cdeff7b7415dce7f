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
//
// When bad input fails the run, a CSV file is split into rows on the
// workers too, chunk by chunk (teamStatsChunks), unless a row that is not
// plain turns up; the pass then starts again and reads as the main pass
// does.
func (p *Policy) teamStats(ctx context.Context, ev *evaluator.Evaluator, open func() (io.ReadCloser, error), name, format string, workers int, exactDups bool) (*evaluator.Stats, error) {
	stats := evaluator.NewStats(p.Rules())
	only := statsOnly(p.Rules(), stats, exactDups)
	if only != nil && format == input.FormatCSV {
		if plain, err := p.teamStatsChunks(ctx, stats, open, name, workers, only); err != nil || plain {
			return stats, err
		}
		stats = evaluator.NewStats(p.Rules())
	}
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
			defaults(s, used)
		default:
			ev.Derive(s)
		}
	}
}

// defaults gives each metric of used missing in s its default, as Derive
// would (none of them is derived).
func defaults(s *evaluator.Snapshot, used []*rules.Metric) {
	for _, m := range used {
		if m.Default != nil && !s.Values[m.Decl.Slot].Has() {
			s.Values[m.Decl.Slot] = evaluator.Num(*m.Default)
		}
	}
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

// teamStatsChunks is the statistics pass over a CSV file whose rows are
// split on the workers, chunk by chunk, reading only the slots only says:
// the reading goroutine reads bytes and finds line ends. It adds to stats
// and reports whether every row was plain; if not, stats holds part of
// the file and the caller reads it again.
func (p *Policy) teamStatsChunks(ctx context.Context, stats *evaluator.Stats, open func() (io.ReadCloser, error), name string, workers int, only []bool) (plain bool, err error) {
	rc, err := open()
	if err != nil {
		return false, err
	}
	defer rc.Close()
	chunks, err := input.NewCSVChunks(rc, name)
	if err != nil {
		if isInputError(err) {
			return true, nil // reported by the second pass
		}
		return false, err
	}
	var readErr error // set by fill, read once ordered returns
	fill := func(entries []statsChunk) ([]statsChunk, bool) {
		e := &entries[:1][0]
		var err error
		if e.data, e.line, err = chunks.Next(e.data); err != nil {
			if err != io.EOF && !isInputError(err) { // input that cannot be read further: the main pass reports it
				readErr = err
			}
			return entries[:0], false
		}
		readErr = ctx.Err()
		return entries[:1], readErr == nil
	}
	newWorker := func() func([]statsChunk) {
		conv := input.NewConverter(p.Rules(), name)
		conv.LeaveDuplicates()
		conv.Only(only)
		split := chunks.Splitter()
		var rec input.Record
		return func(entries []statsChunk) {
			e := &entries[0]
			e.n = 0
			e.plain = split.Rows(e.data, e.line, &rec, func(rec *input.Record, ok bool) {
				if !ok {
					return // the main pass rejects it
				}
				if e.n == len(e.snaps) {
					e.snaps = append(e.snaps, evaluator.NewSnapshot(p.Rules()))
				}
				if conv.StatsInto(rec, e.snaps[e.n]) {
					e.n++
				}
			})
		}
	}
	plain = true
	var bug error
	ordered(workers, 1, fill, newWorker, func(entries []statsChunk, panicked any) bool {
		if panicked != nil {
			bug = fmt.Errorf("internal error in the team statistics pass: %v", panicked)
			return false
		}
		e := &entries[0]
		if !e.plain {
			plain = false
			return false
		}
		for _, s := range e.snaps[:e.n] {
			stats.Add(s)
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
