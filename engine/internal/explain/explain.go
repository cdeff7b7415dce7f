// Package explain renders outcomes as text for people: one outcome's
// report (what each target, score, breach and incentive came to, why,
// and what it would take to do better) and a subject's history table.
// It is what rubric explain prints and what the service answers.
package explain

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/engine/internal/encode"
	"github.com/rubric-dev/rubric/engine/internal/tally"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/evaluator/lang"
	"github.com/rubric-dev/rubric/evaluator/money"
	"github.com/rubric-dev/rubric/rules"
)

// History renders the subject's window: one row a period, the
// targets' values and statuses, the score and band, the incentives'
// amounts; a gap is shown as a gap.
func History(w io.Writer, p *rules.Policy, chosen *evaluator.Outcome, all []*evaluator.Outcome, l *lang.Locale) {
	byIndex := map[int]*evaluator.Outcome{}
	for _, o := range all {
		byIndex[o.Snapshot.Period.Index()] = o
	}
	cur := chosen.Snapshot.Period.Index()
	header := []string{l.F("period")}
	for _, t := range p.Targets {
		header = append(header, t.Label.Or(l.Code(), t.Name))
	}
	for _, sc := range p.Scorecards {
		header = append(header, l.F("score %s", sc.Label.Or(l.Code(), sc.Name)))
	}
	for _, in := range p.Incentives {
		header = append(header, in.Label.Or(l.Code(), in.Name))
	}
	tw := encode.NewTable(w)
	fmt.Fprint(w, l.F("\nHistory (the window of %d earlier period(s))\n", p.History))
	fmt.Fprintln(tw, "  "+strings.Join(header, "\t"))
	for idx := cur - p.History; idx <= cur; idx++ {
		label := rules.PeriodAt(p.Period, idx).Label
		o := byIndex[idx]
		if o == nil {
			fmt.Fprint(tw, l.F("  %s\t(no snapshot)\n", label))
			continue
		}
		row := []string{label}
		if o.Snapshot.HistoryOnly {
			row[0] += l.F(" (history only)")
		}
		for _, t := range o.Targets {
			cell := l.S(t.Status.String())
			if t.Value.Has() {
				cell = l.Num(displayText(t.Value, t.Target.Display, t.Target.Unit, p.MinorUnit)) + " " + cell
			}
			row = append(row, cell)
		}
		for _, sc := range o.Scores {
			cell := l.S(sc.Status.String())
			if sc.Status == evaluator.ScoreOK {
				cell = l.Num(evaluator.Short(sc.Value.Num))
				if sc.Band.Str != "" {
					cell += " " + sc.Band.Str
				}
			}
			row = append(row, cell)
		}
		for _, in := range o.Incentives {
			cell := l.S(in.Status.String())
			if in.Amount != nil {
				cell = l.Num(in.Amount.Text('f'))
			}
			row = append(row, cell)
		}
		fmt.Fprintln(tw, "  "+strings.Join(row, "\t"))
	}
	tw.Flush()
}

