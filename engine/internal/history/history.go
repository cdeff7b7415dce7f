// Package history evaluates a policy with history (SPEC §10): each
// subject's snapshots in period order, each with its window of earlier
// periods, subjects in parallel on a pipeline.Pipe; the team statistics,
// when the policy reads them, derived in a first pass with the windows.
package history

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/rubric-dev/rubric/engine/internal/extsort"
	"github.com/rubric-dev/rubric/engine/internal/fsutil"
	"github.com/rubric-dev/rubric/engine/internal/pipeline"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// New begins a run of rp with ev. sel tells the periods written out;
// encodeAll encodes history-only and unselected snapshots too;
// inKeyOrder writes the outcomes in subject order instead of input
// order; encode appends an outcome's bytes.
func New(rp *rules.Policy, ev *evaluator.Evaluator, sel func(rules.Period) bool, workers int, encodeAll, inKeyOrder bool, encode func(o *evaluator.Outcome, buf []byte) []byte) *Run {
	return &Run{rp: rp, ev: ev, sel: sel, workers: workers, encodeAll: encodeAll, inKeyOrder: inKeyOrder, encode: encode}
}

// Key and Value are a snapshot's sort record, the seq-th of the input,
// whose AppendBinary is encoded: by subject, period and input position.
func Key(key []byte, s *evaluator.Snapshot, seq uint64) []byte {
	key = append(append(key[:0], s.Subject...), 0)
	key = binary.BigEndian.AppendUint64(key, uint64(int64(s.Period.Index()))^(1<<63))
	return binary.BigEndian.AppendUint64(key, seq)
}

// Value is the sort record's value: the input position, then the
// snapshot's encoding.
func Value(val []byte, seq uint64, encoded []byte) []byte {
	return append(binary.AppendUvarint(val[:0], seq), encoded...)
}

// Evaluate evaluates the snapshots sorted in bySubject and writes their
// outcomes: as subjects finish with inKeyOrder, else back in input order.
// It returns how many outcomes were evaluated and how many of them were
// selected (written, not history only).
func (h *Run) Evaluate(ctx context.Context, bySubject *extsort.Sorter, write func([]byte) error) (evaluated, selected int, err error) {
	// Without team statistics the evaluation reads the sorted snapshots
	// straight. With them, a first pass derives every snapshot with its
	// window for the statistics, spooling the sorted records for the
	// evaluation.
	source := bySubject.Each
	if h.ev.NeedsStats() {
		spool, err := fsutil.CreateTemp("", ".rubric-history-*")
		if err != nil {
			return 0, 0, err
		}
		defer func() { spool.Close(); fsutil.Remove(spool.Name()) }()
		if err := h.derive(ctx, bySubject, spool); err != nil {
			return 0, 0, err
		}
		bySubject.Close()
		if _, err := spool.Seek(0, io.SeekStart); err != nil {
			return 0, 0, err
		}
		source = spooled(spool)
	}
	byInput := extsort.New("", 8<<20)
	defer byInput.Close()
	if evaluated, err = h.evaluate(ctx, source, byInput, write); err != nil {
		return 0, 0, err
	}
	if !h.inKeyOrder {
		if err := writeInOrder(byInput, write); err != nil {
			return 0, 0, err
		}
	}
	return evaluated, int(h.selected.Load()), nil
}

// Run is one run of a policy with history: the engine reads and checks
// the snapshots, adds each to a sorter by subject (Key, Value), and Run
// evaluates them subject by subject with their windows.
type Run struct {
	rp         *rules.Policy
	ev         *evaluator.Evaluator
	encodeAll  bool // every snapshot is encoded, history only and unselected ones too
	inKeyOrder bool // outcomes are written in subject order, not input order
	sel        func(rules.Period) bool
	workers    int
	encode     func(o *evaluator.Outcome, buf []byte) []byte
	stats      *evaluator.Stats // filled by derive when team.* or all.* are used

	// rejected holds, by subject, the periods of its rows rejected as bad
	// input (sorted; read-only once the evaluation starts); used, the
	// rejected rows some written snapshot's window reached.
	rejected map[string][]rules.Period
	mu       sync.Mutex
	used     map[string]bool

	// The first period of the input and the first written (selected, not
	// history only), as indexes, set while reading; reachBefore counts
	// the written snapshots whose window reaches before the input.
	first, firstWritten int
	seen, seenWritten   bool
	reachBefore         atomic.Int64
	selected            atomic.Int64 // snapshots written (selected, not history only)
}

