// Package encode writes outcomes for machines and terminals: the JSON
// object of one outcome (hand-written, keys in policy order, checked
// against encoding/json of a typed view), the flattened CSV columns and
// the terminal table.
package encode

import (
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/engine/internal/textenc"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/evaluator/lang"
	"github.com/rubric-dev/rubric/evaluator/money"
	"github.com/rubric-dev/rubric/rules"
)

// Outcome appends one outcome as a JSON object (SPEC §6).
func Outcome(w *textenc.JSON, p *rules.Policy, o *evaluator.Outcome, why bool) {
	s := o.Snapshot
	w.Raw("{")
	w.Key("subject")
	w.Str(s.Subject)
	w.Key("period")
	w.Str(s.Period.Label)
	w.Key("team")
	if s.HasTeam {
		w.Str(s.Team)
	} else {
		w.Raw("null")
	}
	w.Key("policy")
	w.Raw("{")
	w.Key("name")
	w.Str(p.Name)
	w.Key("version")
	w.Str(p.Version)
	w.Key("digest")
	w.Str(p.Digest)
	w.Raw("}")
	w.Key("values")
	w.Raw("{")
	for _, m := range p.Metrics {
		w.Key(m.Name)
		w.Value(s.Values[m.Decl.Slot])
	}
	for _, a := range p.Attributes {
		w.Key(a.Name)
		w.Value(s.Values[a.Decl.Slot])
	}
	w.Raw("}")
	w.Key("defaulted")
	w.Strs(o.Defaulted)
	if p.History > 0 {
		w.Key("window")
		w.Strs(o.Window)
	}
	w.Key("targets")
	w.Raw("{")
	for i := range o.Targets {
		t := &o.Targets[i]
		w.Key(t.Target.Name)
		w.Raw("{")
		w.Key("status")
		w.Str(t.Status.String())
		w.Key("value")
		w.Value(t.Value)
		w.Key("goal")
		w.Value(t.Goal)
		w.Key("threshold")
		w.Value(t.Threshold)
		w.Key("stretch")
		w.Value(t.Stretch)
		w.Key("attainment")
		w.Value(t.Attainment)
		if why {
			w.Key("why")
			w.Why(t)
		}
		w.Raw("}")
	}
	w.Raw("}")
	w.Key("scores")
	w.Raw("{")
	for i := range o.Scores {
		sc := &o.Scores[i]
		w.Key(sc.Scorecard.Name)
		w.Raw("{")
		w.Key("status")
		w.Str(sc.Status.String())
		w.Key("value")
		w.Value(sc.Value)
		w.Key("band")
		w.Value(sc.Band)
		w.Key("coverage")
		if sc.CoverageSet {
			w.Num(sc.Coverage)
		} else {
			w.Raw("null")
		}
		w.Key("contributions")
		w.Raw("{")
		for _, c := range sc.Contributions {
			w.Key(c.Target)
			w.Num(c.Value)
		}
		w.Raw("}")
		if why {
			w.Key("why")
			w.Why(sc)
		}
		w.Raw("}")
	}
	w.Raw("}")
	w.Key("breaches")
	w.Raw("{")
	for i := range o.Breaches {
		b := &o.Breaches[i]
		w.Key(b.Breach.Name)
		w.Raw("{")
		w.Key("status")
		w.Str(b.Status.String())
		w.Key("severity")
		w.Str(b.Breach.Severity.String())
		if b.Message != "" {
			w.Key("message")
			w.Str(b.Message)
		}
		if why {
			w.Key("why")
			w.Why(b)
		}
		w.Raw("}")
	}
	w.Raw("}")
	w.Key("incentives")
	w.Raw("{")
	for i := range o.Incentives {
		in := &o.Incentives[i]
		w.Key(in.Incentive.Name)
		w.Raw("{")
		w.Key("status")
		w.Str(in.Status.String())
		w.Key("amount")
		if in.Amount != nil {
			w.Str(in.Amount.Text('f'))
		} else {
			w.Raw("null")
		}
		w.Key("currency")
		w.Str(p.Currency)
		w.Key("tier")
		w.StrOrNull(in.Tier)
		w.Key("code")
		w.StrOrNull(in.Incentive.Code)
		if in.Gate != "" {
			w.Key("gate")
			w.Str(in.Gate)
		}
		if why {
			w.Key("steps")
			textenc.Steps(w, in.Steps)
			w.Key("why")
			w.Why(in)
		}
		w.Raw("}")
	}
	w.Raw("}")
	w.Raw("}")
}

