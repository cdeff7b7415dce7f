// Package extsort sorts records by key with bounded memory: records are
// buffered up to a byte limit, sorted and spilled to temporary run files,
// then merged. Equal keys keep the order they were added in.
//
// Two things keep it cheap on the inputs rubric sees. Runs are compressed
// (S2, github.com/klauspost/compress): sort records are payroll rows and
// their explanations, repetitive text that shrinks several times, so a
// spill writes and reads a fraction of its bytes. And a run continues
// while the input is in order: when a sorted buffer starts at or after the
// last key of the open run, it is appended to that run instead of
// starting a new one, so input that arrives sorted, or in a few sorted
// stretches (a month's export after another's), makes a few long runs and
// a single merge pass at any size, while random input still merges runs of
// the buffer's size.
package extsort

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"slices"

	"github.com/klauspost/compress/s2"

	"github.com/rubric-dev/rubric/engine/internal/fsutil"
)

// blockSize is the S2 block size of a run: small enough that a merge
// holding MaxFanIn runs open stays within a few MiB.
const blockSize = 64 << 10

// ioSize is the buffer between a run's compressed blocks and its file: a
// system call per block (a few KiB compressed) would cost more than the
// compression.
const ioSize = 256 << 10

// Sorter collects records and returns them sorted by key.
//
// A full buffer is sorted and written on a goroutine of its own while the
// next one fills (two buffers of half the limit each), so that the caller,
// which in rubric holds back every core's work while it adds, does not
// wait for a spill.
type Sorter struct {
	dir   string
	limit int // of each of the two buffers: half the limit asked
	cur   buffer
	spare buffer // empty, with the capacity of a spilled buffer
	seq   uint64

	spilling *buffer    // the buffer being spilled behind; nil for none
	done     chan error // its outcome
	err      error      // the first error of a spill

	// Touched by spill and finish only, one at a time, after done.
	runs []*os.File // finished runs, rewound
	open *runWriter // the run that sorted buffers may continue; nil for none
}

// buffer is records held in memory.
type buffer struct {
	items []item
	arena []byte // every buffered key and value, back to back
}

// item is a buffered record: its key and value in the arena.
type item struct {
	off      int
	klen     int
	vlen     int
	seq      uint64
	keyStart uint64 // the key's first bytes, big-endian, to compare most keys without the arena
}

func (b *buffer) key(it *item) []byte { return b.arena[it.off : it.off+it.klen] }
func (b *buffer) val(it *item) []byte {
	return b.arena[it.off+it.klen : it.off+it.klen+it.vlen]
}

// New returns a Sorter that spills to dir ("" for the system temp dir),
// holding at most about limit bytes of records in memory.
func New(dir string, limit int) *Sorter { return &Sorter{dir: dir, limit: max(limit/2, 1)} }

// Add adds a record. key and val are copied. An error is that of a spill:
// the one behind, or one this Add waits for.
func (s *Sorter) Add(key, val []byte) error {
	b := &s.cur
	off := len(b.arena)
	b.arena = append(append(b.arena, key...), val...)
	b.items = append(b.items, item{off: off, klen: len(key), vlen: len(val), seq: s.seq, keyStart: prefix(key)})
	s.seq++
	if len(b.arena)+len(b.items)*48 >= s.limit {
		return s.spillBehind()
	}
	return s.err
}

// spillBehind spills the current buffer on a goroutine of its own, once
// the one before it is written, and fills the other meanwhile.
func (s *Sorter) spillBehind() error {
	if err := s.wait(); err != nil {
		s.cur.items, s.cur.arena = s.cur.items[:0], s.cur.arena[:0] // the sort has failed: hold no more
		return err
	}
	full := new(buffer)
	*full, s.cur, s.spare = s.cur, s.spare, buffer{}
	s.spilling, s.done = full, make(chan error, 1)
	go func() { s.done <- s.spill(full) }()
	return nil
}