// Outcome renders one outcome as a readable report.
// Outcome renders one outcome as a readable report in l's language (nil:
// English).
func Outcome(w io.Writer, p *rules.Policy, o *evaluator.Outcome, l *lang.Locale) {
	s := o.Snapshot
	pr := func(format string, args ...any) { io.WriteString(w, l.F(format, args...)) }
	team := ""
	if s.HasTeam {
		team = l.F(", team %s", s.Team)
	}
	pr("%s, period %s (%s to %s, %d days)%s\n", s.Subject, s.Period.Label, s.Period.StartDate(), s.Period.EndDate(), s.Period.Days, team)
	title := p.Name
	if p.Title != "" {
		title = p.Title + " (" + p.Name + ")"
	}
	pr("Policy %s, version %s, %s\n", title, p.Version, p.Digest)

	pr("\nValues\n")
	defaulted := map[string]bool{}
	for _, d := range o.Defaulted {
		defaulted[d] = true
	}
	for _, m := range p.Metrics {
		v := s.Values[m.Decl.Slot]
		note := ""
		switch {
		case defaulted[m.Name]:
			note = l.F("  (defaulted)")
		case m.Derived != nil:
			note = "  = " + m.Derived.Source
		}
		pr("  %-22s %s%s\n", m.Label.Or(l.Code(), m.Name), l.Num(displayText(v, m.Display, m.Unit, p.MinorUnit)), note)
	}
	for _, a := range p.Attributes {
		v := s.Values[a.Decl.Slot]
		text := valueText(v, "")
		if v.Kind == evaluator.Bool {
			text = l.S(text)
		}
		pr("  %-22s %s\n", a.Name, l.Num(text))
	}

	var stats []*rules.Decl
	for _, d := range p.Scope.Decls {
		if d.Kind == rules.DeclTeam && d.Slot >= 0 {
			stats = append(stats, d)
		}
	}
	if len(stats) > 0 {
		pr("\nTeam figures used (over the snapshots of the same team and period in this run)\n")
		byName := map[string]*rules.Metric{}
		for _, m := range p.Metrics {
			byName[m.Name] = m
		}
		for _, d := range stats {
			v := s.Values[d.Slot]
			text := valueText(v, "")
			if m := byName[d.Owner]; m != nil && v.Kind == evaluator.Number && !strings.HasSuffix(d.Name, ".count") {
				text = evaluator.Display(v.Num, m.Display, m.Unit, p.MinorUnit)
			}
			if !v.Has() {
				text = l.F("no value")
			}
			pr("  %-22s %s\n", d.Name, l.Num(text))
		}
	}

	if len(o.Targets) > 0 {
		pr("\nTargets\n")
		for _, t := range o.Targets {
			line := fmt.Sprintf("  %-22s %-15s", t.Target.Label.Or(l.Code(), t.Target.Name), l.S(t.Status.String()))
			if t.Value.Has() && t.Goal.Has() {
				d := t.Target.Display
				line += l.F(" %s vs goal %s", l.Num(displayText(t.Value, d, t.Target.Unit, p.MinorUnit)), l.Num(displayText(t.Goal, d, t.Target.Unit, p.MinorUnit)))
			}
			if t.Attainment.Has() {
				line += l.F(", attainment %s", l.Num(evaluator.Short(t.Attainment.Num)))
			}
			io.WriteString(w, line+"\n")
			fmt.Fprintf(w, "  %-22s %s\n", "", t.WhyIn(l))
		}
	}

	for _, sc := range o.Scores {
		pr("\nScorecard %s: ", sc.Scorecard.Label.Or(l.Code(), sc.Scorecard.Name))
		if sc.Status != evaluator.ScoreOK {
			fmt.Fprintf(w, "%s\n  %s\n", l.S(sc.Status.String()), sc.WhyIn(l))
			continue
		}
		band := sc.Band.Str
		if band == "" {
			band = l.S("below every band")
		} else {
			band = l.F("band %s", band)
		}
		pr("%s, %s (coverage %s%%)\n", l.Num(evaluator.Short(sc.Value.Num)), band, l.Num(evaluator.Short(sc.Coverage)))
		weights := map[string]float64{}
		for _, wt := range sc.Scorecard.Weights {
			weights[wt.Target.Name] = wt.Weight
		}
		for _, c := range sc.Contributions {
			pr("  %-22s weight %-5s contributes %s\n", c.Target, l.Num(evaluator.Short(weights[c.Target])), l.Num(evaluator.Short(c.Value)))
		}
		nextBand(pr, p, sc, o, l)
	}

	if len(o.Breaches) > 0 {
		pr("\nBreaches\n")
		for _, b := range o.Breaches {
			msg := ""
			if m := b.MessageIn(l.Code(), o.Snapshot); m != "" {
				msg = ": " + l.Num(m)
			}
			fmt.Fprintf(w, "  %-22s %-9s (%s)%s\n", b.Breach.Label.Or(l.Code(), b.Breach.Name), l.S(b.Status.String()), l.S(b.Breach.Severity.String()), msg)
			fmt.Fprintf(w, "  %-22s %s\n", "", b.WhyIn(l))
		}
	}

	if len(o.Incentives) > 0 {
		pr("\nIncentives\n")
		for _, in := range o.Incentives {
			amt := l.F("no amount: needs review")
			if in.Amount != nil {
				amt = l.Money(in.Amount.Text('f'), p.Currency)
			}
			extra := []string{}
			if in.Tier != "" {
				extra = append(extra, l.F("tier %s", in.Tier))
			}
			if in.Incentive.Code != "" {
				extra = append(extra, l.F("code %s", in.Incentive.Code))
			}
			ex := ""
			if len(extra) > 0 {
				ex = " (" + strings.Join(extra, ", ") + ")"
			}
			fmt.Fprintf(w, "  %s: %s, %s%s\n", in.Incentive.Label.Or(l.Code(), in.Incentive.Name), l.S(in.Status.String()), amt, ex)
			for _, st := range in.Steps {
				fmt.Fprintf(w, "    %s\n", stepText(st, l))
			}
			pr("    why: %s\n", in.WhyIn(l))
			nextTier(pr, in, o, l)
		}
	}
}

