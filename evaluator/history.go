package evaluator

import (
	"fmt"
	"strings"

	"github.com/rubric-dev/rubric/rules"
)

// Window is what one snapshot's evaluation may look back on: the same
// subject's earlier snapshots within the policy's history, already
// evaluated under the same policy, oldest first (docs/language.md,
// History). Periods without a snapshot are simply absent: gaps.
type Window struct {
	Earlier []*Snapshot
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
		case d.Hist == rules.HistPrev && d.Stage == rules.StageDerived:
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
// evaluated by the time any of them is read).
func (r *run) fillPrev(decls []*rules.Decl) {
	prev := r.previous()
	for _, d := range decls {
		switch {
		case prev == nil:
			r.setReason(d.Slot, "no snapshot for the period before "+r.s.Period.Label)
		case prev.Values[d.Of.Slot].Has():
			r.vals[d.Slot] = prev.Values[d.Of.Slot]
			if r.why {
				r.note(d.Slot, "in "+prev.Period.Label)
			}
		default:
			r.setReason(d.Slot, d.Of.Name+" had no value in "+prev.Period.Label)
		}
	}
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
		periods = append(periods, label)
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
			r.setReason(d.Slot, "no period of the window has a value for "+d.Of.Name)
			continue
		}
		if r.why {
			r.note(d.Slot, "over "+strings.Join(periods, ", "))
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

// countNote says which periods a window or streak count counted.
func countNote(d *rules.Decl, periods []string) string {
	what := "fired"
	switch d.Hist {
	case rules.HistWindowMet, rules.HistStreakMet:
		what = "met"
	case rules.HistWindowMissed, rules.HistStreakMissed:
		what = "missed"
	}
	if len(periods) == 0 {
		return "not " + what + " in the window"
	}
	list := periods[0]
	if len(periods) > 1 {
		list = strings.Join(periods[:len(periods)-1], ", ") + " and " + periods[len(periods)-1]
	}
	if d.Hist == rules.HistStreakMet || d.Hist == rules.HistStreakMissed || d.Hist == rules.HistStreakFired {
		return fmt.Sprintf("%s in %s: %d period(s) in a row", what, list, len(periods))
	}
	return fmt.Sprintf("%s in %s", what, list)
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

// fillCounts sets window.* and streak.* counts of targets or breaches.
func (r *run) fillCounts(decls []*rules.Decl) {
	for _, d := range decls {
		streak := d.Hist == rules.HistStreakMet || d.Hist == rules.HistStreakMissed || d.Hist == rules.HistStreakFired
		cur := qualifies(d, r.vals[d.Of.Slot])
		n := 0
		var periods []string // which periods counted, oldest first, for the why
		if r.w != nil {
			if streak {
				if cur {
					idx := r.s.Period.Index()
					for i := len(r.w.Earlier) - 1; i >= 0; i-- {
						e := r.w.Earlier[i]
						if e.Period.Index() != idx-1 || !qualifies(d, e.Values[d.Of.Slot]) {
							break
						}
						idx--
						n++
						periods = append([]string{e.Period.Label}, periods...)
					}
				}
			} else {
				for _, e := range r.w.Earlier {
					if qualifies(d, e.Values[d.Of.Slot]) {
						n++
						periods = append(periods, e.Period.Label)
					}
				}
			}
		}
		if cur {
			n++
			periods = append(periods, r.s.Period.Label)
		}
		r.vals[d.Slot] = Num(float64(n))
		if r.why {
			r.note(d.Slot, countNote(d, periods))
		}
	}
}
