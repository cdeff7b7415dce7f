package evaluator

import (
	"strings"

	"github.com/rubric-dev/rubric/rules"
)

// Window is what one snapshot's evaluation may look back on: the same
// subject's earlier snapshots within the policy's history, already
// evaluated under the same policy, oldest first (docs/language.md,
// History). Periods without a snapshot are simply absent: gaps.
type Window struct {
	Earlier []*Snapshot
	// Rejected are the window's earlier periods whose snapshot of the
	// subject was rejected as bad input in this run, oldest first: unknown
	// for every name (SPEC §10, Unknown is not missed), never a gap.
	Rejected []rules.Period
}

// rejected returns the rejected period with index idx, if any.
func (w *Window) rejected(idx int) (rules.Period, bool) {
	if w != nil {
		for _, p := range w.Rejected {
			if p.Index() == idx {
				return p, true
			}
		}
	}
	return rules.Period{}, false
}

// at returns the earlier snapshot of period index idx, or nil.
func (w *Window) at(idx int) *Snapshot {
	if w == nil {
		return nil
	}
	for i := len(w.Earlier) - 1; i >= 0; i-- {
		if e := w.Earlier[i]; e.Period.Index() == idx {
			return e
		} else if e.Period.Index() < idx {
			break
		}
	}
	return nil
}

// rejectedNote says why a rejected period has no value.
func rejectedNote(p rules.Period) *Reason {
	return &Reason{Kind: ReasonRejected, Period: p.Label}
}

// InWindow reports whether an earlier snapshot of the subject belongs to
// the window of s, for a policy with history n.
func InWindow(earlier, s *Snapshot, n int) bool {
	d := s.Period.Index() - earlier.Period.Index()
	return d >= 1 && d <= n
}

// histDecls are the history names a policy uses, by when they are filled.
type histDecls struct {
	prev    []*rules.Decl         // prev.<metric or attribute>: before derived metrics
	prevRes []*rules.Decl         // prev.target.*, prev.score.*, ...: before targets
	metric  map[int][]*rules.Decl // window.<stat>.<m>, by the slot of m: once m has its value
	periods *rules.Decl           // window.periods
	targets []*rules.Decl         // window.target.*, streak.target.*: after targets
	breach  []*rules.Decl         // window.breach.*, streak.breach.*: after breaches
}

func newHistDecls(p *rules.Policy) histDecls {
	h := histDecls{metric: map[int][]*rules.Decl{}}
	for _, d := range p.Scope.Decls {
		if d.Kind != rules.DeclHistory || d.Slot < 0 {
			continue
		}
		switch {
		case d.Hist == rules.HistPrev && d.Stage == rules.StageDerived, d.Hist == rules.HistExists:
			h.prev = append(h.prev, d)
		case d.Hist == rules.HistPrev:
			h.prevRes = append(h.prevRes, d)
		case d.Hist.Window():
			h.metric[d.Of.Slot] = append(h.metric[d.Of.Slot], d)
		case d.Hist == rules.HistPeriods:
			h.periods = d
		case d.Hist == rules.HistWindowFired || d.Hist == rules.HistStreakFired:
			h.breach = append(h.breach, d)
		default:
			h.targets = append(h.targets, d)
		}
	}
	return h
}

// windowLabels lists the periods of the window that have a snapshot,
// oldest first, this one included.
func (r *run) windowLabels() []string {
	if r.w == nil {
		return []string{r.s.Period.Label}
	}
	out := make([]string, 0, len(r.w.Earlier)+1)
	for _, e := range r.w.Earlier {
		out = append(out, e.Period.Label)
	}
	return append(out, r.s.Period.Label)
}

// previous returns the snapshot of the period just before, or nil when it
// is a gap.
func (r *run) previous() *Snapshot {
	if r.w == nil || len(r.w.Earlier) == 0 {
		return nil
	}
	last := r.w.Earlier[len(r.w.Earlier)-1]
	if last.Period.Index() != r.s.Period.Index()-1 {
		return nil
	}
	return last
}

