package engine

import (
	"fmt"
	"sort"
	"strings"
	"sync"

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

// streamHistory evaluates a policy with history: every snapshot is read
// and kept, each subject's snapshots are derived and evaluated in period
// order with their window, and the outcomes are written in input order
// (only the selected periods, never history-only snapshots).
//
// It holds every snapshot and its encoded outcome in memory
// (docs/decisions.md).
func (p *Policy) streamHistory(ev *evaluator.Evaluator, rr recordReader, conv *converter, rejects *rejectWriter, res *StreamResult, opts StreamOptions, sel selection, workers int,
	encode func(o *evaluator.Outcome, buf []byte) []byte, write func([]byte) error) (*StreamResult, error) {
	var snaps []*evaluator.Snapshot
	failing, readErr := readSnapshots(rr, conv, rejects, res, opts.MaxErrors, func(s *evaluator.Snapshot) { snaps = append(snaps, s) })
	res.Warnings = conv.warnings
	res.finishLeftOut(ev.NeedsStats())
	if readErr != nil {
		return nil, readErr
	}
	if failing {
		res.Evaluated = 0
		return res, nil
	}
	n := p.Rules.History
	// Subjects' snapshots in period order.
	order := make([]int, len(snaps))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		x, y := snaps[order[a]], snaps[order[b]]
		if x.Subject != y.Subject {
			return x.Subject < y.Subject
		}
		return x.Period.Index() < y.Period.Index()
	})
	var groups [][]int
	for i := 0; i < len(order); {
		j := i + 1
		for j < len(order) && snaps[order[j]].Subject == snaps[order[i]].Subject {
			j++
		}
		groups = append(groups, order[i:j])
		i = j
	}
	window := func(g []int, k int) *evaluator.Window {
		w := &evaluator.Window{}
		for _, e := range g[:k] {
			if evaluator.InWindow(snaps[e], snaps[g[k]], n) {
				w.Earlier = append(w.Earlier, snaps[e])
			}
		}
		return w
	}
	parallel := func(f func(g []int)) error {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var perr error
		next := make(chan []int)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() {
					if r := recover(); r != nil {
						mu.Lock()
						perr = fmt.Errorf("internal error while evaluating history: %v (please report this with the policy and the input)", r)
						mu.Unlock()
					}
				}()
				for g := range next {
					f(g)
				}
			}()
		}
		for _, g := range groups {
			next <- g
		}
		close(next)
		wg.Wait()
		return perr
	}
	// Derived metrics first, subject by subject, then team statistics over
	// every snapshot of a period, then every rule.
	if err := parallel(func(g []int) {
		for k := range g {
			ev.DeriveWindow(snaps[g[k]], window(g, k))
		}
	}); err != nil {
		return nil, err
	}
	var stats *evaluator.Stats
	if ev.NeedsStats() {
		stats = evaluator.NewStats(p.Rules)
		for _, s := range snaps {
			stats.Add(s)
		}
	}
	out := make([][]byte, len(snaps))
	keep := make([]bool, len(snaps))
	if err := parallel(func(g []int) {
		var o evaluator.Outcome
		for k, i := range g {
			s := snaps[i]
			ev.EvaluateWindow(&o, s, stats, window(g, k))
			if opts.EncodeAll || (!s.HistoryOnly && sel.has(s.Period)) {
				out[i], keep[i] = encode(&o, nil), true
			}
		}
	}); err != nil {
		return nil, err
	}
	res.Evaluated = 0
	var buf []byte
	for i := range snaps {
		if !keep[i] {
			continue
		}
		res.Evaluated++
		buf = append(buf, out[i]...)
		out[i] = nil
		if len(buf) >= 1<<16 {
			if err := write(buf); err != nil {
				return nil, err
			}
			buf = buf[:0]
		}
	}
	if len(buf) > 0 {
		if err := write(buf); err != nil {
			return nil, err
		}
	}
	if rejects != nil {
		if err := rejects.commit(); err != nil {
			return nil, err
		}
	}
	return res, nil
}
