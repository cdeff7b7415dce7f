// Package pipeline runs the passes that read on one goroutine, work on
// every core and take the results in input order: one mechanism for the
// engine's parallel reads and for its capabilities (rollup).
package pipeline

import "sync"

// Ordered runs a pipeline over batches of up to size entries, for the
// passes that read on one goroutine, work on every core and take the
// results in input order:
//
//   - fill, on a goroutine of its own, fills a batch by reslicing the
//     entries it is given (length 0; the elements keep what they held the
//     last time round, to be reused) and reports whether more follows;
//   - each batch is then processed by one of workers goroutines, each with
//     the function newWorker made for it; a panic there (a bug) is caught
//     and passed on;
//   - take, on the calling goroutine, gets the batches in the order they
//     were filled and reports whether to go on. Once it says stop, fill is
//     not called again and the batches under way are drained.
//
// Ordered returns when every goroutine is done.
func Ordered[E any](workers, size int, fill func(entries []E) ([]E, bool), newWorker func() func([]E), take func(entries []E, panicked any) bool) {
	type batch struct {
		entries  []E
		panicked any
		done     chan struct{}
	}
	free := make(chan *batch, 2*workers+2)
	for range cap(free) {
		free <- &batch{done: make(chan struct{}, 1)} // entries made when first filled: a small input fills one
	}
	work := make(chan *batch, workers)
	order := make(chan *batch, cap(free))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			process := newWorker()
			for b := range work {
				func() {
					defer func() {
						if r := recover(); r != nil {
							b.panicked = r
						}
					}()
					process(b.entries)
				}()
				b.done <- struct{}{}
			}
		}()
	}
	go func() {
		defer close(order)
		defer close(work)
		for more := true; more; {
			var b *batch
			select {
			case b = <-free:
			case <-stop:
				return
			}
			if b.entries == nil {
				b.entries = make([]E, 0, size)
			}
			b.entries, more = fill(b.entries[:0])
			if len(b.entries) > 0 {
				work <- b
				order <- b
			}
		}
	}()
	going := true
	for b := range order {
		<-b.done
		if going && !take(b.entries, b.panicked) {
			going = false
			close(stop)
		}
		b.panicked = nil
		free <- b
	}
	wg.Wait()
}
