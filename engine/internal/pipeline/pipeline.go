// Package pipeline is the one mechanism of rubric's parallel passes: a
// producer sends batches, workers on every core process them, and one
// goroutine takes them in the order they were sent (or as they are done).
// The engine's evaluation stream, its parallel reads, the team
// statistics, the history pass's subjects and rollup all run on it.
package pipeline

import (
	"sync"
	"sync/atomic"
)

// Pipe processes batches of type B on its workers and passes each to take,
// from one goroutine of its own, in the order they were sent (unless
// started unordered: then as they are done). At most inFlight batches are
// under way; a batch is reused once taken, so what it holds (buffers,
// slices) can be filled again.
type Pipe[B any] struct {
	work    chan *slot[B]
	order   chan *slot[B] // ordered: the slots in the order sent
	results chan *slot[B] // unordered: the slots as they are done
	free    chan *slot[B]
	stopped atomic.Bool
	wg      sync.WaitGroup
	taken   chan struct{}
}

type slot[B any] struct {
	b        B
	panicked any
	done     chan struct{}
}

// Start starts a pipe with workers goroutines, each running the function
// newWorker made for it on the batches it gets; a panic there (a bug) is
// caught and passed to take with its batch. take reports whether to go
// on: once it says stop, Send queues nothing more and the batches under
// way are taken no more (they may still be processed).
func Start[B any](workers, inFlight int, unordered bool, newWorker func() func(b *B), take func(b *B, panicked any) bool) *Pipe[B] {
	workers, inFlight = max(workers, 1), max(inFlight, 1)
	p := &Pipe[B]{work: make(chan *slot[B], inFlight), free: make(chan *slot[B], inFlight), taken: make(chan struct{})}
	for range inFlight {
		p.free <- &slot[B]{done: make(chan struct{}, 1)}
	}
	if unordered {
		p.results = make(chan *slot[B], inFlight)
	} else {
		p.order = make(chan *slot[B], inFlight)
	}
	for range workers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			process := newWorker()
			for s := range p.work {
				if !p.stopped.Load() {
					func() {
						defer func() {
							if r := recover(); r != nil {
								s.panicked = r
							}
						}()
						process(&s.b)
					}()
				}
				if p.results != nil {
					p.results <- s
				} else {
					s.done <- struct{}{}
				}
			}
		}()
	}
	go func() {
		defer close(p.taken)
		going := true
		next := p.order
		if unordered {
			next = p.results
		}
		for s := range next {
			if !unordered {
				<-s.done
			}
			if going && !take(&s.b, s.panicked) {
				going = false
				p.stopped.Store(true)
			}
			s.panicked = nil
			p.free <- s
		}
	}()
	return p
}

// Send takes a free batch (holding what it held the last time round),
// lets fill fill it and queues it, unless fill reports it empty. It
// blocks while inFlight batches are under way, and reports false, calling
// nothing, once take has said stop.
func (p *Pipe[B]) Send(fill func(b *B) bool) bool {
	if p.stopped.Load() {
		return false
	}
	s := <-p.free
	if p.stopped.Load() {
		p.free <- s
		return false
	}
	if !fill(&s.b) {
		p.free <- s
		return true
	}
	if p.order != nil {
		p.order <- s
	}
	p.work <- s
	return true
}

// Stopped reports whether take has said stop.
func (p *Pipe[B]) Stopped() bool { return p.stopped.Load() }

// Close waits until every batch sent is processed and taken. Send must
// not be called after it.
func (p *Pipe[B]) Close() {
	close(p.work)
	if p.order != nil {
		close(p.order)
		p.wg.Wait()
	} else {
		p.wg.Wait()
		close(p.results)
	}
	<-p.taken
}

// Ordered runs a pass over batches of up to size entries that reads on
// the calling goroutine, works on every core and takes the results in
// input order (a Pipe):
//
//   - fill fills a batch by reslicing the entries it is given (length 0;
//     the elements keep what they held the last time round, to be
//     reused) and reports whether more follows;
//   - each batch is then processed by one of workers goroutines, each with
//     the function newWorker made for it; a panic there (a bug) is caught
//     and passed on;
//   - take, on a goroutine of its own, gets the batches in the order they
//     were filled and reports whether to go on. Once it says stop, fill is
//     not called again and the batches under way are drained.
//
// Ordered returns when every goroutine is done: what take set may be read
// then.
func Ordered[E any](workers, size int, fill func(entries []E) ([]E, bool), newWorker func() func([]E), take func(entries []E, panicked any) bool) {
	p := Start(workers, 2*workers+2, false, func() func(*[]E) {
		process := newWorker()
		return func(b *[]E) { process(*b) }
	}, func(b *[]E, panicked any) bool { return take(*b, panicked) })
	for more := true; more; {
		ok := p.Send(func(b *[]E) bool {
			if *b == nil {
				*b = make([]E, 0, size) // made when first filled: a small input fills one
			}
			*b, more = fill((*b)[:0])
			return len(*b) > 0
		})
		if !ok {
			break
		}
	}
	p.Close()
}
