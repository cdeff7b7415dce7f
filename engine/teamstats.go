package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/rubric-dev/rubric/engine/internal/input"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// statsBatch is a batch of records of the statistics pass, converted and
// derived by a worker.
type statsBatch struct {
	recs  []input.Record
	snaps []*evaluator.Snapshot // by record; reused from batch to batch
	ok    []bool                // the record converted without error
	panic any                   // a worker's panic (a bug), reported as an error
	done  chan struct{}
}

const statsBatchSize = 256

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

	free := make(chan *statsBatch, 2*workers+2)
	for range cap(free) {
		free <- &statsBatch{recs: make([]input.Record, 0, statsBatchSize), snaps: make([]*evaluator.Snapshot, statsBatchSize), ok: make([]bool, statsBatchSize), done: make(chan struct{}, 1)}
	}
	work := make(chan *statsBatch, workers)
	order := make(chan *statsBatch, cap(free))
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conv := input.NewConverter(p.Rules(), name)
			conv.LeaveDuplicates()
			if only != nil {
				conv.Only(only)
			}
			for b := range work {
				p.convertStats(conv, ev, b, only != nil, used)
				b.done <- struct{}{}
			}
		}()
	}
	var bug error
	combined := make(chan struct{})
	go func() {
		defer close(combined)
		var keys *input.Keys // only when bad rows are skipped: otherwise a duplicate fails the run
		if exactDups {
			keys = input.NewKeys()
		}
		for b := range order {
			<-b.done
			if b.panic != nil && bug == nil {
				bug = fmt.Errorf("internal error in the team statistics pass: %v", b.panic)
			}
			for i := range b.recs {
				if !b.ok[i] || bug != nil {
					continue
				}
				s := b.snaps[i]
				if keys == nil {
					stats.Add(s)
				} else if _, dup := keys.Add(s.Subject, s.Period.Label, s.Line, 0); !dup {
					stats.Add(s)
				}
			}
			b.recs, b.panic = b.recs[:0], nil
			free <- b
		}
	}()

	readErr := func() error {
		b := <-free
		defer func() {
			if len(b.recs) > 0 {
				work <- b
				order <- b
			}
		}()
		for {
			n := len(b.recs)
			b.recs = b.recs[:n+1]
			err := input.NextInto(rr, &b.recs[n])
			if err != nil {
				b.recs = b.recs[:n]
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				var ie *InputError
				if errors.As(err, &ie) {
					if ie.Raw() != "" {
						continue // a row that cannot be read: the main pass rejects it
					}
					return nil // reported by the main pass
				}
				return err
			}
			if n+1 == statsBatchSize {
				if err := ctx.Err(); err != nil {
					return err
				}
				work <- b
				order <- b
				b = <-free
			}
		}
	}()
	close(work)
	close(order)
	<-combined
	wg.Wait()
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
func (p *Policy) convertStats(conv *input.Converter, ev *evaluator.Evaluator, b *statsBatch, onlyUsed bool, used []*rules.Metric) {
	defer func() {
		if r := recover(); r != nil {
			b.panic = r
		}
	}()
	for i := range b.recs {
		s := b.snaps[i]
		if s == nil {
			s = evaluator.NewSnapshot(p.Rules())
			b.snaps[i] = s
		} else {
			s.Reset()
		}
		_, errs := conv.ConvertInto(&b.recs[i], s)
		b.ok[i] = len(errs) == 0
		switch {
		case !b.ok[i]:
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