// displayText shows a number as its metric or target says.
func displayText(v evaluator.Value, d rules.Display, unit string, minor int) string {
	if v.Kind != evaluator.Number {
		return valueText(v, unit)
	}
	return evaluator.Display(v.Num, d, unit, minor)
}

func valueText(v evaluator.Value, unit string) string {
	switch v.Kind {
	case evaluator.None:
		return "(no value)"
	case evaluator.Number:
		if unit != "" {
			if unit == "%" {
				return evaluator.FormatNumber(v.Num) + "%"
			}
			return evaluator.FormatNumber(v.Num) + " " + unit
		}
		return evaluator.FormatNumber(v.Num)
	case evaluator.String:
		return v.Str
	}
	return v.String()
}

func inputsText(ins []evaluator.Input, l *lang.Locale) string {
	parts := make([]string, len(ins))
	for i, in := range ins {
		v := in.Value.String()
		if in.Value.Kind == evaluator.Bool || !in.Value.Has() {
			v = l.S(v)
		}
		parts[i] = in.Name + " = " + l.Num(v)
	}
	return strings.Join(parts, ", ")
}

// stepText is one step of an incentive's arithmetic: its kind and name,
// the expression as written (code: never translated), the values it
// read and what came out, in l's words and numbers.
func stepText(st evaluator.Step, l *lang.Locale) string {
	var b strings.Builder
	b.WriteString(l.S(st.Step))
	if st.Name != "" {
		b.WriteString(" " + st.Name)
	}
	b.WriteString(":")
	if st.Expr != "" {
		fmt.Fprintf(&b, " %s", st.Expr)
		if len(st.Inputs) > 0 {
			fmt.Fprintf(&b, " [%s]", inputsText(st.Inputs, l))
		}
	}
	if note := st.NoteIn(l); note != "" {
		b.WriteString(" " + note)
	}
	if st.Multiplier != "" {
		b.WriteString(" ×" + l.Num(st.Multiplier))
	}
	if st.Limit != "" {
		b.WriteString(" " + l.S("limit") + " " + l.Num(st.Limit))
	}
	if st.Mode != "" {
		b.WriteString(" " + st.Mode)
	}
	if st.Result != "" {
		r := st.Result
		if r == "true" || r == "false" || r == "no value" {
			r = l.S(r)
		}
		b.WriteString(" → " + l.Num(r))
	}
	return b.String()
}

// nextBand says how far the score is from the next band up, and which
// single target could close the gap on its own.
func nextBand(pr func(string, ...any), p *rules.Policy, sc evaluator.ScoreResult, o *evaluator.Outcome, l *lang.Locale) {
	bands := sc.Scorecard.Bands
	var next *rules.Band
	for i := len(bands) - 1; i >= 0; i-- {
		if bands[i].Min > sc.Value.Num+1e-12 && (sc.Band.Str == "" || bands[i].Name != sc.Band.Str) {
			next = &bands[i]
			break
		}
	}
	if next == nil {
		if len(bands) > 0 {
			pr("  top band reached\n")
		}
		return
	}
	gap := next.Min - sc.Value.Num
	pr("  next band %s at %s: the score is %s short\n", next.Name, l.Num(evaluator.Short(next.Min)), l.Num(evaluator.Short(gap)))
	var counted float64
	for _, c := range sc.Contributions {
		for _, wt := range sc.Scorecard.Weights {
			if wt.Target.Name == c.Target {
				counted += wt.Weight
			}
		}
	}
	possible := 0
	for _, wt := range sc.Scorecard.Weights {
		for _, t := range o.Targets {
			if t.Target != wt.Target || !t.Attainment.Has() {
				continue
			}
			need := t.Attainment.Num + gap*counted/wt.Weight
			v, ok := neededValue(t, need)
			if !ok {
				continue
			}
			possible++
			tg := t.Target
			dir := l.S("up to")
			if tg.Better == rules.Lower {
				dir = l.S("down to")
			}
			v = reach(v, tg, t.Value, p.MinorUnit)
			pr("    %s alone would do it: %s %s (now %s)\n", tg.Label.Or(l.Code(), tg.Name), dir, l.Num(evaluator.Display(v, tg.Display, tg.Unit, p.MinorUnit)),
				l.Num(displayText(t.Value, tg.Display, tg.Unit, p.MinorUnit)))
		}
	}
	if possible == 0 {
		pr("    no single target can close the gap alone: it takes several\n")
	}
}