// CSVHeader lists the columns of the flattened CSV output.
func CSVHeader(p *rules.Policy) []string {
	h := []string{"subject", "period", "team", "policy_version"}
	for _, m := range p.Metrics {
		h = append(h, "values."+m.Name)
	}
	for _, a := range p.Attributes {
		h = append(h, "values."+a.Name)
	}
	for _, t := range p.Targets {
		h = append(h, "targets."+t.Name+".status", "targets."+t.Name+".value", "targets."+t.Name+".attainment")
	}
	for _, s := range p.Scorecards {
		h = append(h, "scores."+s.Name+".status", "scores."+s.Name+".value", "scores."+s.Name+".band", "scores."+s.Name+".coverage")
	}
	for _, b := range p.Breaches {
		h = append(h, "breaches."+b.Name+".status")
	}
	for _, in := range p.Incentives {
		h = append(h, "incentives."+in.Name+".status", "incentives."+in.Name+".amount", "incentives."+in.Name+".tier")
	}
	return h
}

// appendCell appends a value as a CSV cell. Numbers are written as in
// JSON (they never need quotes); text is quoted and guarded against
// formulas as every CSV cell is (textenc.AppendCell).
func appendCell(b []byte, v evaluator.Value) []byte {
	switch v.Kind {
	case evaluator.Number:
		w := textenc.JSON{B: b}
		w.Num(v.Num)
		return w.B
	case evaluator.String:
		return textenc.AppendCell(b, v.Str)
	case evaluator.Bool:
		return strconv.AppendBool(b, v.Bool)
	}
	return b
}

// AppendCSVRow appends an outcome as one line of the columns of
// CSVHeader, written straight into b (no cell is built as a string).
func AppendCSVRow(b []byte, p *rules.Policy, o *evaluator.Outcome) []byte {
	s := o.Snapshot
	for i, f := range [...]string{s.Subject, s.Period.Label, s.Team, p.Version} {
		if i > 0 {
			b = append(b, ',')
		}
		b = textenc.AppendCell(b, f)
	}
	for _, m := range p.Metrics {
		b = appendCell(append(b, ','), s.Values[m.Decl.Slot])
	}
	for _, a := range p.Attributes {
		b = appendCell(append(b, ','), s.Values[a.Decl.Slot])
	}
	for i := range o.Targets {
		t := &o.Targets[i]
		b = append(append(b, ','), t.Status.String()...)
		b = appendCell(append(b, ','), t.Value)
		b = appendCell(append(b, ','), t.Attainment)
	}
	for i := range o.Scores {
		sc := &o.Scores[i]
		b = append(append(b, ','), sc.Status.String()...)
		b = appendCell(append(b, ','), sc.Value)
		b = appendCell(append(b, ','), sc.Band)
		b = append(b, ',')
		if sc.CoverageSet {
			b = appendCell(b, evaluator.Num(sc.Coverage))
		}
	}
	for i := range o.Breaches {
		b = append(append(b, ','), o.Breaches[i].Status.String()...)
	}
	for i := range o.Incentives {
		in := &o.Incentives[i]
		b = append(append(b, ','), in.Status.String()...)
		b = append(b, ',')
		if in.Amount != nil {
			b = in.Amount.Append(b, 'f')
		}
		b = textenc.AppendCell(append(b, ','), in.Tier)
	}
	return append(b, '\n')
}