// fillPrev sets the prev.* names of decls (the previous period is
// evaluated by the time any of them is read). A rejected period before is
// unknown: no name has a result but prev.exists (true) and
// prev.target.<t>.status ("no_data"); a gap gives prev.exists false and
// status "gap".
func (r *run) fillPrev(decls []*rules.Decl) {
	prev := r.previous()
	rej, rejected := r.w.rejected(r.s.Period.Index() - 1)
	for _, d := range decls {
		isStatus := d.Status != nil && d.Of == d.Status
		switch {
		case d.Hist == rules.HistExists:
			r.vals[d.Slot] = Boolean(prev != nil || rejected)
		case rejected && isStatus:
			r.vals[d.Slot] = Str("no_data")
			if r.why {
				r.note(d.Slot, rejectedNote(rej))
			}
		case rejected:
			r.setReason(d.Slot, rejectedNote(rej))
		case prev == nil && isStatus:
			r.vals[d.Slot] = Str("gap")
			if r.why {
				r.note(d.Slot, &Reason{Kind: ReasonNoPrevious, Period: r.s.Period.Label})
			}
		case prev == nil:
			r.setReason(d.Slot, &Reason{Kind: ReasonNoPrevious, Period: r.s.Period.Label})
		case d.Status != nil && !isStatus && isNoData(prev.Values[d.Status.Slot]):
			r.setReason(d.Slot, noDataNote(d.Status, prev))
		case prev.Values[d.Of.Slot].Has():
			r.vals[d.Slot] = prev.Values[d.Of.Slot]
			if r.why {
				r.note(d.Slot, &Reason{Kind: ReasonIn, Period: prev.Period.Label})
			}
		default:
			r.setReason(d.Slot, &Reason{Kind: ReasonNoValueIn, Name: d.Of.Name, Period: prev.Period.Label})
		}
	}
}

// isNoData reports whether a target status is no_data (unknown).
func isNoData(v Value) bool { return v.Kind != String || v.Str == "no_data" }

// noDataNote says that a target was no_data in an earlier period, and why
// when that period's evaluation recorded it: "ftr was no_data in 2016-05:
// resolved has no value".
func noDataNote(status *rules.Decl, e *Snapshot) *Reason {
	t := strings.TrimSuffix(strings.TrimPrefix(status.Name, "target."), ".status")
	note := &Reason{Kind: ReasonWasNoData, Name: t, Period: e.Period.Label}
	if e.reasons != nil {
		note.Cause = e.reasons[status.Slot]
	}
	return note
}

// fillPeriods sets window.periods.
func (r *run) fillPeriods() {
	if h := &r.e.hist; h.periods != nil {
		n := 1
		if r.w != nil {
			n += len(r.w.Earlier)
		}
		r.vals[h.periods.Slot] = Num(float64(n))
	}
}

// fillWindowMetric sets window.<stat>.<m> once m has its value here.
func (r *run) fillWindowMetric(slot int) {
	decls := r.e.hist.metric[slot]
	if len(decls) == 0 {
		return
	}
	var sum, lo, hi float64
	n := 0
	var periods []string
	add := func(v Value, label string) {
		if v.Kind != Number {
			return
		}
		if r.why {
			periods = append(periods, label)
		}
		if n == 0 || v.Num < lo {
			lo = v.Num
		}
		if n == 0 || v.Num > hi {
			hi = v.Num
		}
		sum += v.Num
		n++
	}
	if r.w != nil {
		if len(r.w.Rejected) > 0 {
			for _, d := range decls {
				r.setReason(d.Slot, rejectedNote(r.w.Rejected[0]))
			}
			return
		}
		for _, e := range r.w.Earlier {
			add(e.Values[slot], e.Period.Label)
		}
	}
	add(r.vals[slot], r.s.Period.Label)
	for _, d := range decls {
		if d.Hist == rules.HistCount {
			r.vals[d.Slot] = Num(float64(n))
			continue
		}
		if n == 0 {
			r.setReason(d.Slot, &Reason{Kind: ReasonWindowEmpty, Name: d.Of.Name})
			continue
		}
		if r.why {
			r.note(d.Slot, &Reason{Kind: ReasonOver, Periods: periods})
		}
		switch d.Hist {
		case rules.HistSum:
			r.vals[d.Slot] = Num(sum)
		case rules.HistAvg:
			r.vals[d.Slot] = Num(sum / float64(n))
		case rules.HistMin:
			r.vals[d.Slot] = Num(lo)
		case rules.HistMax:
			r.vals[d.Slot] = Num(hi)
		}
	}
}

