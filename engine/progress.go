package engine

import "sync/atomic"

// Progress counts what a run has read, for a progress display: a run's
// reader adds to it as it goes, and a display reads it from another
// goroutine. Total is the input's size in bytes when known (0 otherwise).
type Progress struct {
	Total     int64
	bytes     atomic.Int64
	rows      atomic.Int64
	evaluated atomic.Int64
}

// Read reports the bytes and rows read so far.
func (p *Progress) Read() (bytes, rows int64) { return p.bytes.Load(), p.rows.Load() }

// Evaluated reports the snapshots evaluated so far. It trails the rows
// read by a few batches, or, in a run that evaluates in key order
// (payroll), starts once every row is read.
func (p *Progress) Evaluated() int64 { return p.evaluated.Load() }