// TableHeader and tableRow give the terminal table: one line a snapshot
// with each score and band, breaches fired and each incentive's amount.
// A locale (nil: English) writes the headings, numbers, amounts and
// statuses in its language; the subjects, periods and names stay as the
// data and the policy have them.
func TableHeader(p *rules.Policy, l *lang.Locale) []string {
	h := []string{strings.ToUpper(l.S("subject")), strings.ToUpper(l.S("period")), strings.ToUpper(l.S("team"))}
	if len(p.Targets) > 0 {
		h = append(h, strings.ToUpper(l.S("targets")))
	}
	for _, s := range p.Scorecards {
		h = append(h, strings.ToUpper(s.Label.Or(l.Code(), s.Name)), strings.ToUpper(l.S("band")))
	}
	if len(p.Breaches) > 0 || hasThresholds(p) {
		h = append(h, strings.ToUpper(l.S("breaches")))
	}
	for _, in := range p.Incentives {
		h = append(h, strings.ToUpper(in.Label.Or(l.Code(), in.Name)))
	}
	return h
}

func hasThresholds(p *rules.Policy) bool {
	for _, t := range p.Targets {
		if t.Threshold.Set {
			return true
		}
	}
	return false
}

// statusMarks are the table's compact target statuses.
var statusMarks = map[evaluator.TargetStatus]string{
	evaluator.Exceeded: "★", evaluator.Met: "✓", evaluator.Missed: "✗", evaluator.TargetBreached: "‼",
	evaluator.NotApplicable: "–", evaluator.TargetNoData: "?",
}

// TableLegend explains the marks of the TARGETS column.
const TableLegend = "targets: ★ exceeded, ✓ met, ✗ missed, ‼ breached, – not applicable, ? no data; breaches: a rule that fired, a target breached, ? no data"

// Legend is TableLegend in a locale's language.
func Legend(l *lang.Locale) string { return l.S(TableLegend) }

func TableRow(p *rules.Policy, o *evaluator.Outcome, l *lang.Locale) []string {
	s := o.Snapshot
	team := s.Team
	if !s.HasTeam {
		team = "-"
	}
	row := []string{s.Subject, s.Period.Label, team}
	if len(o.Targets) > 0 {
		marks := make([]string, 0, len(o.Targets))
		for _, t := range o.Targets {
			marks = append(marks, t.Target.Name+statusMarks[t.Status])
		}
		row = append(row, strings.Join(marks, " "))
	}
	for _, sc := range o.Scores {
		if sc.Status == evaluator.ScoreOK {
			band := sc.Band.Str
			if band == "" {
				band = "(none)"
			}
			row = append(row, l.Num(strconv.FormatFloat(sc.Value.Num, 'f', 4, 64)), band)
		} else {
			row = append(row, l.S(sc.Status.String()), "-")
		}
	}
	if len(p.Breaches) > 0 || hasThresholds(p) {
		var fired []string
		for _, b := range o.Breaches {
			switch b.Status {
			case evaluator.Breached:
				fired = append(fired, b.Breach.Name)
			case evaluator.BreachNoData:
				fired = append(fired, b.Breach.Name+"?")
			}
		}
		for _, t := range o.Targets {
			if t.Status == evaluator.TargetBreached {
				fired = append(fired, t.Target.Name)
			}
		}
		if len(fired) == 0 {
			fired = []string{"-"}
		}
		row = append(row, strings.Join(fired, ","))
	}
	for _, in := range o.Incentives {
		switch {
		case in.Status == evaluator.Earned:
			row = append(row, l.Money(in.Amount.Text('f'), p.Currency))
		case in.Amount == nil:
			row = append(row, l.S("no_data"))
		default:
			row = append(row, l.S(in.Status.String()))
		}
	}
	return row
}

// TableTotals is the table's last row: each incentive's total.
func TableTotals(p *rules.Policy, totals []*apd.Decimal, l *lang.Locale) []string {
	row := []string{strings.ToUpper(l.S("total")), "", ""}
	if len(p.Targets) > 0 {
		row = append(row, "")
	}
	for range p.Scorecards {
		row = append(row, "", "")
	}
	if len(p.Breaches) > 0 || hasThresholds(p) {
		row = append(row, "")
	}
	for i := range p.Incentives {
		row = append(row, l.Money(money.Format(totals[i], p.MinorUnit), p.Currency))
	}
	return row
}

func NewTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }
