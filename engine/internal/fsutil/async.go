package fsutil

import (
	"io"
	"sync/atomic"
)

// AsyncWriter is a buffered writer whose buffers are written to the
// underlying writer by a goroutine of its own, so the one who fills them
// (a merge, an encoder) does not wait for hashing and system calls. Its
// memory is bounded: three buffers of the given size. It is not safe for
// concurrent use; Close must be called, and reports the first error.
type AsyncWriter struct {
	w     io.Writer
	buf   []byte
	size  int
	full  chan []byte
	empty chan []byte
	done  chan error
	err   error                 // the writer goroutine's error, once known
	fail  atomic.Pointer[error] // set by the goroutine at its first error
}

// NewAsyncWriter returns an AsyncWriter to w with buffers of size bytes.
func NewAsyncWriter(w io.Writer, size int) *AsyncWriter {
	a := &AsyncWriter{w: w, size: size, full: make(chan []byte, 1), empty: make(chan []byte, 3), done: make(chan error, 1)}
	a.empty <- make([]byte, 0, size)
	a.empty <- make([]byte, 0, size)
	a.buf = make([]byte, 0, size)
	go a.run()
	return a
}

func (a *AsyncWriter) run() {
	var err error
	for b := range a.full {
		if err == nil {
			if _, err = a.w.Write(b); err != nil {
				a.fail.Store(&err)
			}
		}
		a.empty <- b[:0]
	}
	a.done <- err
}

// Write copies p into the current buffer, handing full buffers over. The
// error of an earlier buffer's write is returned once it is known (and by
// Close in any case).
func (a *AsyncWriter) Write(p []byte) (int, error) {
	if e := a.fail.Load(); e != nil {
		return 0, *e
	}
	n := len(p)
	for len(p) > 0 {
		room := a.size - len(a.buf)
		if room == 0 {
			a.handOver()
			continue
		}
		if room > len(p) {
			room = len(p)
		}
		a.buf = append(a.buf, p[:room]...)
		p = p[room:]
	}
	return n, nil
}

func (a *AsyncWriter) handOver() {
	a.full <- a.buf
	a.buf = <-a.empty
}

// Close writes what is buffered, waits for the goroutine and returns the
// first write error.
func (a *AsyncWriter) Close() error {
	if a.full == nil {
		return a.err
	}
	if len(a.buf) > 0 {
		a.full <- a.buf
	}
	close(a.full)
	a.err = <-a.done
	a.full = nil
	return a.err
}
