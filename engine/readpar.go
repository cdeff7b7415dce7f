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

// readBatch is a batch of records read in a row, converted by a worker.
type readBatch struct {
	entries []readEntry
	panic   any // a worker's panic (a bug), reported as an error
	done    chan struct{}
}

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
	free := make(chan *readBatch, 2*workers+2)
	for range cap(free) {
		free <- &readBatch{entries: make([]readEntry, 0, batchSize), done: make(chan struct{}, 1)}
	}
	work := make(chan *readBatch, workers)
	order := make(chan *readBatch, cap(free))
	stop := make(chan struct{}) // closed when the reading stops early
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := conv.Sibling()
			for b := range work {
				convertBatch(rp, c, b)
				b.done <- struct{}{}
			}
		}()
	}
	go func() {
		defer close(order)
		defer close(work)
		b := <-free
		for {
			n := len(b.entries)
			b.entries = b.entries[:n+1]
			e := &b.entries[n]
			err := input.NextInto(rr, &e.rec)
			if err == io.EOF {
				b.entries = b.entries[:n]
				break
			}
			e.err, e.errs = err, nil
			var ie *InputError
			last := err != nil && !(errors.As(err, &ie) && ie.Raw() != "") // reading cannot go on
			if n+1 < batchSize && !last {
				continue
			}
			work <- b
			order <- b
			if last || ctx.Err() != nil {
				return
			}
			select {
			case b = <-free:
			case <-stop:
				return
			}
		}
		if len(b.entries) > 0 {
			work <- b
			order <- b
		}
	}()

	var e *readEntry // the entry being taken
	r := &reading{conv: conv, rejects: rejects, res: res, opts: opts, emit: func(s *evaluator.Snapshot) { emit(s, e.bin) }}
	going := true
	for b := range order {
		<-b.done
		if going && b.panic != nil {
			r.err = fmt.Errorf("internal error while reading %s: %v (please report this with the policy and the input)", conv.File(), b.panic)
		}
		if going && r.err == nil {
			if err := ctx.Err(); err != nil {
				r.err = err
			}
		}
		for i := 0; going && r.err == nil && i < len(b.entries); i++ {
			e = &b.entries[i]
			going = r.record(&e.rec, e.err, func() (*evaluator.Snapshot, []*InputError) {
				conv.NoteColumns(&e.rec)
				if len(e.errs) > 0 {
					return nil, e.errs
				}
				if d := conv.CheckDuplicate(&e.rec, e.snap); d != nil {
					return nil, []*InputError{d}
				}
				return e.snap, nil
			})
		}
		if going && r.err != nil {
			going = false
		}
		if !going && stop != nil {
			close(stop)
			stop = nil
		}
		b.entries = b.entries[:0]
		free <- b
	}
	wg.Wait()
	if r.err == nil {
		r.err = ctx.Err() // the reader may have stopped for it
	}
	return r.finish()
}

// convertBatch converts a batch's records, each into its entry's snapshot,
// and encodes the good ones.
func convertBatch(rp *rules.Policy, c *input.Converter, b *readBatch) {
	defer func() {
		if r := recover(); r != nil {
			b.panic = r
		}
	}()
	for i := range b.entries {
		e := &b.entries[i]
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