// NotePeriod records a snapshot's period for the thin-history check.
func (h *Run) NotePeriod(s *evaluator.Snapshot) {
	i := s.Period.Index()
	if !h.seen || i < h.first {
		h.first, h.seen = i, true
	}
	if !s.HistoryOnly && h.sel(s.Period) && (!h.seenWritten || i < h.firstWritten) {
		h.firstWritten, h.seenWritten = i, true
	}
}

// ThinHistory says, when the input holds no period before the first one
// written although the policy looks back, how far the windows reach and
// where the input starts (SPEC §10, Thin history); "" otherwise.
func (h *Run) ThinHistory() string {
	if !h.rp.UsesHistory || !h.seenWritten || h.first < h.firstWritten {
		return ""
	}
	back := rules.PeriodAt(h.rp.Period, h.firstWritten-h.rp.History)
	start := rules.PeriodAt(h.rp.Period, h.first)
	return fmt.Sprintf("history = %d looks back to %s, the input starts at %s: %d written snapshot(s) have windows that reach before the input (give the earlier periods' files too)",
		h.rp.History, back.Label, start.Label, h.reachBefore.Load())
}

// SetRejected takes the subjects and period labels of the rejected rows;
// labels that are not periods of the policy's kind (the reason they were
// rejected, perhaps) belong to no window.
func (h *Run) SetRejected(bySubject map[string][]string) {
	for subject, labels := range bySubject {
		for _, l := range labels {
			p, err := rules.ParsePeriod(l)
			if err != nil || p.Kind != h.rp.Period {
				continue
			}
			if h.rejected == nil {
				h.rejected = map[string][]rules.Period{}
			}
			h.rejected[subject] = append(h.rejected[subject], p)
		}
	}
	for _, ps := range h.rejected {
		slices.SortFunc(ps, func(a, b rules.Period) int { return a.Index() - b.Index() })
	}
}

