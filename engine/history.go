package engine

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
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
	byInput := extsort.New("", 8<<20)
	defer byInput.Close()
	if res.Evaluated, err = h.evaluate(ctx, spool, byInput); err != nil {
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
// reports bad input that fails the run.
func (h *historyRun) sortBySubject(ctx context.Context, rr input.Reader, conv *input.Converter, rejects *rejectWriter, res *StreamResult, sorter *extsort.Sorter) (failing bool, err error) {
	var seq uint64
	var sortErr error
	var key []byte
	failing, err = readSnapshots(ctx, rr, conv, rejects, res, h.opts, nil, func(s *evaluator.Snapshot) {
		key = append(append(key[:0], s.Subject...), 0)
		key = binary.BigEndian.AppendUint64(key, uint64(int64(s.Period.Index()))^(1<<63))
		key = binary.BigEndian.AppendUint64(key, seq)
		val := s.AppendBinary(binary.AppendUvarint(nil, seq))
		if err := sorter.Add(key, val); err != nil && sortErr == nil {
			sortErr = err
		}
		seq++
	})
	if err == nil {
		err = sortErr
	}
	return failing, err
}

// derive is the first pass: each subject's snapshots, in period order, are
// derived with their windows and added to the team statistics; the sorted
// records are copied to spool (length-prefixed) for the second pass.
func (h *historyRun) derive(bySubject *extsort.Sorter, spool io.Writer) error {
	if h.ev.NeedsStats() {
		h.stats = evaluator.NewStats(h.rp)
	}
	sw := bufio.NewWriterSize(spool, 1<<16)
	var group []*evaluator.Snapshot
	flush := func() {
		for k, s := range group {
			h.ev.DeriveWindow(s, h.window(group, k))
			if h.stats != nil {
				h.stats.Add(s)
			}
		}
		group = group[:0]
	}
	var dec evaluator.SnapshotDecoder
	err := bySubject.Each(func(val []byte) error {
		_, n := binary.Uvarint(val)
		s := evaluator.NewSnapshot(h.rp)
		err := dec.DecodeInto(s, val[n:])
		if err != nil {
			return err
		}
		if len(group) > 0 && group[0].Subject != s.Subject {
			flush()
		}
		group = append(group, s)
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

// subjectJob is one subject's snapshots in period order, with their input
// positions.
type subjectJob struct {
	seqs  []uint64
	snaps []*evaluator.Snapshot
}

// eachSubject reads the spool of derive and hands over one subject at a
// time.
func (h *historyRun) eachSubject(spool io.Reader, fn func(subjectJob)) error {
	br := bufio.NewReaderSize(spool, 1<<16)
	var cur subjectJob
	var dec evaluator.SnapshotDecoder
	for {
		l, err := binary.ReadUvarint(br)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		val := make([]byte, l)
		if _, err := io.ReadFull(br, val); err != nil {
			return err
		}
		sq, n := binary.Uvarint(val)
		s := evaluator.NewSnapshot(h.rp)
		err = dec.DecodeInto(s, val[n:])
		if err != nil {
			return err
		}
		if len(cur.snaps) > 0 && cur.snaps[0].Subject != s.Subject {
			fn(cur)
			cur = subjectJob{}
		}
		cur.seqs, cur.snaps = append(cur.seqs, sq), append(cur.snaps, s)
	}
	if len(cur.snaps) > 0 {
		fn(cur)
	}
	return nil
}

// evaluate is the second pass: each subject's snapshots are evaluated with
// their windows, subjects in parallel, and the encoded outcomes that are
// written out are sorted into byInput by input position (by subject and
// period with InKeyOrder). It returns how many were.
func (h *historyRun) evaluate(ctx context.Context, spool io.Reader, byInput *extsort.Sorter) (int, error) {
	type done struct {
		seq uint64
		key []byte // subject NUL period, when the outcomes go out in key order
		out []byte
	}
	jobs := make(chan subjectJob, h.workers*2)
	results := make(chan done, 256)
	var wg sync.WaitGroup
	var panicMu sync.Mutex
	var panicErr error
	for w := 0; w < h.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					panicMu.Lock()
					panicErr = fmt.Errorf("internal error while evaluating history: %v (please report this with the policy and the input)", r)
					panicMu.Unlock()
					for range jobs { // let the reader finish
					}
				}
			}()
			var o evaluator.Outcome
			for j := range jobs {
				if ctx.Err() != nil {
					continue // drain: the run is being cancelled
				}
				for k, s := range j.snaps {
					h.ev.EvaluateWindow(&o, s, h.stats, h.window(j.snaps, k))
					if h.opts.EncodeAll || (!s.HistoryOnly && h.sel.has(s.Period)) {
						d := done{seq: j.seqs[k], out: h.encode(&o, nil)}
						if h.opts.InKeyOrder {
							d.key = append(append([]byte(s.Subject), 0), s.Period.Label...)
						}
						results <- d
					}
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
			// A marker byte keeps empty encodings (a snapshot with no rows)
			// counted.
			err = byInput.Add(key, append([]byte{1}, d.out...))
		}
		collected <- err
	}()
	readErr := h.eachSubject(spool, func(j subjectJob) { jobs <- j })
	close(jobs)
	wg.Wait()
	close(results)
	if err := <-collected; err != nil {
		return 0, err
	}
	if panicErr != nil {
		return 0, panicErr
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
