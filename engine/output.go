package engine

import (
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// Output formats of eval.
const (
	OutNDJSON = "ndjson"
	OutJSON   = "json"
	OutCSV    = "csv"
	OutTable  = "table"
)

// jsonBuf appends JSON by hand: keys in a fixed order, numbers as
// encoding/json prints them, no reflection.
type jsonBuf struct{ b []byte }

func (w *jsonBuf) raw(s string) { w.b = append(w.b, s...) }

func (w *jsonBuf) str(s string) {
	b := append(w.b, '"')
	run := 0 // start of the bytes not yet copied
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[run:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			run = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[run:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[run:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		run = i
	}
	b = append(b, s[run:]...)
	w.b = append(b, '"')
}

const hexDigits = "0123456789abcdef"

// num appends a float as encoding/json does.
func (w *jsonBuf) num(f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		w.raw("null")
		return
	}
	abs := math.Abs(f)
	fmtc := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		fmtc = 'e'
	}
	b := strconv.AppendFloat(w.b, f, fmtc, -1, 64)
	if fmtc == 'e' {
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	w.b = b
}

// key appends an object key. Keys are fixed words or rule names, which
// match [a-z][a-z0-9_]* (dotted for input names): none needs escaping.
func (w *jsonBuf) key(k string) {
	if n := len(w.b); n > 0 && w.b[n-1] != '{' && w.b[n-1] != '[' {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *jsonBuf) value(v evaluator.Value) {
	switch v.Kind {
	case evaluator.Number:
		w.num(v.Num)
	case evaluator.String:
		w.str(v.Str)
	case evaluator.Bool:
		w.raw(strconv.FormatBool(v.Bool))
	default:
		w.raw("null")
	}
}

func (w *jsonBuf) strOrNull(s string) {
	if s == "" {
		w.raw("null")
		return
	}
	w.str(s)
}

// encodeOutcome appends one outcome as a JSON object (SPEC §6).
func encodeOutcome(w *jsonBuf, p *rules.Policy, o *evaluator.Outcome, why bool) {
	s := o.Snapshot
	w.raw("{")
	w.key("subject")
	w.str(s.Subject)
	w.key("period")
	w.str(s.Period.Label)
	w.key("team")
	if s.HasTeam {
		w.str(s.Team)
	} else {
		w.raw("null")
	}
	w.key("policy")
	w.raw("{")
	w.key("name")
	w.str(p.Name)
	w.key("version")
	w.str(p.Version)
	w.key("digest")
	w.str(p.Digest)
	w.raw("}")
	w.key("values")
	w.raw("{")
	for _, m := range p.Metrics {
		w.key(m.Name)
		w.value(s.Values[m.Decl.Slot])
	}
	for _, a := range p.Attributes {
		w.key(a.Name)
		w.value(s.Values[a.Decl.Slot])
	}
	w.raw("}")
	w.key("defaulted")
	w.strs(o.Defaulted)
	if p.History > 0 {
		w.key("window")
		w.strs(o.Window)
	}
	w.key("targets")
	w.raw("{")
	for i := range o.Targets {
		t := &o.Targets[i]
		w.key(t.Target.Name)
		w.raw("{")
		w.key("status")
		w.str(t.Status.String())
		w.key("value")
		w.value(t.Value)
		w.key("goal")
		w.value(t.Goal)
		w.key("threshold")
		w.value(t.Threshold)
		w.key("stretch")
		w.value(t.Stretch)
		w.key("attainment")
		w.value(t.Attainment)
		if why {
			w.key("why")
			w.str(t.Why)
		}
		w.raw("}")
	}
	w.raw("}")
	w.key("scores")
	w.raw("{")
	for i := range o.Scores {
		sc := &o.Scores[i]
		w.key(sc.Scorecard.Name)
		w.raw("{")
		w.key("status")
		w.str(sc.Status.String())
		w.key("value")
		w.value(sc.Value)
		w.key("band")
		w.value(sc.Band)
		w.key("coverage")
		if sc.CoverageSet {
			w.num(sc.Coverage)
		} else {
			w.raw("null")
		}
		w.key("contributions")
		w.raw("{")
		for _, c := range sc.Contributions {
			w.key(c.Target)
			w.num(c.Value)
		}
		w.raw("}")
		if why {
			w.key("why")
			w.str(sc.Why)
		}
		w.raw("}")
	}
	w.raw("}")
	w.key("breaches")
	w.raw("{")
	for i := range o.Breaches {
		b := &o.Breaches[i]
		w.key(b.Breach.Name)
		w.raw("{")
		w.key("status")
		w.str(b.Status.String())
		w.key("severity")
		w.str(b.Breach.Severity.String())
		if b.Message != "" {
			w.key("message")
			w.str(b.Message)
		}
		if why {
			w.key("why")
			w.str(b.Why)
		}
		w.raw("}")
	}
	w.raw("}")
	w.key("incentives")
	w.raw("{")
	for i := range o.Incentives {
		in := &o.Incentives[i]
		w.key(in.Incentive.Name)
		w.raw("{")
		w.key("status")
		w.str(in.Status.String())
		w.key("amount")
		if in.Amount != nil {
			w.str(in.Amount.Text('f'))
		} else {
			w.raw("null")
		}
		w.key("currency")
		w.str(p.Currency)
		w.key("tier")
		w.strOrNull(in.Tier)
		w.key("code")
		w.strOrNull(in.Incentive.Code)
		if in.Gate != "" {
			w.key("gate")
			w.str(in.Gate)
		}
		if why {
			w.key("steps")
			encodeSteps(w, in.Steps)
			w.key("why")
			w.str(in.Why)
		}
		w.raw("}")
	}
	w.raw("}")
	w.raw("}")
}

// strs appends a JSON array of strings.
func (w *jsonBuf) strs(list []string) {
	w.raw("[")
	for i, s := range list {
		if i > 0 {
			w.raw(",")
		}
		w.str(s)
	}
	w.raw("]")
}

// encodeSteps appends an incentive's steps as a JSON array.
func encodeSteps(w *jsonBuf, steps []evaluator.Step) {
	w.raw("[")
	for j, st := range steps {
		if j > 0 {
			w.raw(",")
		}
		encodeStep(w, st)
	}
	w.raw("]")
}

func encodeStep(w *jsonBuf, st evaluator.Step) {
	w.raw("{")
	w.key("step")
	w.str(st.Step)
	opt := func(k, v string) {
		if v != "" {
			w.key(k)
			w.str(v)
		}
	}
	opt("name", st.Name)
	opt("expr", st.Expr)
	if st.Expr != "" {
		w.key("inputs")
		w.raw("{")
		for _, in := range st.Inputs {
			w.key(in.Name)
			w.value(in.Value)
		}
		w.raw("}")
	}
	opt("multiplier", st.Multiplier)
	opt("limit", st.Limit)
	opt("mode", st.Mode)
	opt("note", st.Note)
	opt("result", st.Result)
	w.raw("}")
}

// csvHeader lists the columns of the flattened CSV output.
func csvHeader(p *rules.Policy) []string {
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

func cell(v evaluator.Value) string {
	switch v.Kind {
	case evaluator.Number:
		var w jsonBuf
		w.num(v.Num)
		return string(w.b)
	case evaluator.String:
		return v.Str
	case evaluator.Bool:
		return strconv.FormatBool(v.Bool)
	}
	return ""
}

// csvRow flattens an outcome into the columns of csvHeader.
func csvRow(p *rules.Policy, o *evaluator.Outcome) []string {
	s := o.Snapshot
	row := []string{s.Subject, s.Period.Label, s.Team, p.Version}
	for _, m := range p.Metrics {
		row = append(row, cell(s.Values[m.Decl.Slot]))
	}
	for _, a := range p.Attributes {
		row = append(row, cell(s.Values[a.Decl.Slot]))
	}
	for _, t := range o.Targets {
		row = append(row, t.Status.String(), cell(t.Value), cell(t.Attainment))
	}
	for _, sc := range o.Scores {
		cov := ""
		if sc.CoverageSet {
			cov = cell(evaluator.Num(sc.Coverage))
		}
		row = append(row, sc.Status.String(), cell(sc.Value), cell(sc.Band), cov)
	}
	for _, b := range o.Breaches {
		row = append(row, b.Status.String())
	}
	for _, in := range o.Incentives {
		amt := ""
		if in.Amount != nil {
			amt = in.Amount.Text('f')
		}
		row = append(row, in.Status.String(), amt, in.Tier)
	}
	return row
}

func encodeCSV(fields []string) []byte {
	var b []byte
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVCell(b, f)
	}
	return append(b, '\n')
}

// tableHeader and tableRow give the terminal table: one line a snapshot
// with each score and band, breaches fired and each incentive's amount.
func tableHeader(p *rules.Policy) []string {
	h := []string{"SUBJECT", "PERIOD", "TEAM"}
	if len(p.Targets) > 0 {
		h = append(h, "TARGETS")
	}
	for _, s := range p.Scorecards {
		h = append(h, strings.ToUpper(s.Name), "BAND")
	}
	if len(p.Breaches) > 0 || hasThresholds(p) {
		h = append(h, "BREACHES")
	}
	for _, in := range p.Incentives {
		h = append(h, strings.ToUpper(in.Name))
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

func tableRow(p *rules.Policy, o *evaluator.Outcome) []string {
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
			row = append(row, strconv.FormatFloat(sc.Value.Num, 'f', 4, 64), band)
		} else {
			row = append(row, sc.Status.String(), "-")
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
			row = append(row, in.Amount.Text('f')+" "+p.Currency)
		case in.Amount == nil:
			row = append(row, "no_data")
		default:
			row = append(row, in.Status.String())
		}
	}
	return row
}

// tableTotals is the table's last row: each incentive's total.
func tableTotals(p *rules.Policy, totals []*apd.Decimal) []string {
	row := []string{"TOTAL", "", ""}
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
		var q apd.Decimal
		c := apd.BaseContext.WithPrecision(60)
		c.Quantize(&q, totals[i], -int32(p.MinorUnit))
		row = append(row, q.Text('f')+" "+p.Currency)
	}
	return row
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }
