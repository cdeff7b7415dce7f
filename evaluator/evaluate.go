package evaluator

import (
	"errors"
	"math"
	"slices"
	"strings"

	"github.com/rubric-dev/rubric/rules"
)

// Snapshot is one subject's values for one period. Values has one slot per
// declared name of the policy (rules.Scope); the reader fills the input
// slots (metrics and attributes) and leaves the others empty. Evaluation
// writes the remaining slots, so a Snapshot belongs to one evaluation at a
// time.
type Snapshot struct {
	Subject string
	Team    string
	HasTeam bool
	Period  rules.Period
	Values  []Value
	Line    int // where the snapshot was read, for messages
	// HistoryOnly marks a snapshot before the policy's effective_from,
	// read only as history for later periods: never written out or paid.
	HistoryOnly bool

	exact     []ExactValue // input numbers a float cannot hold exactly
	reasons   []*Reason    // per slot: why it has no value, when known
	notes     []*Reason    // per slot: what a value was made of (history counts), for explanations
	derived   bool
	defaulted []string
}

// NewSnapshot returns a snapshot with empty value slots for p.
func NewSnapshot(p *rules.Policy) *Snapshot {
	return &Snapshot{Values: make([]Value, p.Scope.Len())}
}

// Options control what an evaluation produces.
type Options struct {
	// Explain records what decided every result (the conditions and the
	// values they read, the contributions, an incentive's steps), from
	// which each result's Why renders its sentence. Without it Why is "".
	Explain bool
	// IncentivesOnly computes only the rules the incentives depend on (what
	// a payroll export needs); other targets, scores and breaches are left
	// with an invalid zero status.
	IncentivesOnly bool
}

// Evaluator evaluates snapshots against one compiled policy. It is
// immutable after New and safe for concurrent use; each goroutine gets its
// own working memory.
type Evaluator struct {
	p       *rules.Policy
	opts    Options
	inputs  []*rules.Metric
	scratch chan *scratch
	period  struct{ days, start, end, label int } // slots of period.*, -1 when unused
	counts  [4]int                                // slots of breaches.minor, major, critical, any
	need    need
	// weightTargets[s][w] is the index in Outcome.Targets of the target of
	// weight w of scorecard s.
	weightTargets [][]int
	hist          histDecls
}

// New prepares an evaluator for a resolved policy without errors.
func New(p *rules.Policy, opts Options) *Evaluator {
	e := &Evaluator{p: p, opts: opts, scratch: make(chan *scratch, 64)}
	for _, m := range p.Metrics {
		if m.Derived == nil {
			e.inputs = append(e.inputs, m)
		}
	}
	slot := func(name string) int {
		if d, ok := p.Scope.Lookup(name); ok {
			return d.Slot
		}
		return -1
	}
	e.period.days, e.period.start, e.period.end, e.period.label = slot("period.days"), slot("period.start"), slot("period.end"), slot("period.label")
	index := map[*rules.Target]int{}
	for i, t := range p.Targets {
		index[t] = i
	}
	for _, sc := range p.Scorecards {
		idx := make([]int, len(sc.Weights))
		for w, wt := range sc.Weights {
			idx[w] = index[wt.Target]
		}
		e.weightTargets = append(e.weightTargets, idx)
	}
	e.hist = newHistDecls(p)
	if opts.IncentivesOnly && !p.UsesHistory {
		e.need = incentiveNeeds(p)
	} else {
		e.need = everything(p)
	}
	for i, sev := range []string{"minor", "major", "critical", "any"} {
		e.counts[i] = slot("breaches." + sev)
	}
	return e
}

// NeedsStats reports whether the evaluation reads team.* or all.*: only
// then must the caller build Stats in a first pass.
func (e *Evaluator) NeedsStats() bool { return e.need.stats }

// Policy returns the policy being evaluated.
func (e *Evaluator) Policy() *rules.Policy { return e.p }

func (e *Evaluator) getScratch() *scratch {
	select {
	case s := <-e.scratch:
		return s
	default:
		return newScratch()
	}
}

func (e *Evaluator) putScratch(s *scratch) {
	select {
	case e.scratch <- s:
	default:
	}
}

// run is the state of one evaluation.
type run struct {
	e    *Evaluator
	s    *Snapshot
	vals []Value
	sc   *scratch
	out  *Outcome
	why  bool
	// ruleWhy records what decided targets, scores and breaches; false
	// when only incentives are explained (payroll), which still records
	// the reasons their explanations quote.
	ruleWhy bool
	w       *Window // earlier snapshots of the subject; nil without history
}

// setReason records why a slot has no value, for explanations; without
// them there is nothing to record.
func (r *run) setReason(slot int, reason *Reason) {
	if !r.why {
		return
	}
	if r.s.reasons == nil {
		r.s.reasons = make([]*Reason, len(r.vals))
	}
	r.s.reasons[slot] = reason
}

