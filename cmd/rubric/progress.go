package main

import (
	"fmt"
	"os"
	"time"

	"github.com/rubric-dev/rubric/engine"
)

// progress shows a long run's progress on standard error when it is a
// terminal (and not --quiet): rows read, rows per second, elapsed time, and
// the time left when the input's size is known. It says nothing for the
// first two seconds, so short runs stay quiet. stop erases the line.
func progress(e *env, input string, quiet bool) (p *engine.Progress, stop func()) {
	p = &engine.Progress{}
	if quiet || !isTerminal(e.stderr) {
		return p, func() {}
	}
	if fi, err := os.Stat(input); err == nil && fi.Mode().IsRegular() {
		p.Total = fi.Size()
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		shown := false
		for {
			select {
			case <-done:
				if shown {
					fmt.Fprint(e.stderr, "\r\033[K")
				}
				return
			case <-tick.C:
				elapsed := time.Since(start)
				if elapsed < 2*time.Second {
					continue
				}
				shown = true
				fmt.Fprint(e.stderr, "\r\033[K"+progressLine(p, elapsed))
			}
		}
	}()
	return p, func() { close(done); <-finished }
}

func progressLine(p *engine.Progress, elapsed time.Duration) string {
	bytes, rows := p.Read()
	rate := float64(rows) / elapsed.Seconds()
	line := fmt.Sprintf("rubric: %d rows read, %.0f rows/s, %s elapsed", rows, rate, elapsed.Truncate(time.Second))
	if p.Total > 0 && bytes > 0 && bytes < p.Total {
		left := time.Duration(float64(elapsed) * float64(p.Total-bytes) / float64(bytes))
		line += fmt.Sprintf(", about %s left (%d%%)", left.Truncate(time.Second), 100*bytes/p.Total)
	}
	return line
}