// reach rounds a value a target needs toward meeting it, at the decimals
// its display shows: up where higher is better, down where lower is, so
// the figure a reader is told to reach is enough (7.7994 h shown with one
// decimal is "down to 7.7 h", not 7.8 h, which is now). A display that
// shows every digit rounds at the decimals of the value now, at most four.
func reach(v float64, tg *rules.Target, now evaluator.Value, minor int) float64 {
	k := evaluator.ShownDecimals(tg.Display, minor)
	if k < 0 {
		k = 0
		if _, frac, ok := strings.Cut(evaluator.FormatNumber(now.Num), "."); ok {
			k = len(frac)
		}
		k = min(k, 4)
	}
	p := math.Pow10(k)
	x := v * p
	if tg.Better == rules.Lower {
		x = math.Floor(x + 1e-9)
	} else {
		x = math.Ceil(x - 1e-9)
	}
	return x / p
}

// neededValue turns the attainment a target would need into the value that
// gives it, when that value is possible: within the attainment cap, the
// metric's declared range, and 0 to 100% for a percentage.
func neededValue(t evaluator.TargetResult, need float64) (float64, bool) {
	tg := t.Target
	goal := t.Goal.Num
	if !t.Goal.Has() || !t.Value.Has() {
		return 0, false
	}
	var v float64
	switch {
	case tg.Scoring == rules.Binary:
		if need > 1+1e-12 || t.Attainment.Num >= 1 {
			return 0, false
		}
		v = goal
	case len(tg.Curve) > 0:
		found := false
		for i := 1; i < len(tg.Curve); i++ {
			a, b := tg.Curve[i-1], tg.Curve[i]
			if (need-a.Y)*(need-b.Y) <= 0 && a.Y != b.Y {
				v, found = a.X+(need-a.Y)*(b.X-a.X)/(b.Y-a.Y), true
				break
			}
		}
		if !found {
			return 0, false
		}
	default:
		limit := 1.5
		if tg.Cap.IsConst() {
			limit = tg.Cap.Num
		}
		if need > limit+1e-12 || need <= 0 {
			return 0, false
		}
		if tg.Better == rules.Lower {
			v = goal / need
		} else {
			v = need * goal
		}
	}
	if m := tg.Metric; m != nil {
		if (m.Max != nil && v > *m.Max+1e-12) || (m.Min != nil && v < *m.Min-1e-12) {
			return 0, false
		}
	}
	if tg.Display.Format == rules.FormatPercent && (v > 1+1e-12 || v < 0) {
		return 0, false
	}
	if tg.Better == rules.Lower && v < 0 {
		return 0, false
	}
	return v, true
}

// nextTier says what the next tier or rate band up needs.
func nextTier(pr func(string, ...any), in evaluator.IncentiveResult, o *evaluator.Outcome, l *lang.Locale) {
	inc := in.Incentive
	if in.Status == evaluator.Ineligible || in.Status == evaluator.IncentiveNoData {
		return
	}
	switch inc.Kind {
	case rules.AmountBasis:
		idx := len(inc.Tiers)
		for i, t := range inc.Tiers {
			if t.Name == in.Tier {
				idx = i
			}
		}
		if idx == 0 || len(inc.Tiers) == 0 {
			return
		}
		t := inc.Tiers[idx-1]
		vals := o.Snapshot.Values
		var ins []evaluator.Input
		for _, d := range t.When.Refs {
			ins = append(ins, evaluator.Input{Name: d.Name, Value: vals[d.Slot]})
		}
		mult := l.S("an expression")
		if t.Multiplier.IsConst() {
			mult = "×" + t.Multiplier.Dec.Text('f')
		}
		pr("    next tier %s (%s) needs %s; now %s\n", t.Name, l.Num(mult), t.When.Source, inputsText(ins, l))
	case rules.AmountUnits:
		var units *apd.Decimal
		for _, st := range in.Steps {
			if st.Step == "units" {
				units, _, _ = apd.NewFromString(st.Result)
			}
		}
		if units == nil {
			return
		}
		for _, r := range inc.Rates {
			if r.From.Cmp(units) > 0 {
				gap := new(apd.Decimal)
				if money.Sub(gap, r.From, units) != nil {
					return
				}
				pr("    %s more units reach rate %s (from %s, %s a unit)\n", l.Num(gap.Text('f')), r.Name, l.Num(r.From.Text('f')), l.Num(r.PerUnit.Text('f')))
				return
			}
		}
	}
}

