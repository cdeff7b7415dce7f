package evaluator

import (
	"math"
	"strconv"
	"strings"

	"github.com/rubric-dev/rubric/evaluator/lang"
	"github.com/rubric-dev/rubric/rules"
)

// This file is the one place where a result's why sentence is written.
// Evaluation records what decided each result as data (the values and
// bounds, the condition and the values it read, the contributions, the
// steps of an incentive's arithmetic); the sentences are rendered from
// that data when an encoder, a report or a test asks for them, so an
// evaluation that is never explained writes no prose, and a renderer
// of another kind (the HTML report) can use the same data.
//
// A result has a why only when its evaluation was explained
// (Options.Explain; with IncentivesOnly, incentives only): otherwise
// Why is "".

// Condition is how a condition (a target's or breach rule's when, a gate)
// came out, and the values it read.
type Condition struct {
	Expr   *rules.Expression
	Inputs []Input // one per name the expression reads, in its order
	Value  bool
}

// Why says why the target has its status.
func (t *TargetResult) Why() string { return string(t.AppendWhy(nil)) }

// AppendWhy appends Why to b.
func (t *TargetResult) AppendWhy(b []byte) []byte { return t.AppendWhyIn(b, nil) }

// WhyIn is Why in a language (nil: English).
func (t *TargetResult) WhyIn(l *lang.Locale) string { return string(t.AppendWhyIn(nil, l)) }

// AppendWhyIn appends WhyIn(l) to b.
func (t *TargetResult) AppendWhyIn(b []byte, l *lang.Locale) []byte {
	if t.policy == nil {
		return b
	}
	switch t.Status {
	case TargetNoData:
		return t.Reason.AppendIn(append(b, l.S("no data: ")...), l)
	case NotApplicable:
		return appendCondition(append(b, l.S("not applicable: ")...), &t.When, l)
	case Exceeded, Met, TargetBreached, Missed:
		return t.appendScored(b, l)
	}
	return b
}

func (t *TargetResult) appendScored(b []byte, l *lang.Locale) []byte {
	rt, minor := t.Target, t.policy.MinorUnit
	show := func(b []byte, v float64) []byte {
		return localNum(l, appendDisplay(b, v, rt.Display, rt.Unit, minor), len(b))
	}
	if rt.Metric != nil {
		b = append(b, rt.Metric.Name...)
	} else {
		b = append(b, rt.Name...)
	}
	b = show(append(b, ' '), t.Value.Num)
	dir := l.S(" (higher is better)")
	if rt.Better == rules.Lower {
		dir = l.S(" (lower is better)")
	}
	gap := roundGap(math.Abs(t.Value.Num - t.Goal.Num))
	switch t.Status {
	case Exceeded:
		b = show(append(b, l.S(" is at or better than the stretch ")...), t.Stretch.Num)
		b = append(b, dir...)
	case Met:
		b = show(append(b, l.S(" is at or better than the goal ")...), t.Goal.Num)
		b = append(b, dir...)
	case TargetBreached:
		b = show(append(b, l.S(" is worse than the threshold ")...), t.Threshold.Num)
		b = append(b, dir...)
		b = show(append(b, l.S(", ")...), gap)
		b = show(append(b, l.S(" from the goal ")...), t.Goal.Num)
	default:
		b = show(append(b, l.S(" missed the goal ")...), t.Goal.Num)
		b = show(append(b, l.S(" by ")...), gap)
		b = append(b, dir...)
	}
	b = append(b, l.S("; ")...)
	return t.appendAttainment(b, l)
}