// note records what a slot's value was made of, for explanations.
func (r *run) note(slot int, note *Reason) {
	if r.s.notes == nil {
		r.s.notes = make([]*Reason, len(r.vals))
	}
	r.s.notes[slot] = note
}

// reason says that d has no value, and why when that is known; nil when
// the evaluation is not explained.
func (r *run) reason(d *rules.Decl) *Reason {
	if !r.why {
		return nil
	}
	var cause *Reason
	if r.s.reasons != nil {
		cause = r.s.reasons[d.Slot]
	}
	return &Reason{Kind: ReasonNoValue, Name: d.Name, Cause: cause}
}

// Derive applies params, defaults and derived metrics to s: the first
// stages of evaluation, which team statistics are computed from. It is
// idempotent. It returns the names of metrics that took their default.
func (e *Evaluator) Derive(s *Snapshot) []string { return e.DeriveWindow(s, nil) }

// DeriveWindow is Derive for a policy with history: w holds the subject's
// earlier snapshots in the window, evaluated.
func (e *Evaluator) DeriveWindow(s *Snapshot, w *Window) []string {
	sc := e.getScratch()
	defer e.putScratch(sc)
	sc.celAct.begin(len(s.Values))
	r := &run{e: e, s: s, vals: s.Values, sc: sc, w: w}
	return r.derive()
}

func (r *run) derive() []string {
	if r.s.derived {
		return r.s.defaulted
	}
	r.s.derived = true
	p := r.e.p
	for _, pm := range p.Params {
		switch pm.Type {
		case rules.TypeNumber:
			r.vals[pm.Decl.Slot] = Num(pm.Num)
		case rules.TypeString:
			r.vals[pm.Decl.Slot] = Str(pm.Str)
		case rules.TypeBool:
			r.vals[pm.Decl.Slot] = Boolean(pm.Bool)
		}
	}
	for _, m := range r.e.inputs {
		if !r.vals[m.Decl.Slot].Has() {
			if m.Default != nil {
				r.vals[m.Decl.Slot] = Num(*m.Default)
				r.s.defaulted = append(r.s.defaulted, m.Name)
			} else {
				r.setReason(m.Decl.Slot, reasonMissing)
			}
		}
	}
	r.fillPrev(r.e.hist.prev)
	r.fillPeriods()
	for _, m := range r.e.inputs {
		r.fillWindowMetric(m.Decl.Slot)
	}
	per := r.s.Period
	ps := &r.e.period
	if ps.days >= 0 {
		r.vals[ps.days] = Num(float64(per.Days))
	}
	if ps.start >= 0 {
		r.vals[ps.start] = Str(per.StartDate())
	}
	if ps.end >= 0 {
		r.vals[ps.end] = Str(per.EndDate())
	}
	if ps.label >= 0 {
		r.vals[ps.label] = Str(per.Label)
	}
	for _, m := range p.Derived {
		v, reason := r.eval(m.Derived)
		if v.Has() {
			r.vals[m.Decl.Slot] = v
		} else {
			r.setReason(m.Decl.Slot, reason)
		}
		r.fillWindowMetric(m.Decl.Slot)
	}
	return r.s.defaulted
}

// Evaluate runs every stage of the policy over s. stats supplies team.* and
// all.* values; it may be nil when the policy uses neither.
func (e *Evaluator) Evaluate(s *Snapshot, stats *Stats) *Outcome {
	return e.EvaluateInto(&Outcome{}, s, stats)
}

// EvaluateInto is Evaluate writing into o, reusing its slices: a stream
// evaluates many snapshots into one Outcome per goroutine. o and what it
// holds are overwritten by the next call.
func (e *Evaluator) EvaluateInto(o *Outcome, s *Snapshot, stats *Stats) *Outcome {
	return e.EvaluateWindow(o, s, stats, nil)
}

// EvaluateWindow is EvaluateInto for a policy with history: w holds the
// subject's earlier snapshots in the window, evaluated (nil: none).
func (e *Evaluator) EvaluateWindow(o *Outcome, s *Snapshot, stats *Stats, w *Window) *Outcome {
	sc := e.getScratch()
	defer e.putScratch(sc)
	o.Snapshot, o.Defaulted, o.Window = s, nil, nil
	clear(o.inputs) // no value of the last snapshot stays reachable
	o.inputs = o.inputs[:0]
	sc.celAct.begin(len(s.Values))
	r := &run{e: e, s: s, vals: s.Values, sc: sc, out: o, why: e.opts.Explain, ruleWhy: e.opts.Explain && !e.opts.IncentivesOnly, w: w}
	r.out.Defaulted = r.derive()
	if e.p.History > 0 {
		o.Window = r.windowLabels()
	}
	if stats != nil {
		stats.fill(s)
	}
	r.fillPrev(e.hist.prevRes)
	r.targets()
	r.fillCounts(e.hist.targets)
	r.scores()
	r.breaches()
	r.fillCounts(e.hist.breach)
	r.incentives()
	return r.out
}