// NextBand is what it would take to reach the next band up of a score,
// as explain says it, one sentence a line: for the report's statements.
func NextBand(p *rules.Policy, sc evaluator.ScoreResult, o *evaluator.Outcome, l *lang.Locale) []string {
	return captured(func(pr func(string, ...any)) { nextBand(pr, p, sc, o, l) }, l)
}

// NextTier is what the next tier or rate band of an incentive needs, as
// explain says it.
func NextTier(in evaluator.IncentiveResult, o *evaluator.Outcome, l *lang.Locale) []string {
	return captured(func(pr func(string, ...any)) { nextTier(pr, in, o, l) }, l)
}

// StepText is one step of an incentive's arithmetic, as explain writes it.
func StepText(st evaluator.Step, l *lang.Locale) string { return stepText(st, l) }

// captured runs a writer of explain's lines and returns them, trimmed.
func captured(write func(pr func(string, ...any)), l *lang.Locale) []string {
	var b strings.Builder
	write(func(format string, args ...any) { b.WriteString(l.F(format, args...)) })
	var lines []string
	for _, s := range strings.Split(b.String(), "\n") {
		if s = strings.TrimSpace(s); s != "" {
			lines = append(lines, s)
		}
	}
	return lines
}

// Origins is where the values of a subject's snapshots counted by the
// policy's rollup came from (rubric explain --rollup): for each measure,
// how it counts and over how many rows, and the rows it left out.
func Origins(w io.Writer, p *rules.Policy, origins []tally.Origin, l *lang.Locale) {
	pr := func(format string, args ...any) { io.WriteString(w, l.F(format, args...)) }
	for _, o := range origins {
		pr("\nWhere the values come from (rollup %s: %s row(s) of %s in %s)\n", p.Rollup.Name, l.Num(strconv.FormatInt(o.Rows, 10)), o.Subject, o.Period)
		for _, mo := range o.Measures {
			m := mo.Measure
			v := evaluator.Value{}
			if f, err := strconv.ParseFloat(mo.Value, 64); err == nil {
				v = evaluator.Num(f)
			}
			var d rules.Display
			unit, label := "", m.Name
			if m.Metric != nil {
				d, unit, label = m.Metric.Display, m.Metric.Unit, m.Metric.Label.Or(l.Code(), m.Name)
			}
			value := l.Num(displayText(v, d, unit, p.MinorUnit))
			n := l.Num(strconv.FormatInt(mo.Counted, 10))
			var how string
			switch {
			case m.Kind == rules.MeasureCount && m.Expr == nil:
				how = l.F("every row")
			case m.Kind == rules.MeasureCount:
				how = l.F("rows where %s", m.Expr.Source)
			case m.Kind == rules.MeasureSum:
				how = l.F("sum of %s over %s row(s)", m.Expr.Source, n)
			case m.Kind == rules.MeasureMin:
				how = l.F("least %s of %s row(s)", m.Expr.Source, n)
			case m.Kind == rules.MeasureMax:
				how = l.F("greatest %s of %s row(s)", m.Expr.Source, n)
			case m.Kind == rules.MeasureAvg:
				how = l.F("average of %s over %s row(s)", m.Expr.Source, n)
			case m.Kind == rules.MeasureQuantile:
				how = l.F("quantile %s of %s over %s row(s)", l.Num(evaluator.FormatNumber(m.Quantile)), m.Expr.Source, n)
			case m.Kind == rules.MeasureDistinct:
				how = l.F("distinct values of %s in %s row(s)", m.Expr.Source, n)
			}
			if m.Where != nil {
				how += l.F(", of %s row(s) where %s", l.Num(strconv.FormatInt(mo.Seen, 10)), m.Where.Source)
			}
			if mo.Missing > 0 {
				how += l.F("; %s row(s) left out (a value was missing)", l.Num(strconv.FormatInt(mo.Missing, 10)))
			}
			pr("  %-22s %s: %s\n", label, value, how)
		}
	}
}
