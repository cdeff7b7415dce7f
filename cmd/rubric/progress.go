package main

import (
	"fmt"
	"os"
	"time"

	"github.com/rubric-dev/rubric/engine"
)

// progress shows a long run's progress on standard error when it is a
// terminal (and not --quiet): its phase (reading, then evaluating what
// was read), that phase's rate, share done and time left where the size
// is known, and the time elapsed. It says nothing for the
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
		var ph phases
		for {
			select {
			case <-done:
				if shown {
					fmt.Fprint(e.stderr, "\r\033[K")
				}
				return
			case <-tick.C:
				elapsed := time.Since(start)
				bytes, rows := p.Read()
				line := ph.line(p.Total, bytes, rows, p.Evaluated(), elapsed)
				if elapsed < 2*time.Second {
					continue
				}
				shown = true
				fmt.Fprint(e.stderr, "\r\033[K"+line)
			}
		}
	}()
	return p, func() { close(done); <-finished }
}

// phases follows a run from tick to tick: reading (rows and bytes grow),
// then evaluating what was read (a payroll run or a history policy
// evaluates once every row is read), each phase with its own rate and,
// where the size is known, its share done and the time left.
type phases struct {
	lastRows  int64
	readEnd   time.Duration // when reading was seen to end; 0 while reading
	evalAtEnd int64         // the snapshots evaluated by then
}

// line is the line shown: total is the input's size in bytes (0 when
// unknown, a pipe), bytes and rows what was read, evaluated the snapshots
// evaluated.
func (ph *phases) line(total, bytes, rows, evaluated int64, elapsed time.Duration) string {
	ended := total > 0 && bytes >= total || total == 0 && rows > 0 && rows == ph.lastRows
	ph.lastRows = rows
	if !ended || evaluated >= rows {
		ph.readEnd = 0
		rate := float64(rows) / elapsed.Seconds()
		line := fmt.Sprintf("rubric: reading, %d rows, %.0f rows/s, %s elapsed", rows, rate, elapsed.Truncate(time.Second))
		if total > 0 && bytes > 0 && bytes < total {
			left := time.Duration(float64(elapsed) * float64(total-bytes) / float64(bytes))
			line += fmt.Sprintf(", %d%%, about %s left", 100*bytes/total, left.Truncate(time.Second))
		}
		return line
	}
	if ph.readEnd == 0 {
		ph.readEnd, ph.evalAtEnd = elapsed, evaluated
	}
	line := fmt.Sprintf("rubric: evaluating, %d of %d (%d%%)", evaluated, rows, 100*evaluated/rows)
	if since := elapsed - ph.readEnd; since > 0 && evaluated > ph.evalAtEnd {
		rate := float64(evaluated-ph.evalAtEnd) / since.Seconds()
		left := time.Duration(float64(rows-evaluated) / rate * float64(time.Second))
		line += fmt.Sprintf(", %.0f/s, about %s left", rate, left.Truncate(time.Second))
	}
	return line + fmt.Sprintf(", %s elapsed", elapsed.Truncate(time.Second))
}