// eval evaluates an expression. A referenced name without a value, an
// error, or a non-finite number gives no value and the reason (nil when
// the evaluation is not explained).
func (r *run) eval(x *rules.Expression) (Value, *Reason) {
	for _, d := range x.Refs {
		if !r.vals[d.Slot].Has() {
			return Value{}, r.reason(d)
		}
	}
	prog, ok := x.Program.(program)
	if !ok {
		return Value{}, reasonNotCompiled
	}
	v, err := prog.eval(r.vals, r.sc)
	if err != nil {
		if errors.Is(err, errDivZero) || strings.Contains(err.Error(), errDivZero.Error()) {
			return Value{}, reasonDivZero
		}
		if !r.why {
			return Value{}, nil
		}
		return Value{}, r.failed(err)
	}
	switch {
	case v.Kind == Number && math.IsInf(v.Num, 0):
		return Value{}, reasonInfinite
	case v.Kind == Number && math.IsNaN(v.Num):
		return Value{}, reasonNaN
	case x.Want == rules.TypeNumber && v.Kind != Number:
		return Value{}, r.gave(ReasonGave, v)
	case x.Want == rules.TypeBool && v.Kind != Bool:
		return Value{}, r.gave(ReasonGaveBool, v)
	}
	return v, nil
}

// failed says that an operation failed with err, when explaining.
func (r *run) failed(err error) *Reason {
	if !r.why {
		return nil
	}
	return &Reason{Kind: ReasonFailed, Text: firstLine(err.Error())}
}

// gave says that an expression gave v, a value of the wrong kind.
func (r *run) gave(kind ReasonKind, v Value) *Reason {
	if !r.why {
		return nil
	}
	return &Reason{Kind: kind, Text: v.String()}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// operand evaluates a number-or-expression.
func (r *run) operand(o rules.Operand) (Value, *Reason) {
	if !o.Set {
		return Value{}, nil
	}
	if o.Expr == nil {
		return Num(o.Num), nil
	}
	return r.eval(o.Expr)
}

// inputs lists the referenced names of an expression with their values,
// what history made them of and whether they took their default, for
// explanations.
func (r *run) inputs(x *rules.Expression) []Input {
	if x == nil {
		return nil
	}
	start := len(r.out.inputs)
	for _, d := range x.Refs {
		in := Input{Name: d.Name, Value: r.vals[d.Slot]}
		if r.s.notes != nil {
			in.Note = r.s.notes[d.Slot]
		}
		for _, def := range r.out.Defaulted {
			if def == d.Name {
				in.Defaulted = true
			}
		}
		r.out.inputs = append(r.out.inputs, in)
	}
	end := len(r.out.inputs)
	return r.out.inputs[start:end:end]
}

// condition records how a condition came out, for explanations.
func (r *run) condition(x *rules.Expression, v bool) Condition {
	return Condition{Expr: x, Inputs: r.inputs(x), Value: v}
}

// Reset empties s for another row of the same policy, keeping its
// memory: a stream recycles the snapshots it has evaluated.
func (s *Snapshot) Reset() {
	vals, exact, reasons, notes, defaulted := s.Values, s.exact[:0], s.reasons, s.notes, s.defaulted[:0]
	clear(vals)
	clear(reasons)
	clear(notes)
	*s = Snapshot{Values: vals, exact: exact, reasons: reasons, notes: notes, defaulted: defaulted}
}

// clone is a copy of s with everything an evaluation left on it.
func (s *Snapshot) clone() *Snapshot {
	c := *s
	c.Values = slices.Clone(s.Values)
	c.exact = slices.Clone(s.exact)
	c.reasons = slices.Clone(s.reasons)
	c.notes = slices.Clone(s.notes)
	c.defaulted = slices.Clone(s.defaulted)
	return &c
}

// Copy returns the snapshot as it was read — subject, period, team,
// values, exact input numbers — without anything an evaluation left on it
// (derived values are derived again), to evaluate it afresh: with another
// version of the policy, or in a benchmark.
func (s *Snapshot) Copy() *Snapshot {
	return &Snapshot{
		Subject: s.Subject, Team: s.Team, HasTeam: s.HasTeam, Period: s.Period, Line: s.Line, HistoryOnly: s.HistoryOnly,
		Values: append([]Value(nil), s.Values...),
		exact:  append([]ExactValue(nil), s.exact...),
	}
}
