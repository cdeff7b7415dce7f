// Package pool evaluates a stream's snapshots on every core: batches go
// to the workers of a pipeline.Pipe, each worker evaluates and encodes
// its batch into bytes, and one goroutine writes the batches' bytes in
// the order they were sent. The snapshots go round: a worker empties
// those of the batch it has evaluated for the reader to fill again.
package pool

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/rubric-dev/rubric/engine/internal/pipeline"
	"github.com/rubric-dev/rubric/evaluator"
)

// BatchSize is the number of snapshots in a batch.
const BatchSize = 256

// evalBatch is a batch of snapshots on its way through the evaluation
// pipe, and the bytes its outcomes became.
type evalBatch struct {
	snaps   []*evaluator.Snapshot
	out     []byte              // kept from round to round: a run reuses a few buffers
	current *evaluator.Snapshot // the snapshot being evaluated, for error messages
	err     error               // a panic while evaluating it (a bug)
}

// Pool evaluates batches of snapshots on every core (a pipeline.Pipe)
// and hands their bytes to write, from one goroutine, in the order the
// batches were sent.
type Pool struct {
	pipe *pipeline.Pipe[evalBatch]
	// Snapshots go round: a worker empties those of a batch it has
	// evaluated, and the reader fills them with the next rows.
	snaps    chan []*evaluator.Snapshot
	panicErr error // set by take; read after close
	writeErr error
}

// Start starts workers goroutines that run eval on each snapshot of a
// batch (appending its bytes), and the ordered writer. file names the
// input in the error a panic becomes; evaluated, when not nil, counts the
// snapshots evaluated (a progress display).
func Start(ctx context.Context, workers int, file string, evaluated *atomic.Int64, eval func(o *evaluator.Outcome, s *evaluator.Snapshot, out []byte) []byte, write func([]byte) error) *Pool {
	pl := &Pool{snaps: make(chan []*evaluator.Snapshot, workers*4+4)}
	pl.pipe = pipeline.Start(workers, workers*4, false, func() func(*evalBatch) {
		var o evaluator.Outcome // reused: encode must not keep it
		return func(b *evalBatch) {
			evaluate(ctx, file, b, &o, eval)
			if evaluated != nil {
				evaluated.Add(int64(len(b.snaps)))
			}
			snaps := b.snaps
			b.snaps, b.current = nil, nil
			pl.recycle(snaps)
		}
	}, func(b *evalBatch, panicked any) bool {
		if panicked != nil && b.err == nil {
			b.err = fmt.Errorf("internal error while evaluating %s: %v (please report this with the policy and the input)", file, panicked)
		}
		if b.err != nil && pl.panicErr == nil {
			pl.panicErr = b.err
		}
		// After a failed write or a panic, later batches are taken unwritten.
		if pl.writeErr == nil && pl.panicErr == nil && len(b.out) > 0 {
			pl.writeErr = write(b.out)
		}
		b.err = nil
		return true
	})
	return pl
}

// evaluate runs one batch. A panic here is a bug in rubric. It must not
// take the process down half-way through a file: it fails the run with
// the snapshot that caused it, and nothing is written.
func evaluate(ctx context.Context, file string, b *evalBatch, o *evaluator.Outcome, eval func(o *evaluator.Outcome, s *evaluator.Snapshot, out []byte) []byte) {
	defer func() {
		if r := recover(); r != nil {
			s := b.current
			b.err = fmt.Errorf("internal error while evaluating %s line %d (%s %s): %v (please report this with the policy and the row)", file, s.Line, s.Subject, s.Period.Label, r)
			b.out = b.out[:0]
		}
	}()
	if ctx.Err() != nil {
		b.out = b.out[:0] // cancelled: nothing more is evaluated
		return
	}
	for _, s := range b.snaps {
		b.current = s
		b.out = eval(o, s, b.out)
	}
}

// recycle empties the snapshots of an evaluated batch for the reader.
func (pl *Pool) recycle(snaps []*evaluator.Snapshot) {
	for _, s := range snaps {
		s.Reset()
	}
	select {
	case pl.snaps <- snaps[:0]:
	default:
	}
}

// Snapshots returns an empty slice of snapshots to fill (up to BatchSize),
// recycled when one is free.
func (pl *Pool) Snapshots() []*evaluator.Snapshot {
	select {
	case s := <-pl.snaps:
		return s
	default:
		return make([]*evaluator.Snapshot, 0, BatchSize)
	}
}

// Send queues snaps as the next batch.
func (pl *Pool) Send(snaps []*evaluator.Snapshot) {
	pl.pipe.Send(func(b *evalBatch) bool {
		b.snaps, b.out = snaps, b.out[:0]
		return true
	})
}

// Close waits for every batch to be evaluated and written, and returns
// the error of a panic or of write.
func (pl *Pool) Close() (panicErr, writeErr error) {
	pl.pipe.Close()
	return pl.panicErr, pl.writeErr
}