// wait waits for the spill behind, if any, and returns the first error of
// any spill.
func (s *Sorter) wait() error {
	if s.spilling != nil {
		if err := <-s.done; err != nil && s.err == nil {
			s.err = err
		}
		s.spare = buffer{items: s.spilling.items[:0], arena: s.spilling.arena[:0]}
		s.spilling, s.done = nil, nil
	}
	return s.err
}

func prefix(key []byte) uint64 {
	var b [8]byte
	copy(b[:], key)
	return binary.BigEndian.Uint64(b[:])
}

func (b *buffer) sort() {
	slices.SortFunc(b.items, func(x, y item) int {
		if x.keyStart != y.keyStart {
			if x.keyStart < y.keyStart {
				return -1
			}
			return 1
		}
		if c := bytes.Compare(b.key(&x), b.key(&y)); c != 0 {
			return c
		}
		if x.seq < y.seq {
			return -1
		}
		return 1
	})
}

// spill sorts b and writes it to a run: the open run when b's first key
// is not before the run's last, else a new one.
func (s *Sorter) spill(b *buffer) error {
	if len(b.items) == 0 {
		return nil
	}
	b.sort()
	if s.open != nil && bytes.Compare(b.key(&b.items[0]), s.open.last) < 0 {
		if err := s.finish(); err != nil {
			return err
		}
	}
	if s.open == nil {
		w, err := s.newRun()
		if err != nil {
			return err
		}
		s.open = w
	}
	for i := range b.items {
		it := &b.items[i]
		s.open.write(b.key(it), b.val(it), it.seq)
	}
	s.open.last = append(s.open.last[:0], b.key(&b.items[len(b.items)-1])...)
	return s.open.err()
}

// finish closes the open run and adds it to the finished ones.
func (s *Sorter) finish() error {
	if s.open == nil {
		return nil
	}
	f, err := s.open.close()
	s.open = nil
	if err != nil {
		return err
	}
	s.runs = append(s.runs, f)
	return nil
}

// runWriter writes one compressed run file.
type runWriter struct {
	f    *os.File
	fw   *bufio.Writer // the file's buffer: compressed blocks are written ioSize bytes at a time
	z    *s2.Writer
	w    *bufio.Writer
	last []byte // the last key written
	hdr  [binary.MaxVarintLen64 * 3]byte
}

func (s *Sorter) newRun() (*runWriter, error) {
	f, err := fsutil.CreateTemp(s.dir, ".rubric-sort-*")
	if err != nil {
		return nil, err
	}
	fw := bufio.NewWriterSize(f, ioSize)
	z := s2.NewWriter(fw, s2.WriterBlockSize(blockSize), s2.WriterConcurrency(1))
	return &runWriter{f: f, fw: fw, z: z, w: bufio.NewWriterSize(z, blockSize)}, nil
}

func (r *runWriter) write(key, val []byte, seq uint64) {
	n := binary.PutUvarint(r.hdr[:], uint64(len(key)))
	n += binary.PutUvarint(r.hdr[n:], uint64(len(val)))
	n += binary.PutUvarint(r.hdr[n:], seq)
	r.w.Write(r.hdr[:n])
	r.w.Write(key)
	r.w.Write(val)
}

// err is the first write error so far (bufio keeps it).
func (r *runWriter) err() error {
	_, err := r.w.Write(nil)
	return err
}

// close flushes the run and rewinds it for reading.
func (r *runWriter) close() (*os.File, error) {
	err := r.w.Flush()
	if err == nil {
		err = r.z.Close()
	}
	if err == nil {
		err = r.fw.Flush()
	}
	if err == nil {
		_, err = r.f.Seek(0, io.SeekStart)
	}
	if err != nil {
		closeRun(r.f)
		return nil, err
	}
	return r.f, nil
}

func closeRun(f *os.File) {
	f.Close()
	fsutil.Remove(f.Name())
}

// MaxFanIn is the most run files merged at once: more are merged in
// passes, so a large input never holds more files open than this.
const MaxFanIn = 64