// qualifies reports whether a period's value of d's source counts for d:
// a target met or exceeded (missed or breached), a breach that fired.
func qualifies(d *rules.Decl, v Value) bool {
	switch d.Hist {
	case rules.HistWindowMet, rules.HistStreakMet:
		return v.Kind == String && (v.Str == "met" || v.Str == "exceeded")
	case rules.HistWindowMissed, rules.HistStreakMissed:
		return v.Kind == String && (v.Str == "missed" || v.Str == "breached")
	}
	return v.Kind == Bool && v.Bool
}

// unknown reports whether a period's value of d's source is unknown: a
// target that was no_data, a breach rule that had no result.
func unknown(d *rules.Decl, v Value) bool {
	switch d.Hist {
	case rules.HistWindowFired, rules.HistStreakFired:
		return v.Kind != Bool
	}
	return isNoData(v)
}

// unknownNote says why an earlier period's value of d's source is unknown.
func unknownNote(d *rules.Decl, e *Snapshot) *Reason {
	if d.Hist == rules.HistWindowFired || d.Hist == rules.HistStreakFired {
		return &Reason{Kind: ReasonNoResultIn, Name: d.Of.Name, Period: e.Period.Label}
	}
	return noDataNote(d.Of, e)
}

// fillCounts sets window.* and streak.* counts of targets or breaches. A
// count whose periods include an unknown one has no result (SPEC §10): a
// window count when any period of the window is unknown, a streak when an
// unknown period comes before the streak has ended.
func (r *run) fillCounts(decls []*rules.Decl) {
	for _, d := range decls {
		streak := d.Hist == rules.HistStreakMet || d.Hist == rules.HistStreakMissed || d.Hist == rules.HistStreakFired
		cur := r.vals[d.Of.Slot]
		if unknown(d, cur) {
			r.setReason(d.Slot, unknownNote(d, r.s))
			continue
		}
		n := 0
		var periods []string // which periods counted, oldest first, for the why (explained only)
		var why *Reason      // set when an unknown period leaves no result
		if streak {
			if qualifies(d, cur) {
				for idx := r.s.Period.Index() - 1; ; idx-- {
					if p, ok := r.w.rejected(idx); ok {
						why = rejectedNote(p)
						break
					}
					e := r.w.at(idx)
					if e == nil {
						break // a gap, or the window's start
					}
					if unknown(d, e.Values[d.Of.Slot]) {
						why = unknownNote(d, e)
						break
					}
					if !qualifies(d, e.Values[d.Of.Slot]) {
						break
					}
					n++
					if r.why {
						periods = append([]string{e.Period.Label}, periods...)
					}
				}
			}
		} else if r.w != nil {
			if len(r.w.Rejected) > 0 {
				why = rejectedNote(r.w.Rejected[0])
			}
			for _, e := range r.w.Earlier {
				if why != nil {
					break
				}
				switch v := e.Values[d.Of.Slot]; {
				case unknown(d, v):
					why = unknownNote(d, e)
				case qualifies(d, v):
					n++
					if r.why {
						periods = append(periods, e.Period.Label)
					}
				}
			}
		}
		if why != nil {
			r.setReason(d.Slot, why)
			continue
		}
		if qualifies(d, cur) {
			n++
			if r.why {
				periods = append(periods, r.s.Period.Label)
			}
		}
		r.vals[d.Slot] = Num(float64(n))
		if r.why {
			r.note(d.Slot, &Reason{Kind: ReasonCount, Hist: d.Hist, Periods: periods})
		}
	}
}
