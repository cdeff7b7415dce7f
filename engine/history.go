package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/rubric-dev/rubric/engine/internal/extsort"
	"github.com/rubric-dev/rubric/engine/internal/history"
	"github.com/rubric-dev/rubric/engine/internal/input"
	"github.com/rubric-dev/rubric/engine/internal/reading"
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
// in memory: every good snapshot is sorted on disk by subject and period
// (converted on every worker); when the policy reads team statistics, a
// first pass derives each subject's snapshots in period order (its window
// is all it holds) and adds them to the statistics; then each subject's
// snapshots are evaluated with their windows, subjects in parallel. In
// key order (payroll) the outcomes are written as subjects finish;
// otherwise they are sorted on disk by input position and a last pass
// writes them in input order. Only the selected periods are written,
// never history-only snapshots.
func (p *Policy) streamHistory(ctx context.Context, in Input, ev *evaluator.Evaluator, rr input.Reader, conv *input.Converter, ropts reading.Options, tally *reading.Tally, res *StreamResult, opts StreamOptions, sel selection, workers int,
	encode func(o *evaluator.Outcome, buf []byte) []byte, write func([]byte) error) (*StreamResult, error) {
	h := history.New(p.Rules(), ev, sel.has, workers, opts.EncodeAll, opts.InKeyOrder, encode)
	bySubject := extsort.New("", 8<<20)
	defer bySubject.Close()
	failing, err := sortBySubject(ctx, h, p.Rules(), rr, conv, ropts, tally, workers, bySubject)
	res.Warnings = conv.Warnings()
	res.take(tally, ev.NeedsStats())
	if err != nil {
		return nil, err
	}
	h.SetRejected(tally.RejectedPeriods())
	defer func() { res.HistoryLeftOut = h.LeftOut() }()
	defer func() { res.ThinHistory = h.ThinHistory() }()
	if failing {
		res.Evaluated = 0
		return res, nil
	}
	if res.Evaluated, res.Selected, err = h.Evaluate(ctx, bySubject, write); err != nil {
		return nil, err
	}
	if err := checkSelection(in, res); err != nil {
		return nil, err
	}
	if err := commitRejects(ropts.Rejects); err != nil {
		return nil, err
	}
	return res, nil
}

// sortBySubject reads every snapshot into sorter, keyed by subject, period
// and input position, with its position in front of its encoding
// (history.Key, history.Value). failing reports bad input that fails the
// run. With more than one worker the rows are converted and encoded on
// all of them (reading.Parallel).
func sortBySubject(ctx context.Context, h *history.Run, rp *rules.Policy, rr input.Reader, conv *input.Converter, ropts reading.Options, tally *reading.Tally, workers int, sorter *extsort.Sorter) (failing bool, err error) {
	var seq uint64
	var sortErr error
	var key, val, bin []byte
	emit := func(s *evaluator.Snapshot, encoded []byte) {
		h.NotePeriod(s)
		if encoded == nil {
			bin = s.AppendBinary(bin[:0])
			encoded = bin
		}
		key, val = history.Key(key, s, seq), history.Value(val, seq, encoded)
		if err := sorter.Add(key, val); err != nil && sortErr == nil {
			sortErr = err
		}
		seq++
	}
	if workers > 1 {
		failing, err = reading.Parallel(ctx, rp, rr, conv, ropts, tally, workers, emit)
	} else {
		scratch := evaluator.NewSnapshot(rp) // each row converted into it, then added
		alloc := func() *evaluator.Snapshot { scratch.Reset(); return scratch }
		failing, err = reading.Serial(ctx, rr, conv, ropts, tally, alloc, func(s *evaluator.Snapshot) { emit(s, nil) })
	}
	if err == nil {
		err = sortErr
	}
	return failing, err
}