// merge calls fn with every record of runs in key order (then seq). The
// record passed to fn is valid until fn returns.
func merge(runs []*os.File, fn func(key, val []byte, seq uint64) error) error {
	h := &mergeHeap{}
	for _, f := range runs {
		z := s2.NewReader(bufio.NewReaderSize(f, ioSize), s2.ReaderMaxBlockSize(blockSize))
		r := &run{r: bufio.NewReaderSize(z, blockSize)}
		ok, err := r.next()
		if err != nil {
			return err
		}
		if ok {
			h.items = append(h.items, r)
		}
	}
	heap.Init(h)
	for h.Len() > 0 {
		r := h.items[0]
		if err := fn(r.key(), r.val(), r.seq); err != nil {
			return err
		}
		ok, err := r.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return nil
}

// Each calls fn with every value in key order. The value is valid until fn
// returns.
func (s *Sorter) Each(fn func(val []byte) error) error {
	if err := s.wait(); err != nil {
		return err
	}
	if len(s.runs) == 0 && s.open == nil {
		b := &s.cur
		b.sort()
		for i := range b.items {
			if err := fn(b.val(&b.items[i])); err != nil {
				return err
			}
		}
		return nil
	}
	if err := s.spill(&s.cur); err != nil {
		return err
	}
	s.cur, s.spare = buffer{}, buffer{} // the merge needs memory of its own
	if err := s.finish(); err != nil {
		return err
	}
	// Merge in passes of at most MaxFanIn runs (the seq of each record
	// keeps equal keys in the order they were added). The first pass
	// merges only as many as leave MaxFanIn for the last, so that as few
	// records as may be are written twice.
	for len(s.runs) > MaxFanIn {
		group := s.runs[:min(MaxFanIn, len(s.runs)-MaxFanIn+1)]
		w, err := s.newRun()
		if err != nil {
			return err
		}
		err = merge(group, func(key, val []byte, seq uint64) error { w.write(key, val, seq); return w.err() })
		merged, cerr := w.close()
		if err == nil {
			err = cerr
		}
		if err != nil {
			if merged != nil {
				closeRun(merged)
			}
			return err
		}
		for _, f := range group {
			closeRun(f)
		}
		s.runs = append(s.runs[len(group):], merged)
	}
	return merge(s.runs, func(_, val []byte, _ uint64) error { return fn(val) })
}

// Runs is the number of run files written so far (for tests and
// benchmarks: sorted input makes one).
func (s *Sorter) Runs() int {
	s.wait()
	if s.open != nil {
		return len(s.runs) + 1
	}
	return len(s.runs)
}

// Close removes the run files.
func (s *Sorter) Close() {
	s.wait()
	if s.open != nil {
		closeRun(s.open.f)
		s.open = nil
	}
	for _, f := range s.runs {
		closeRun(f)
	}
	s.runs = nil
}

// run is a run being merged: its reader and current record.
type run struct {
	r    *bufio.Reader
	buf  []byte // the current key and value
	klen int
	seq  uint64
}

func (r *run) key() []byte { return r.buf[:r.klen] }
func (r *run) val() []byte { return r.buf[r.klen:] }

func (r *run) next() (bool, error) {
	kl, err := binary.ReadUvarint(r.r)
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	vl, err := binary.ReadUvarint(r.r)
	if err != nil {
		return false, errors.New("extsort: truncated run")
	}
	seq, err := binary.ReadUvarint(r.r)
	if err != nil {
		return false, errors.New("extsort: truncated run")
	}
	r.buf = slices.Grow(r.buf[:0], int(kl+vl))[:kl+vl]
	if _, err := io.ReadFull(r.r, r.buf); err != nil {
		return false, errors.New("extsort: truncated run")
	}
	r.klen, r.seq = int(kl), seq
	return true, nil
}

type mergeHeap struct{ items []*run }

func (h *mergeHeap) Len() int { return len(h.items) }
func (h *mergeHeap) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	if c := bytes.Compare(a.key(), b.key()); c != 0 {
		return c < 0
	}
	return a.seq < b.seq
}
func (h *mergeHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *mergeHeap) Push(x any)    { h.items = append(h.items, x.(*run)) }
func (h *mergeHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}
