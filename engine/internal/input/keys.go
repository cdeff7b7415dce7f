package input

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/rubric-dev/rubric/engine/internal/fsutil"
)

// Keys is the set of (subject, period) keys read so far, each with the
// position it was first read at (Pos: a file of the input and a line). A key is 128 bits of two independently seeded
// hashes: two different keys collide with probability 2^-128, and the
// seeds are drawn per run, so no input can be built to collide.
//
// A set made by NewKeys lives in memory (about 40 bytes a key) and tells a
// duplicate at once. One made by NewSpillingKeys keeps that up to a number
// of keys, then moves to disk: every key from then on is written to one of
// a few partition files by its hash, Add no longer tells duplicates, and
// Late finds them at the end, one partition at a time, so memory stays
// flat whatever the size of the input.
type Keys struct {
	seeds [2]maphash.Seed
	first map[[2]uint64]int64
	limit int // keys held in memory before the set moves to disk; 0: never

	dir   string // the partition files' directory, once on disk
	parts []*partition
	err   error  // the first error writing a partition: keys are lost, the check fails
	rec   []byte // a key record being written, reused
}

// keyPartitions is the number of partition files: at 5M keys a partition
// holds about 80,000, checked with a map of a few MiB.
const keyPartitions = 64

type partition struct {
	f *os.File
	w *bufio.Writer
}

// NewKeys returns an empty set held in memory.
func NewKeys() *Keys {
	return &Keys{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, first: map[[2]uint64]int64{}}
}

// NewSpillingKeys returns an empty set that holds up to limit keys in
// memory and then moves to disk.
func NewSpillingKeys(limit int) *Keys {
	k := NewKeys()
	k.limit = limit
	return k
}

func (k *Keys) hash(subject, period string) [2]uint64 {
	var key [2]uint64
	for i, seed := range k.seeds {
		var h maphash.Hash
		h.SetSeed(seed)
		h.WriteString(subject)
		h.WriteByte(0)
		h.WriteString(period)
		key[i] = h.Sum64()
	}
	return key
}

// Add adds a key read at line:col, or, when it is already there, reports
// the line it was first read on. Once the set is on disk, Add reports no
// duplicate: Late finds them.
func (k *Keys) Add(subject, period string, line int64, col int) (first int64, dup bool) {
	key := k.hash(subject, period)
	if k.parts != nil {
		k.spill(key, line, col, subject, period)
		return 0, false
	}
	if f, dup := k.first[key]; dup {
		return f, true
	}
	k.first[key] = line
	if k.limit > 0 && len(k.first) >= k.limit {
		k.toDisk()
	}
	return 0, false
}

