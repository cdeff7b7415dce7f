package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/rubric-dev/rubric/engine/internal/extsort"
	"github.com/rubric-dev/rubric/engine/internal/fsutil"
	"github.com/rubric-dev/rubric/engine/internal/input"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// selection is the periods a run writes out (--period); the zero value
// selects every period.
type selection struct {
	ranges [][2]int // inclusive period indexes
}

// Selection is a set of periods chosen with labels and FROM..TO ranges.
type Selection struct{ s selection }

// NewSelection parses period specs of a policy's period kind; no specs
// select every period.
func NewSelection(specs []string, kind rules.PeriodKind) (Selection, error) {
	s, err := parseSelection(specs, kind)
	return Selection{s}, err
}

// Has reports whether p is selected.
func (s Selection) Has(p rules.Period) bool { return s.s.has(p) }

// parseSelection reads labels and FROM..TO ranges of the policy's period
// kind.
func parseSelection(specs []string, kind rules.PeriodKind) (selection, error) {
	var sel selection
	for _, spec := range specs {
		from, to, isRange := strings.Cut(spec, "..")
		if !isRange {
			to = from
		}
		var idx [2]int
		for i, label := range []string{strings.TrimSpace(from), strings.TrimSpace(to)} {
			per, err := rules.ParsePeriod(label)
			if err != nil {
				return sel, fmt.Errorf("period selection %q: %v", spec, err)
			}
			if per.Kind != kind {
				return sel, fmt.Errorf("period selection %q: %s is a %s; the policy is evaluated per %s", spec, label, per.Kind, kind)
			}
			idx[i] = per.Index()
		}
		if idx[1] < idx[0] {
			return sel, fmt.Errorf("period selection %q: %s comes after %s", spec, from, to)
		}
		sel.ranges = append(sel.ranges, idx)
	}
	return sel, nil
}

// has reports whether a period is selected.
func (s selection) has(p rules.Period) bool {
	if len(s.ranges) == 0 {
		return true
	}
	i := p.Index()
	for _, r := range s.ranges {
		if i >= r[0] && i <= r[1] {
			return true
		}
	}
	return false
}