// appendAttainment says how the attainment was computed.
func (t *TargetResult) appendAttainment(b []byte, l *lang.Locale) []byte {
	rt := t.Target
	switch rt.Scoring {
	case rules.Binary:
		if t.Status == Met || t.Status == Exceeded {
			return append(b, l.S("binary scoring: attainment 1")...)
		}
		return append(b, l.S("binary scoring: attainment 0")...)
	case rules.Curve:
		return lShort(l, append(b, l.S("on the curve, attainment ")...), t.Attainment.Num)
	}
	v, goal := t.Value.Num, t.Goal.Num
	if rt.Better == rules.Lower {
		if v <= 0 {
			return lShort(l, append(b, l.S("a value of 0 or less gives the cap ")...), t.Cap)
		}
		b = lNumber(l, append(b, l.S("attainment ")...), goal)
		b = lNumber(l, append(b, '/'), v)
	} else {
		b = lNumber(l, append(b, l.S("attainment ")...), v)
		b = lNumber(l, append(b, '/'), goal)
	}
	b = lShort(l, append(b, l.S(" = ")...), t.Ratio)
	switch {
	case t.Ratio > t.Cap:
		b = lShort(l, append(b, l.S(", capped at ")...), t.Cap)
	case t.Ratio < 0:
		b = append(b, l.S(", raised to 0")...)
	}
	return b
}

// roundGap trims floating-point noise from a difference (0.19999999999999996 → 0.2).
func roundGap(g float64) float64 {
	if g == 0 {
		return 0
	}
	return math.Round(g*1e9) / 1e9
}

// Why says how the score was computed, or why there is none.
func (s *ScoreResult) Why() string { return string(s.AppendWhy(nil)) }

// AppendWhy appends Why to b.
func (s *ScoreResult) AppendWhy(b []byte) []byte { return s.AppendWhyIn(b, nil) }

// WhyIn is Why in a language (nil: English).
func (s *ScoreResult) WhyIn(l *lang.Locale) string { return string(s.AppendWhyIn(nil, l)) }

// AppendWhyIn appends WhyIn(l) to b.
func (s *ScoreResult) AppendWhyIn(b []byte, l *lang.Locale) []byte {
	if !s.explained {
		return b
	}
	sc := s.Scorecard
	switch s.Status {
	case ScoreNotApplicable:
		return append(b, l.S("not applicable: every target of the scorecard is not applicable")...)
	case ScoreNoData:
		switch {
		case !s.CoverageSet: // a target with no data voided it
			b = append(b, l.S("no data: target ")...)
			b = append(b, s.Missing[len(s.Missing)-1]...)
			b = append(b, l.S(" is no_data (")...)
			b = s.Reason.AppendIn(b, l)
			return append(b, l.S(`) and missing = "void" voids the score`)...)
		case s.Coverage < sc.MinCoverage-1e-9 || s.Coverage <= 0:
			b = lShort(l, append(b, l.S("no data: coverage ")...), s.Coverage)
			b = lShort(l, append(b, l.S("% is below the minimum ")...), sc.MinCoverage)
			b = append(b, l.S("% (no data for ")...)
			b = appendJoin(b, s.Missing)
			return append(b, ')')
		default:
			return append(b, l.S("no data: the score overflows (an attainment is too large to add up)")...)
		}
	case ScoreOK:
	default:
		return b
	}
	b = lShort(l, append(b, l.S("score ")...), s.Value.Num)
	b = lShort(l, append(b, l.S(" = Σ weight × attainment / ")...), s.Coverage)
	b = append(b, l.S(" over ")...)
	for i, c := range s.Contributions {
		if i > 0 {
			b = append(b, l.S(" + ")...)
		}
		b = append(append(b, c.Target...), ' ')
		b = lShort(l, b, c.Weight)
		b = lShort(l, append(b, l.S("×")...), c.Attainment)
	}
	b = lShort(l, append(b, l.S(" (coverage ")...), s.Coverage)
	b = append(b, '%')
	if len(s.Missing) > 0 {
		if sc.Missing == rules.Zero {
			b = append(b, l.S("; no data, counted as 0: ")...)
		} else {
			b = append(b, l.S("; no data, left out: ")...)
		}
		b = appendJoin(b, s.Missing)
	}
	b = append(b, ')')
	switch band := s.band(); {
	case band != nil:
		b = append(append(b, l.S("; band ")...), band.Name...)
		b = lShort(l, append(b, l.S(" (at or above ")...), band.Min)
		b = append(b, ')')
	case len(sc.Bands) > 0:
		low := sc.Bands[len(sc.Bands)-1]
		b = append(append(b, l.S("; below every band (the lowest, ")...), low.Name...)
		b = lShort(l, append(b, l.S(", starts at ")...), low.Min)
		b = append(b, ')')
	}
	return b
}