// toDisk creates the partition files and moves the keys in memory there.
// The keys in memory need no texts there: any duplicate of one of them
// comes later and is the one reported, with the texts it was read with.
// When the files cannot be made (no temporary space), the set stays in
// memory, exact as before.
func (k *Keys) toDisk() {
	k.limit = 0
	dir, err := fsutil.MkdirTemp("", ".rubric-keys-*")
	if err != nil {
		return
	}
	parts := make([]*partition, keyPartitions)
	for i := range parts {
		f, err := fsutil.OpenFile(filepath.Join(dir, fmt.Sprint(i)), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
		if err != nil {
			for _, p := range parts[:i] {
				p.f.Close()
			}
			fsutil.Remove(dir)
			return
		}
		parts[i] = &partition{f: f, w: bufio.NewWriterSize(f, 16<<10)}
	}
	k.dir, k.parts = dir, parts
	for key, line := range k.first {
		k.spill(key, line, 0, "", "")
	}
	k.first = nil
}

// spill appends a key to its partition: the hash, line, column and texts.
func (k *Keys) spill(key [2]uint64, line int64, col int, subject, period string) {
	rec := binary.LittleEndian.AppendUint64(k.rec[:0], key[0])
	rec = binary.LittleEndian.AppendUint64(rec, key[1])
	rec = binary.AppendUvarint(rec, uint64(line))
	rec = binary.AppendUvarint(rec, uint64(col))
	rec = binary.AppendUvarint(rec, uint64(len(subject)))
	rec = binary.AppendUvarint(rec, uint64(len(period)))
	k.rec = rec
	w := k.parts[key[0]>>58].w // the top 6 bits: 64 partitions
	w.Write(rec)
	w.WriteString(subject)
	if _, err := w.WriteString(period); err != nil && k.err == nil {
		k.err = fmt.Errorf("cannot keep the duplicate check on disk: %w", err)
	}
}

// A Duplicate is a key read again: at Line (a position, Pos) and Column,
// first read at First.
type Duplicate struct {
	Line, First     int64
	Column          int
	Subject, Period string
}

// Pos is a position in an input of several files: the file's index and a
// line in it, in one number that orders positions as the input reads them.
func Pos(part, line int) int64 { return int64(part)<<32 | int64(uint32(line)) }

// SplitPos is the file index and line of a Pos.
func SplitPos(p int64) (part, line int) { return int(p >> 32), int(uint32(p)) }

// Late returns the duplicates Add did not report (those read after the set
// moved to disk), by line, and removes the partition files. The set is
// empty afterwards.
func (k *Keys) Late() ([]Duplicate, error) {
	if k.parts == nil {
		return nil, nil
	}
	defer k.Close()
	var dups []Duplicate
	first := map[[2]uint64]int64{}
	var kr keyReader
	for _, p := range k.parts {
		if err := p.w.Flush(); err != nil {
			return nil, fmt.Errorf("cannot keep the duplicate check on disk: %w", err)
		}
		if _, err := p.f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		clear(first)
		kr.r = bufio.NewReaderSize(p.f, 32<<10)
		for {
			d, key, err := kr.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("reading back the duplicate check: %w", err)
			}
			if f, ok := first[key]; ok {
				d.First = f
				d.Subject, d.Period = kr.texts()
				dups = append(dups, d)
				continue
			}
			first[key] = d.Line
		}
	}
	slices.SortFunc(dups, func(a, b Duplicate) int { return cmp.Compare(a.Line, b.Line) })
	return dups, k.err
}

// keyReader reads back the key records of a partition.
type keyReader struct {
	r    *bufio.Reader
	buf  []byte // the last record's subject and period, back to back (reused)
	subj int    // the subject's length in buf
}

// next reads a key record: its line and column, and its hash; texts gives
// its subject and period.
func (kr *keyReader) next() (d Duplicate, key [2]uint64, err error) {
	h, err := kr.r.Peek(16) // no copy: a buffer passed to io.ReadFull would escape, one allocation a key
	if len(h) < 16 {
		if err == io.EOF && len(h) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return d, key, err
	}
	key[0], key[1] = binary.LittleEndian.Uint64(h[:8]), binary.LittleEndian.Uint64(h[8:])
	kr.r.Discard(16)
	var n [4]uint64
	for i := range n {
		if n[i], err = binary.ReadUvarint(kr.r); err != nil {
			return d, key, noEOF(err)
		}
	}
	// A subject or period may be as long as a cell of the input; only a
	// length no reader could have produced is corrupt.
	if n[2] > 1<<31 || n[3] > 1<<31 {
		return d, key, errors.New("a key record is corrupt")
	}
	kr.buf = slices.Grow(kr.buf[:0], int(n[2]+n[3]))[:n[2]+n[3]]
	if _, err := io.ReadFull(kr.r, kr.buf); err != nil {
		return d, key, noEOF(err)
	}
	kr.subj = int(n[2])
	d.Line, d.Column = int64(n[0]), int(n[1])
	return d, key, nil
}

// texts returns the last record's subject and period.
func (kr *keyReader) texts() (subject, period string) {
	return string(kr.buf[:kr.subj]), string(kr.buf[kr.subj:])
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Close removes the partition files, if any.
func (k *Keys) Close() {
	for _, p := range k.parts {
		p.f.Close()
	}
	if k.dir != "" {
		fsutil.Remove(k.dir)
	}
	k.parts, k.dir = nil, ""
}
