// Package extsort sorts records by key with bounded memory: records are
// buffered up to a byte limit, sorted and spilled to temporary run files,
// then merged. Equal keys keep the order they were added in.
package extsort

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"sort"

	"github.com/rubric-dev/rubric/engine/internal/fsutil"
)

// Sorter collects records and returns them sorted by key.
type Sorter struct {
	dir   string
	limit int
	buf   []item
	size  int
	runs  []*os.File
	seq   uint64
}

type item struct {
	key string
	val []byte
	seq uint64
}

// New returns a Sorter that spills to dir ("" for the system temp dir)
// whenever more than limit bytes are buffered.
func New(dir string, limit int) *Sorter { return &Sorter{dir: dir, limit: limit} }

// Add adds a record. val is copied.
func (s *Sorter) Add(key string, val []byte) error {
	s.buf = append(s.buf, item{key: key, val: append([]byte(nil), val...), seq: s.seq})
	s.seq++
	s.size += len(key) + len(val) + 48
	if s.size >= s.limit {
		return s.spill()
	}
	return nil
}

func (s *Sorter) sortBuf() {
	sort.Slice(s.buf, func(i, j int) bool {
		if s.buf[i].key != s.buf[j].key {
			return s.buf[i].key < s.buf[j].key
		}
		return s.buf[i].seq < s.buf[j].seq
	})
}

func (s *Sorter) spill() error {
	s.sortBuf()
	f, err := s.newRun(func(w *bufio.Writer) error {
		for _, it := range s.buf {
			writeItem(w, it)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.runs = append(s.runs, f)
	s.buf, s.size = s.buf[:0], 0
	return nil
}

// newRun writes a run file with fill and rewinds it.
func (s *Sorter) newRun(fill func(w *bufio.Writer) error) (*os.File, error) {
	f, err := fsutil.CreateTemp(s.dir, ".rubric-sort-*")
	if err != nil {
		return nil, err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	err = fill(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		closeRun(f)
		return nil, err
	}
	return f, nil
}

func writeItem(w *bufio.Writer, it item) {
	var hdr [binary.MaxVarintLen64 * 3]byte
	n := binary.PutUvarint(hdr[:], uint64(len(it.key)))
	n += binary.PutUvarint(hdr[n:], uint64(len(it.val)))
	n += binary.PutUvarint(hdr[n:], it.seq)
	w.Write(hdr[:n])
	w.WriteString(it.key)
	w.Write(it.val)
}

func closeRun(f *os.File) {
	f.Close()
	fsutil.Remove(f.Name())
}

// MaxFanIn is the most run files merged at once: more are merged in
// passes, so a large input never holds more files open than this.
const MaxFanIn = 64

// merge calls fn with every record of runs in key order (then seq).
func merge(runs []*os.File, fn func(it item) error) error {
	h := &mergeHeap{}
	for _, f := range runs {
		r := &run{r: bufio.NewReaderSize(f, 1<<16)}
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
		if err := fn(r.cur); err != nil {
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

// Each calls fn with every value in key order.
func (s *Sorter) Each(fn func(val []byte) error) error {
	if len(s.runs) == 0 {
		s.sortBuf()
		for _, it := range s.buf {
			if err := fn(it.val); err != nil {
				return err
			}
		}
		return nil
	}
	if len(s.buf) > 0 {
		if err := s.spill(); err != nil {
			return err
		}
	}
	// Merge in passes of at most MaxFanIn runs (the seq of each record
	// keeps equal keys in the order they were added).
	for len(s.runs) > MaxFanIn {
		group := s.runs[:MaxFanIn]
		merged, err := s.newRun(func(w *bufio.Writer) error {
			return merge(group, func(it item) error { writeItem(w, it); return nil })
		})
		if err != nil {
			return err
		}
		for _, f := range group {
			closeRun(f)
		}
		s.runs = append(s.runs[MaxFanIn:], merged)
	}
	return merge(s.runs, func(it item) error { return fn(it.val) })
}

// Close removes the run files.
func (s *Sorter) Close() {
	for _, f := range s.runs {
		closeRun(f)
	}
	s.runs = nil
}

type run struct {
	r   *bufio.Reader
	cur item
}

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
	buf := make([]byte, kl+vl)
	if _, err := io.ReadFull(r.r, buf); err != nil {
		return false, errors.New("extsort: truncated run")
	}
	r.cur = item{key: string(buf[:kl]), val: buf[kl:], seq: seq}
	return true, nil
}

type mergeHeap struct{ items []*run }

func (h *mergeHeap) Len() int { return len(h.items) }
func (h *mergeHeap) Less(i, j int) bool {
	a, b := h.items[i].cur, h.items[j].cur
	if a.key != b.key {
		return a.key < b.key
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