// band is the scorecard's band the score reached, nil for none.
func (s *ScoreResult) band() *rules.Band {
	for i := range s.Scorecard.Bands {
		if s.Scorecard.Bands[i].Name == s.Band.Str {
			return &s.Scorecard.Bands[i]
		}
	}
	return nil
}

// Why says how the breach rule's condition came out, or why it has none.
func (br *BreachResult) Why() string { return string(br.AppendWhy(nil)) }

// AppendWhy appends Why to b.
func (br *BreachResult) AppendWhy(b []byte) []byte { return br.AppendWhyIn(b, nil) }

// WhyIn is Why in a language (nil: English).
func (br *BreachResult) WhyIn(l *lang.Locale) string { return string(br.AppendWhyIn(nil, l)) }

// AppendWhyIn appends WhyIn(l) to b.
func (br *BreachResult) AppendWhyIn(b []byte, l *lang.Locale) []byte {
	if !br.explained {
		return b
	}
	switch br.Status {
	case BreachNoData:
		return br.Reason.AppendIn(append(b, l.S("no data: ")...), l)
	case Breached, Clear:
		return appendCondition(b, &br.When, l)
	}
	return b
}

// Why says how the incentive's amount came about, from its steps.
func (in *IncentiveResult) Why() string { return string(in.AppendWhy(nil)) }

// AppendWhy appends Why to b.
func (in *IncentiveResult) AppendWhy(b []byte) []byte { return in.AppendWhyIn(b, nil) }

// WhyIn is Why in a language (nil: English).
func (in *IncentiveResult) WhyIn(l *lang.Locale) string { return string(in.AppendWhyIn(nil, l)) }

// AppendWhyIn appends WhyIn(l) to b.
func (in *IncentiveResult) AppendWhyIn(b []byte, l *lang.Locale) []byte {
	if in.policy == nil {
		return b
	}
	switch in.Status {
	case IncentiveNoData:
		b = append(b, l.S("no data, needs review: ")...)
		b = append(b, l.S(in.NoData)...)
		if in.NoDataName != "" {
			b = append(append(b, ' '), in.NoDataName...)
		}
		b = append(b, l.S(": ")...)
		return in.Reason.AppendIn(b, l)
	case Ineligible:
		b = append(append(b, l.S("ineligible at gate ")...), in.Gate...)
		b = append(b, l.S(": ")...)
		if g := in.step("gate", in.Gate); g != nil {
			b = appendStepCondition(b, g, "false", l)
		}
		return b
	case Earned, NotEarned:
	default:
		return b
	}
	start := len(b)
	sep := func(b []byte) []byte {
		if len(b) > start {
			return append(b, l.S("; ")...)
		}
		return b
	}
	n := 0
	for i := range in.Steps {
		if st := &in.Steps[i]; st.Step == "gate" {
			if n == 0 {
				b = append(b, l.S("eligible (")...)
			} else {
				b = append(b, l.S(", ")...)
			}
			b = append(b, st.Name...)
			n++
		}
	}
	if n > 0 {
		b = append(b, l.S(" passed)")...)
	}
	b = in.appendGross(b, sep, l)
	for i := range in.Steps {
		st := &in.Steps[i]
		switch st.Step {
		case "prorate":
			b = append(sep(b), l.S("× prorate ")...)
			b = append(append(append(b, l.Num(st.Multiplier)...), l.S(" = ")...), l.Num(st.Result)...)
		case "cap":
			if in.Capped {
				b = append(append(sep(b), l.S("capped at ")...), l.Num(st.Limit)...)
			}
		case "floor":
			if in.Floored {
				b = append(append(sep(b), l.S("raised to the floor ")...), l.Num(st.Limit)...)
			}
		}
	}
	if in.Negative {
		b = append(sep(b), l.S("a negative amount counts as 0")...)
	}
	b = append(append(sep(b), l.S("rounded ")...), in.Incentive.Rounding.String()...)
	return append(append(b, l.S(" to ")...), l.Money(in.Amount.Text('f'), in.policy.Currency)...)
}