// streamHistory evaluates a policy with history without holding the input
// in memory: every good snapshot is sorted on disk by subject and period;
// a first pass derives each subject's snapshots in period order (its window
// is all it holds) and adds them to the team statistics; a second pass
// evaluates them with their windows, subjects in parallel, and sorts the
// outcomes on disk by input position; a last pass writes them in input
// order (only the selected periods, never history-only snapshots).
func (p *Policy) streamHistory(ctx context.Context, ev *evaluator.Evaluator, rr input.Reader, conv *input.Converter, rejects *rejectWriter, res *StreamResult, opts StreamOptions, sel selection, workers int,
	encode func(o *evaluator.Outcome, buf []byte) []byte, write func([]byte) error) (*StreamResult, error) {
	h := &historyRun{rp: p.Rules(), ev: ev, opts: opts, sel: sel, workers: workers, encode: encode}
	bySubject := extsort.New("", 8<<20)
	defer bySubject.Close()
	failing, err := h.sortBySubject(ctx, rr, conv, rejects, res, bySubject)
	res.Warnings = conv.Warnings()
	res.finishLeftOut(ev.NeedsStats())
	if err != nil {
		return nil, err
	}
	if failing {
		res.Evaluated = 0
		return res, nil
	}
	// Without team statistics the evaluation reads the sorted snapshots
	// straight. With them, a first pass derives every snapshot with its
	// window for the statistics, spooling the sorted records for the
	// evaluation.
	source := bySubject.Each
	if ev.NeedsStats() {
		spool, err := fsutil.CreateTemp("", ".rubric-history-*")
		if err != nil {
			return nil, err
		}
		defer func() { spool.Close(); fsutil.Remove(spool.Name()) }()
		if err := h.derive(bySubject, spool); err != nil {
			return nil, err
		}
		bySubject.Close()
		if _, err := spool.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		source = spooled(spool)
	}
	byInput := extsort.New("", 8<<20)
	defer byInput.Close()
	if res.Evaluated, err = h.evaluate(ctx, source, byInput); err != nil {
		return nil, err
	}
	if err := writeInOrder(byInput, write); err != nil {
		return nil, err
	}
	if rejects != nil {
		if err := rejects.commit(); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// historyRun is one run of a policy with history.
type historyRun struct {
	rp      *rules.Policy
	ev      *evaluator.Evaluator
	opts    StreamOptions
	sel     selection
	workers int
	encode  func(o *evaluator.Outcome, buf []byte) []byte
	stats   *evaluator.Stats // filled by derive when team.* or all.* are used
}

// window is the earlier snapshots of group[k]'s window; group is one
// subject's snapshots in period order.
func (h *historyRun) window(group []*evaluator.Snapshot, k int) *evaluator.Window {
	w := &evaluator.Window{}
	for _, e := range group[:k] {
		if evaluator.InWindow(e, group[k], h.rp.History) {
			w.Earlier = append(w.Earlier, e)
		}
	}
	return w
}

// sortBySubject reads every snapshot into sorter, keyed by subject, period
// and input position, with its position in front of its encoding. failing
// reports bad input that fails the run. With more than one worker the
// rows are converted and encoded on all of them (readInParallel).
func (h *historyRun) sortBySubject(ctx context.Context, rr input.Reader, conv *input.Converter, rejects *rejectWriter, res *StreamResult, sorter *extsort.Sorter) (failing bool, err error) {
	var seq uint64
	var sortErr error
	var key, val, bin []byte
	emit := func(s *evaluator.Snapshot, encoded []byte) {
		if encoded == nil {
			bin = s.AppendBinary(bin[:0])
			encoded = bin
		}
		key = append(append(key[:0], s.Subject...), 0)
		key = binary.BigEndian.AppendUint64(key, uint64(int64(s.Period.Index()))^(1<<63))
		key = binary.BigEndian.AppendUint64(key, seq)
		val = append(binary.AppendUvarint(val[:0], seq), encoded...)
		if err := sorter.Add(key, val); err != nil && sortErr == nil {
			sortErr = err
		}
		seq++
	}
	if h.workers > 1 {
		failing, err = readInParallel(ctx, h.rp, rr, conv, rejects, res, h.opts, h.workers, emit)
	} else {
		scratch := evaluator.NewSnapshot(h.rp) // each row converted into it, then added
		alloc := func() *evaluator.Snapshot { scratch.Reset(); return scratch }
		failing, err = readSnapshots(ctx, rr, conv, rejects, res, h.opts, alloc, func(s *evaluator.Snapshot) { emit(s, nil) })
	}
	if err == nil {
		err = sortErr
	}
	return failing, err
}

// derive is the first pass when the policy reads team statistics: each
// subject's snapshots, in period order, are derived with their windows and
// added to the statistics; the sorted records are copied to spool
// (length-prefixed) for the evaluation.
func (h *historyRun) derive(bySubject *extsort.Sorter, spool io.Writer) error {
	h.stats = evaluator.NewStats(h.rp)
	sw := bufio.NewWriterSize(spool, 1<<16)
	var pool []*evaluator.Snapshot // the subject's snapshots are pool[:n], reused from subject to subject
	n := 0
	flush := func() {
		group := pool[:n]
		for k, s := range group {
			h.ev.DeriveWindow(s, h.window(group, k))
			h.stats.Add(s)
		}
		n = 0
	}
	var dec evaluator.SnapshotDecoder
	err := bySubject.Each(func(val []byte) error {
		_, vn := binary.Uvarint(val)
		subject, err := evaluator.BinarySubject(val[vn:])
		if err != nil {
			return err
		}
		if n > 0 && pool[0].Subject != string(subject) {
			flush()
		}
		if n == len(pool) {
			pool = append(pool, evaluator.NewSnapshot(h.rp))
		} else {
			pool[n].Reset()
		}
		if err := dec.DecodeInto(pool[n], val[vn:]); err != nil {
			return err
		}
		n++
		var hdr [binary.MaxVarintLen64]byte
		sw.Write(hdr[:binary.PutUvarint(hdr[:], uint64(len(val)))])
		_, err = sw.Write(val)
		return err
	})
	if err != nil {
		return err
	}
	flush()
	return sw.Flush()
}

// spooled reads the records derive wrote, in order, as Sorter.Each does.
func spooled(spool io.Reader) func(fn func(val []byte) error) error {
	return func(fn func(val []byte) error) error {
		br := bufio.NewReaderSize(spool, 1<<16)
		var val []byte
		for {
			l, err := binary.ReadUvarint(br)
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			val = slices.Grow(val[:0], int(l))[:l]
			if _, err := io.ReadFull(br, val); err != nil {
				return err
			}
			if err := fn(val); err != nil {
				return err
			}
		}
	}
}

// subjectJob is one subject's records in period order (as sortBySubject
// wrote them: input position, then the snapshot), back to back in data.
type subjectJob struct {
	data []byte
	ends []int // where each record ends in data
}

func (j *subjectJob) record(k int) []byte {
	start := 0
	if k > 0 {
		start = j.ends[k-1]
	}
	return j.data[start:j.ends[k]]
}

// eachSubject reads the sorted records from each and hands over one
// subject's at a time, in jobs taken from free when there are some.
func eachSubject(each func(fn func(val []byte) error) error, free <-chan *subjectJob, fn func(*subjectJob)) error {
	var cur *subjectJob
	var subject []byte
	next := func() *subjectJob {
		select {
		case j := <-free:
			j.data, j.ends = j.data[:0], j.ends[:0]
			return j
		default:
			return &subjectJob{}
		}
	}
	err := each(func(val []byte) error {
		_, n := binary.Uvarint(val)
		s, err := evaluator.BinarySubject(val[n:])
		if err != nil {
			return err
		}
		if cur != nil && !bytes.Equal(s, subject) {
			fn(cur)
			cur = nil
		}
		if cur == nil {
			cur = next()
			subject = append(subject[:0], s...)
		}
		cur.data = append(cur.data, val...)
		cur.ends = append(cur.ends, len(cur.data))
		return nil
	})
	if err == nil && cur != nil {
		fn(cur)
	}
	return err
}

// evaluate is the second pass: each subject's snapshots are decoded and
// evaluated with their windows, subjects in parallel, and the encoded
// outcomes that are written out are sorted into byInput by input position
// (by subject and period with InKeyOrder). It returns how many were.
func (h *historyRun) evaluate(ctx context.Context, each func(fn func(val []byte) error) error, byInput *extsort.Sorter) (int, error) {
	type done struct {
		seq uint64
		key []byte // subject NUL period, when the outcomes go out in key order
		out []byte // a marker byte, then the encoding
	}
	jobs := make(chan *subjectJob, h.workers*2)
	free := make(chan *subjectJob, h.workers*2+2)
	results := make(chan done, 256)
	var wg sync.WaitGroup
	var errMu sync.Mutex
	var workErr error
	fail := func(err error) {
		errMu.Lock()
		if workErr == nil {
			workErr = err
		}
		errMu.Unlock()
	}
	for w := 0; w < h.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					fail(fmt.Errorf("internal error while evaluating history: %v (please report this with the policy and the input)", r))
					for range jobs { // let the reader finish
					}
				}
			}()
			var o evaluator.Outcome
			var dec evaluator.SnapshotDecoder
			var buf []byte                 // each outcome is encoded here, then copied once
			var pool []*evaluator.Snapshot // a job's snapshots are pool[:n], reused from job to job
			var seqs []uint64
			for j := range jobs {
				if ctx.Err() != nil {
					continue // drain: the run is being cancelled
				}
				n := 0
				seqs = seqs[:0]
				for k := range j.ends {
					val := j.record(k)
					sq, vn := binary.Uvarint(val)
					if n == len(pool) {
						pool = append(pool, evaluator.NewSnapshot(h.rp))
					} else {
						pool[n].Reset()
					}
					if err := dec.DecodeInto(pool[n], val[vn:]); err != nil {
						fail(err)
						break
					}
					seqs = append(seqs, sq)
					n++
				}
				group := pool[:n]
				for k, s := range group {
					h.ev.EvaluateWindow(&o, s, h.stats, h.window(group, k))
					if h.opts.EncodeAll || (!s.HistoryOnly && h.sel.has(s.Period)) {
						buf = h.encode(&o, buf[:0])
						// A marker byte keeps empty encodings (a snapshot
						// with no rows) counted.
						d := done{seq: seqs[k], out: append(append(make([]byte, 0, 1+len(buf)), 1), buf...)}
						if h.opts.InKeyOrder {
							d.key = append(append([]byte(s.Subject), 0), s.Period.Label...)
						}
						results <- d
					}
				}
				select {
				case free <- j:
				default:
				}
			}
		}()
	}
	collected := make(chan error, 1)
	evaluated := 0
	go func() {
		var err error
		var k [8]byte
		for d := range results {
			if err != nil {
				continue
			}
			evaluated++
			key := d.key // subject and period are unique: no tie
			if key == nil {
				binary.BigEndian.PutUint64(k[:], d.seq)
				key = k[:]
			}
			err = byInput.Add(key, d.out)
		}
		collected <- err
	}()
	readErr := eachSubject(each, free, func(j *subjectJob) { jobs <- j })
	close(jobs)
	wg.Wait()
	close(results)
	if err := <-collected; err != nil {
		return 0, err
	}
	if workErr != nil {
		return 0, workErr
	}
	if readErr != nil {
		return 0, readErr
	}
	return evaluated, ctx.Err()
}

// writeInOrder is the last pass: the outcomes in input order, written in
// blocks of 64 KiB.
func writeInOrder(byInput *extsort.Sorter, write func([]byte) error) error {
	var buf []byte
	err := byInput.Each(func(val []byte) error {
		buf = append(buf, val[1:]...)
		if len(buf) >= 1<<16 {
			if err := write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
		return nil
	})
	if err == nil && len(buf) > 0 {
		err = write(buf)
	}
	return err
}