// LeftOut lists the rejected rows written snapshots' windows reached.
func (h *Run) LeftOut() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, 0, len(h.used))
	for k := range h.used {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// window is the earlier snapshots of group[k]'s window, and the periods of
// it whose rows of the subject were rejected; group is one subject's
// snapshots in period order. The window's first snapshot is found by
// binary search: a subject with thousands of periods costs no more per
// snapshot than one with a few.
func (h *Run) window(group []*evaluator.Snapshot, k int) *evaluator.Window {
	s := group[k]
	first := s.Period.Index() - h.rp.History
	i, _ := slices.BinarySearchFunc(group[:k], first, func(e *evaluator.Snapshot, idx int) int { return e.Period.Index() - idx })
	w := &evaluator.Window{}
	for _, e := range group[i:k] {
		if evaluator.InWindow(e, s, h.rp.History) {
			w.Earlier = append(w.Earlier, e)
		}
	}
	for _, p := range h.rejected[s.Subject] {
		if idx := p.Index(); idx >= first && idx < s.Period.Index() {
			w.Rejected = append(w.Rejected, p)
			if !s.HistoryOnly && h.sel(s.Period) {
				h.mu.Lock()
				if h.used == nil {
					h.used = map[string]bool{}
				}
				h.used[s.Subject+" in "+p.Label] = true
				h.mu.Unlock()
			}
		}
	}
	return w
}

// derive is the first pass when the policy reads team statistics: each
// subject's snapshots, in period order, are derived with their windows on
// the workers and added to the statistics in subject order (the same
// sums, bit for bit, as one goroutine's); the sorted records are copied
// to spool (length-prefixed) for the evaluation.
func (h *Run) derive(ctx context.Context, bySubject *extsort.Sorter, spool io.Writer) error {
	h.stats = evaluator.NewStats(h.rp)
	sw := bufio.NewWriterSize(spool, 1<<16)
	err := h.subjects(ctx, bySubject.Each, true, func(j *subjectJob, _ *evaluator.Outcome) {
		for k, s := range j.snaps {
			h.ev.DeriveWindow(s, h.window(j.snaps, k))
		}
	}, func(j *subjectJob) error {
		var hdr [binary.MaxVarintLen64]byte
		for k, s := range j.snaps {
			h.stats.Add(s)
			val := j.records.at(k)
			sw.Write(hdr[:binary.PutUvarint(hdr[:], uint64(len(val)))])
			if _, err := sw.Write(val); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
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
// wrote them: input position, then the snapshot), the snapshots decoded
// from them, and what evaluating them gave.
type subjectJob struct {
	records packed // as read
	done    bool   // worked on (not drained after a failure)

	snaps []*evaluator.Snapshot // decoded, reused from subject to subject
	seqs  []uint64              // their input positions

	outcomes packed   // the encoded outcomes written out
	outSeqs  []uint64 // the input position of each
}

// packed is byte strings back to back.
type packed struct {
	data []byte
	ends []int // where each ends in data
}

func (p *packed) len() int { return len(p.ends) }

func (p *packed) at(k int) []byte {
	start := 0
	if k > 0 {
		start = p.ends[k-1]
	}
	return p.data[start:p.ends[k]]
}

func (p *packed) add(b []byte) { p.data = append(p.data, b...); p.ends = append(p.ends, len(p.data)) }

// added marks what was appended to data since the last string as one.
func (p *packed) added() { p.ends = append(p.ends, len(p.data)) }

func (p *packed) reset() { p.data, p.ends = p.data[:0], p.ends[:0] }

// eachSubject reads the sorted records from each and hands over one
// subject's at a time: fn gets the job holding them, and may swap it
// for another (emptied here before it is filled).
func eachSubject(each func(fn func(val []byte) error) error, fn func(*subjectJob) error) error {
	cur := &subjectJob{}
	var subject []byte
	started := false
	err := each(func(val []byte) error {
		_, n := binary.Uvarint(val)
		s, err := evaluator.BinarySubject(val[n:])
		if err != nil {
			return err
		}
		if started && !bytes.Equal(s, subject) {
			if err := fn(cur); err != nil {
				return err
			}
			started = false
		}
		if !started {
			cur.records.reset()
			cur.outcomes.reset()
			cur.outSeqs = cur.outSeqs[:0]
			subject, started = append(subject[:0], s...), true
		}
		cur.records.add(val)
		return nil
	})
	if err == nil && started {
		err = fn(cur)
	}
	return err
}

// evaluate is the second pass: each subject's snapshots are evaluated
// with their windows, subjects in parallel. With InKeyOrder the outcomes
// go to write as they come, subject after subject (the order bySubject
// sorted them in: subject, then period); otherwise they are sorted into
// byInput by input position, for writeInOrder. It returns how many
// outcomes are written out.
func (h *Run) evaluate(ctx context.Context, each func(fn func(val []byte) error) error, byInput *extsort.Sorter, write func([]byte) error) (int, error) {
	evaluated := 0
	var val []byte
	err := h.subjects(ctx, each, h.inKeyOrder, func(j *subjectJob, o *evaluator.Outcome) {
		for k, s := range j.snaps {
			h.ev.EvaluateWindow(o, s, h.stats, h.window(j.snaps, k))
			written := !s.HistoryOnly && h.sel(s.Period)
			if written {
				h.selected.Add(1)
				if s.Period.Index()-h.rp.History < h.first {
					h.reachBefore.Add(1)
				}
			}
			if h.encodeAll || written {
				j.outcomes.data = h.encode(o, j.outcomes.data)
				j.outcomes.added()
				j.outSeqs = append(j.outSeqs, j.seqs[k])
			}
		}
	}, func(j *subjectJob) error {
		evaluated += j.outcomes.len()
		if h.inKeyOrder {
			if len(j.outcomes.data) == 0 {
				return nil
			}
			return write(j.outcomes.data)
		}
		var k [8]byte
		for i, sq := range j.outSeqs {
			binary.BigEndian.PutUint64(k[:], sq)
			// A marker byte keeps empty encodings (a snapshot with no
			// rows) counted.
			val = append(append(val[:0], 1), j.outcomes.at(i)...)
			if err := byInput.Add(k[:], val); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return evaluated, nil
}

// errStopped stops reading subjects once the pass has failed.
var errStopped = errors.New("history: stopped")

// subjects reads the sorted records from each, one subject at a time,
// decodes and works on each subject's on the workers (work, with an
// outcome of the worker's own), and hands each to handle on one
// goroutine: in subject order when inOrder, else as they finish (a
// pipeline.Pipe). At most 64 subjects per worker are read and not yet
// handled: a subject that takes long holds back the others, not memory.
// The first error of a decoding, of handle or of each ends the pass:
// reading stops and what is under way is drained; a panic in work (a
// bug) is an error too.
func (h *Run) subjects(ctx context.Context, each func(fn func(val []byte) error) error, inOrder bool,
	work func(j *subjectJob, o *evaluator.Outcome), handle func(j *subjectJob) error) error {
	var errMu sync.Mutex
	var firstErr error
	var failed atomic.Bool
	fail := func(err error) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
		failed.Store(true)
	}
	internal := func(r any) error {
		return fmt.Errorf("internal error while evaluating history: %v (please report this with the policy and the input)", r)
	}
	pipe := pipeline.Start(h.workers, 64*h.workers, !inOrder, func() func(*subjectJob) {
		var o evaluator.Outcome
		var dec evaluator.SnapshotDecoder
		return func(j *subjectJob) {
			j.done = false
			if ctx.Err() != nil || failed.Load() {
				return // drained, not worked on
			}
			defer func() {
				if r := recover(); r != nil {
					fail(internal(r))
				}
			}()
			if err := h.decode(j, &dec); err != nil {
				fail(err)
				return
			}
			work(j, &o)
			j.done = true
		}
	}, func(j *subjectJob, panicked any) bool {
		if panicked != nil {
			fail(internal(panicked))
		}
		if j.done && !failed.Load() {
			if err := handle(j); err != nil {
				fail(err)
			}
		}
		return true
	})
	readErr := eachSubject(each, func(cur *subjectJob) error {
		if failed.Load() {
			return errStopped // said by firstErr
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// The subject's job goes into the pipe; the one it takes the
		// place of, done with, is filled next.
		pipe.Send(func(j *subjectJob) bool {
			*j, *cur = *cur, *j
			return true
		})
		return nil
	})
	pipe.Close()
	if firstErr != nil {
		return firstErr
	}
	if readErr != nil {
		return readErr
	}
	return ctx.Err()
}

// decode decodes j's records into j.snaps, reusing its snapshots.
func (h *Run) decode(j *subjectJob, dec *evaluator.SnapshotDecoder) error {
	n := j.records.len()
	for k := len(j.snaps); k < n; k++ {
		if k < cap(j.snaps) && j.snaps[:k+1][k] != nil {
			j.snaps = j.snaps[:k+1] // one used before
		} else {
			j.snaps = append(j.snaps, evaluator.NewSnapshot(h.rp))
		}
	}
	j.snaps, j.seqs = j.snaps[:n], j.seqs[:0]
	for k, s := range j.snaps {
		val := j.records.at(k)
		sq, vn := binary.Uvarint(val)
		s.Reset()
		if err := dec.DecodeInto(s, val[vn:]); err != nil {
			return err
		}
		j.seqs = append(j.seqs, sq)
	}
	return nil
}

// writeInOrder is the last pass: the outcomes in input order, written in
// blocks of 64 KiB on a goroutine of its own, so that merging the sorted
// runs goes on while a block is written (to a file opened for direct I/O,
// a write waits for the disk).
func writeInOrder(byInput *extsort.Sorter, write func([]byte) error) error {
	const block = 1 << 16
	blocks := make(chan []byte, 2)
	free := make(chan []byte, 3)
	for range cap(free) {
		free <- make([]byte, 0, 2*block)
	}
	var failed atomic.Bool
	written := make(chan error, 1)
	go func() {
		var err error
		for b := range blocks {
			if err == nil {
				if err = write(b); err != nil {
					failed.Store(true)
				}
			}
			free <- b[:0]
		}
		written <- err
	}()
	buf := <-free
	errWriting := errors.New("the write failed")
	err := byInput.Each(func(val []byte) error {
		buf = append(buf, val[1:]...)
		if len(buf) >= block {
			if failed.Load() {
				return errWriting // said by the writer
			}
			blocks <- buf
			buf = <-free
		}
		return nil
	})
	if err == nil && len(buf) > 0 {
		blocks <- buf
	}
	close(blocks)
	if werr := <-written; werr != nil {
		return werr
	}
	return err
}