// appendGross says how the amount before prorate, cap and floor came
// about: the basis and its tier, or the units through the rate bands.
func (in *IncentiveResult) appendGross(b []byte, sep func([]byte) []byte, l *lang.Locale) []byte {
	rin := in.Incentive
	switch rin.Kind {
	case rules.AmountBasis:
		mult := "1"
		if len(rin.Tiers) > 0 {
			if t := in.step("tier", in.Tier); t != nil && in.Tier != "" {
				b = sep(b)
				if len(t.Inputs) > 0 {
					b = appendInputs(b, t.Inputs, l)
				} else {
					b = append(b, t.Expr...)
				}
				b = append(append(b, l.S(" reached tier ")...), t.Name...)
				b = append(append(append(b, l.S(" (×")...), l.Num(t.Multiplier)...), ')')
				mult = t.Multiplier
			} else {
				b = append(sep(b), l.S("no tier matched")...)
				mult = "0"
			}
		}
		if basis := in.step("basis", ""); basis != nil {
			b = append(sep(b), l.Num(basis.Result)...)
			b = append(append(append(b, l.S(" × ")...), l.Num(mult)...), " = "...)
			b = append(b, l.Num(decText(in.Gross))...)
		}
	case rules.AmountUnits:
		units := ""
		if u := in.step("units", ""); u != nil {
			units = u.Result
		}
		b = sep(b)
		var paid []*Step
		for i := range in.Steps {
			if st := &in.Steps[i]; st.Step == "rate" && st.Name != "" {
				paid = append(paid, st)
			}
		}
		switch {
		case len(paid) == 0:
			first := rin.Rates[0]
			b = append(append(b, l.Num(units)...), l.S(" units are below the first rate band ")...)
			b = append(append(b, first.Name...), l.S(" (from ")...)
			b = append(append(b, l.Num(decText(first.From))...), l.S("): 0")...)
		case rin.Schedule == rules.Flat:
			st := paid[0]
			b = append(append(b, l.S("flat schedule, band ")...), st.Name...)
			b = append(append(append(b, l.S(": ")...), l.Num(units)...), " × "...)
			b = append(append(append(b, l.Num(st.PerUnit)...), l.S(" = ")...), l.Num(st.Result)...)
		default:
			b = append(b, l.S("graduated: ")...)
			for i, st := range paid {
				if i > 0 {
					b = append(b, l.S(" + ")...)
				}
				b = append(append(append(b, l.Num(st.Units)...), l.S(" × ")...), l.Num(st.PerUnit)...)
				b = append(append(append(b, l.S(" (")...), st.Name...), ')')
			}
			b = append(append(b, l.S(" = ")...), l.Num(decText(in.Gross))...)
		}
	}
	return b
}

// step is the incentive's first step of the kind (and name, when not "").
func (in *IncentiveResult) step(kind, name string) *Step {
	for i := range in.Steps {
		if st := &in.Steps[i]; st.Step == kind && (name == "" || st.Name == name) {
			return st
		}
	}
	return nil
}

// appendCondition says how a condition came out: "a = 1, b = 2, so
// a > b is false".
func appendCondition(b []byte, c *Condition, l *lang.Locale) []byte {
	if len(c.Inputs) > 0 {
		b = append(appendInputs(b, c.Inputs, l), l.S(", so ")...)
	}
	b = append(append(b, c.Expr.Source...), l.S(" is ")...)
	return append(b, l.S(strconv.FormatBool(c.Value))...)
}

