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
func progress(e *env, files []string, quiet bool) (p *engine.Progress, stop func()) {
	p = &engine.Progress{}
	// A terminal that cannot redraw a line (TERM=dumb) or a CI log that
	// only looks like a terminal gets no progress line.
	if quiet || !isTerminal(e.stderr) || os.Getenv("TERM") == "dumb" || os.Getenv("CI") != "" {
		return p, func() {}
	}
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil || !fi.Mode().IsRegular() {
			p.Total = 0 // a pipe: no percentage
			break
		}
		p.Total += fi.Size()
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
				bytes, rows := p.Read()
				fmt.Fprint(e.stderr, "\r\033[K"+progressLine(p.Total, bytes, rows, p.Evaluated(), elapsed))
			}
		}
	}()
	return p, func() { close(done); <-finished }
}

// progressLine is the line shown: total is the input's size in bytes (0
// when unknown), bytes and rows what was read, evaluated the snapshots
// evaluated.
func progressLine(total, bytes, rows, evaluated int64, elapsed time.Duration) string {
	rate := float64(rows) / elapsed.Seconds()
	line := fmt.Sprintf("rubric: %d rows read, %.0f rows/s, %s elapsed", rows, rate, elapsed.Truncate(time.Second))
	switch {
	case total > 0 && bytes > 0 && bytes < total:
		left := time.Duration(float64(elapsed) * float64(total-bytes) / float64(bytes))
		line += fmt.Sprintf(", about %s left reading (%d%%)", left.Truncate(time.Second), 100*bytes/total)
	case rows > 0 && evaluated < rows && (total == 0 || bytes >= total):
		// Read to the end; evaluation goes on (a payroll run evaluates
		// in key order once every row is read).
		line += fmt.Sprintf(", %d evaluated", evaluated)
	}
	return line
}