// appendStepCondition is appendCondition for a gate's step.
func appendStepCondition(b []byte, st *Step, result string, l *lang.Locale) []byte {
	if len(st.Inputs) > 0 {
		b = append(appendInputs(b, st.Inputs, l), l.S(", so ")...)
	}
	return append(append(append(b, st.Expr...), l.S(" is ")...), l.S(result)...)
}

// appendInputs writes "name = value (note) (defaulted), …".
func appendInputs(b []byte, ins []Input, l *lang.Locale) []byte {
	for i, in := range ins {
		if i > 0 {
			b = append(b, l.S(", ")...)
		}
		b = append(append(b, in.Name...), l.S(" = ")...)
		start := len(b)
		b = in.Value.appendTo(b)
		b = localNum(l, b, start)
		if in.Note != nil {
			b = append(in.Note.AppendIn(append(b, l.S(" (")...), l), ')')
		}
		if in.Defaulted {
			b = append(b, l.S(" (defaulted)")...)
		}
	}
	return b
}

func appendJoin(b []byte, names []string) []byte {
	for i, n := range names {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, n...)
	}
	return b
}

// localNum writes the number text appended to b since start in l's form.
func localNum(l *lang.Locale, b []byte, start int) []byte {
	if l == nil {
		return b
	}
	n := l.Num(string(b[start:]))
	return append(b[:start], n...)
}

// lShort is lang.AppendShort in l's number form.
func lShort(l *lang.Locale, b []byte, f float64) []byte {
	return localNum(l, lang.AppendShort(b, f), len(b))
}

// lNumber is appendNumber in l's number form.
func lNumber(l *lang.Locale, b []byte, f float64) []byte {
	return localNum(l, appendNumber(b, f), len(b))
}

// Note says what a step did beyond its fields: "no tier matched", "2 units
// × 1000". The JSON why keeps it in English.
func (st *Step) Note() string { return st.NoteIn(nil) }

// NoteIn is Note in a language (nil: English).
func (st *Step) NoteIn(l *lang.Locale) string {
	var note string
	switch {
	case st.Step == "tier" && st.Name == "":
		note = l.S("no tier matched")
	case st.Step != "rate":
		return ""
	case st.FirstBand != "":
		note = l.F("%s units are below the first band (%s from %s)", st.Units, st.FirstBand, st.From)
	case st.Flat:
		note = l.F("flat: all %s units at %s", st.Units, st.PerUnit)
	default:
		note = l.F("%s units × %s", st.Units, st.PerUnit)
	}
	return l.Num(note)
}

// String is the reason in English, as the JSON why writes it.
func (r *Reason) String() string { return string(r.AppendIn(nil, nil)) }

// In is the reason in a language (nil: English).
func (r *Reason) In(l *lang.Locale) string { return string(r.AppendIn(nil, l)) }

// AppendIn appends In(l) to b, its numbers in the language's form.
func (r *Reason) AppendIn(b []byte, l *lang.Locale) []byte {
	return localNum(l, r.appendIn(b, l), len(b))
}

// appendIn writes the reason and the reasons it came from; AppendIn puts
// the numbers of the whole in the language's form once.
func (r *Reason) appendIn(b []byte, l *lang.Locale) []byte {
	if r == nil {
		return b
	}
	cause := func(b []byte) []byte {
		if r.Cause == nil {
			return b
		}
		return r.Cause.appendIn(append(b, l.S(": ")...), l)
	}
	switch r.Kind {
	case ReasonText:
		return append(b, l.S(r.Text)...)
	case ReasonFailed:
		return append(b, l.F("evaluation failed: %s", r.Text)...)
	case ReasonGave:
		return append(b, l.F("gave %s, not a number", r.Text)...)
	case ReasonGaveBool:
		return append(b, l.F("gave %s, not true or false", r.Text)...)
	case ReasonNoValue:
		if r.Cause == nil {
			return append(b, l.F("%s has no value", r.Name)...)
		}
		return append(b, l.F("%s has no value (%s)", r.Name, r.Cause.appendIn(nil, l))...)
	case ReasonTarget:
		if r.Text == "no_data" {
			return cause(append(b, l.F("target %s is no_data", r.Name)...))
		}
		return append(b, l.F("target %s is %s", r.Name, l.S(r.Text))...)
	case ReasonBreach:
		return cause(append(b, l.F("breach %s is no_data", r.Name)...))
	case ReasonScore:
		if r.Text == "no_data" {
			return append(b, l.F("score %s is no_data", r.Name)...)
		}
		return append(b, l.F("score %s is %s", r.Name, l.S(r.Text))...)
	case ReasonWhen:
		return r.Cause.appendIn(append(b, l.F("when %s: ", r.Text)...), l)
	case ReasonOperand:
		return cause(append(b, l.S(r.Text)...))
	case ReasonSample:
		return r.Cause.appendIn(append(b, l.S("the sample ")...), l)
	case ReasonSampleBelow:
		return append(b, l.F("the sample %s %s is below the minimum sample %s", r.Name, FormatNumber(r.Num), FormatNumber(r.Limit))...)
	case ReasonGoalNotPositive:
		return append(b, l.F("the goal %s is not positive, so a ratio cannot be scored", FormatNumber(r.Num))...)
	case ReasonMinTeam:
		return append(b, l.F("team %s has %d snapshot(s) in %s; the policy needs at least %d (min_team)", r.Name, int(r.Num), r.Period, int(r.Limit))...)
	case ReasonTooLarge:
		return append(b, l.F("the result %s is beyond what an amount can hold (1e15)", r.Text)...)
	case ReasonAmountTooLarge:
		return append(b, l.F("the amount %s is beyond what a payroll line can hold (1e15)", r.Text)...)
	case ReasonRejected:
		return append(b, l.F("the snapshot of %s was rejected as bad input", r.Period)...)
	case ReasonNoPrevious:
		return append(b, l.F("no snapshot for the period before %s", r.Period)...)
	case ReasonWasNoData:
		return cause(append(b, l.F("%s was no_data in %s", r.Name, r.Period)...))
	case ReasonNoValueIn:
		return append(b, l.F("%s had no value in %s", r.Name, r.Period)...)
	case ReasonNoResultIn:
		return append(b, l.F("%s had no result in %s", r.Name, r.Period)...)
	case ReasonWindowEmpty:
		return append(b, l.F("no period of the window has a value for %s", r.Name)...)
	case ReasonIn:
		return append(b, l.F("in %s", r.Period)...)
	case ReasonOver:
		return append(b, l.F("over %s", strings.Join(r.Periods, ", "))...)
	case ReasonCount:
		return r.appendCount(b, l)
	}
	return b
}

// appendCount says which periods a window or streak count counted: "met
// in 2016-04, 2016-05 and 2016-06".
func (r *Reason) appendCount(b []byte, l *lang.Locale) []byte {
	what := "fired"
	switch r.Hist {
	case rules.HistWindowMet, rules.HistStreakMet:
		what = "met"
	case rules.HistWindowMissed, rules.HistStreakMissed:
		what = "missed"
	}
	what = l.S(what)
	ps := r.Periods
	if len(ps) == 0 {
		return append(b, l.F("not %s in the window", what)...)
	}
	list := ps[0]
	if len(ps) > 1 {
		list = strings.Join(ps[:len(ps)-1], ", ") + l.S(" and ") + ps[len(ps)-1]
	}
	if r.Hist == rules.HistStreakMet || r.Hist == rules.HistStreakMissed || r.Hist == rules.HistStreakFired {
		return append(b, l.F("%s in %s: %d period(s) in a row", what, list, len(ps))...)
	}
	return append(b, l.F("%s in %s", what, list)...)
}
