package trend

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/textenc"
	"github.com/rubric-dev/rubric/evaluator"
)

// WriteJSON writes the report as indented JSON (maps keyed by rule name,
// so keys are sorted).
func (r *Report) WriteJSON(w io.Writer) error { return engine.WriteJSON(w, r) }

// columns are the trend's columns after subject and period, for people
// (text and markdown: labels, SPEC §15): each target, each score, the
// breaches, each incentive.
func (r *Report) columns() []string {
	var cols []string
	l := r.Lang
	for _, t := range r.rp.Targets {
		cols = append(cols, t.Label.Or(l.Code(), t.Name))
	}
	for _, sc := range r.rp.Scorecards {
		cols = append(cols, l.F("score %s", sc.Label.Or(l.Code(), sc.Name)))
	}
	cols = append(cols, l.F("breaches"))
	for _, in := range r.rp.Incentives {
		cols = append(cols, in.Label.Or(l.Code(), in.Name))
	}
	return cols
}

var arrows = map[string]string{"improving": "▲", "worsening": "▼", "flat": "="}

// cells renders one subject's period for people: values with their status
// and an arrow for the change.
func (r *Report) cells(per *Period) []string {
	l := r.Lang
	var out []string
	for _, t := range r.rp.Targets {
		m := per.Targets[t.Name]
		v := "–"
		if m.Value != nil {
			v = evaluator.Display(*m.Value, t.Display, t.Unit, r.rp.MinorUnit)
		}
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s", l.Num(v), l.S(m.Status), arrows[m.Direction])))
	}
	for _, sc := range r.rp.Scorecards {
		m := per.Scores[sc.Name]
		cell := l.S(m.Status)
		if m.Value != nil {
			cell = l.Num(fmtNum(m.Value))
			if m.Band != nil && *m.Band != "" {
				cell += " " + *m.Band
			}
		}
		out = append(out, strings.TrimSpace(cell+" "+arrows[m.Direction]))
	}
	out = append(out, strings.Join(per.Breaches, ", "))
	for _, in := range r.rp.Incentives {
		a := per.Incentives[in.Name]
		cell := l.S(a.Status)
		if a.Amount != nil {
			cell = l.Num(*a.Amount)
		}
		out = append(out, strings.TrimSpace(cell+" "+arrows[a.Direction]))
	}
	return out
}

// teamCells renders a team's averages for the same columns.
func (r *Report) teamCells(tp *TeamPeriod) []string {
	l := r.Lang
	var out []string
	for _, t := range r.rp.Targets {
		out = append(out, l.Num(fmtNum(tp.Targets[t.Name].Avg)))
	}
	for _, sc := range r.rp.Scorecards {
		out = append(out, l.Num(fmtNum(tp.Scores[sc.Name].Avg)))
	}
	out = append(out, "")
	for _, in := range r.rp.Incentives {
		v := "–"
		if s := tp.Incentives[in.Name]; s != nil {
			v = l.F("%s total", l.Num(*s))
		}
		out = append(out, v)
	}
	return out
}

// WriteText writes one table: a row per subject and period (▲ improving,
// ▼ worsening, = flat against the period before), and with a team, its
// average under each period.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(append([]string{r.Lang.F("subject"), r.Lang.F("period")}, r.columns()...), "\t"))
	for _, sub := range r.Subjects {
		for _, per := range sub.Periods {
			fmt.Fprintln(tw, strings.Join(append([]string{sub.Subject, per.Period}, r.cells(per)...), "\t"))
		}
	}
	for _, t := range r.Teams {
		for _, tp := range t.Periods {
			fmt.Fprintln(tw, strings.Join(append([]string{r.Lang.F("team %s avg", t.Team), tp.Period}, r.teamCells(tp)...), "\t"))
		}
	}
	return tw.Flush()
}

// WriteMarkdown writes the same table in markdown; with a team, each
// period's team average follows its members' rows.
func (r *Report) WriteMarkdown(w io.Writer) error {
	cols := append([]string{r.Lang.F("subject"), r.Lang.F("period")}, r.columns()...)
	var b strings.Builder
	b.WriteString("| " + strings.Join(cols, " | ") + " |\n|" + strings.Repeat("---|", len(cols)) + "\n")
	esc := func(cells []string) string {
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(c, "|", "\\|")
		}
		return "| " + strings.Join(cells, " | ") + " |\n"
	}
	for _, sub := range r.Subjects {
		for _, per := range sub.Periods {
			b.WriteString(esc(append([]string{sub.Subject, per.Period}, r.cells(per)...)))
		}
	}
	for _, t := range r.Teams {
		for _, tp := range t.Periods {
			b.WriteString(esc(append([]string{"**" + r.Lang.F("team %s average", t.Team) + "**", tp.Period}, r.teamCells(tp)...)))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteCSV writes one row per subject and period with full-precision
// numbers, the statuses and the changes, for dashboards.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := []string{"subject", "team", "period"}
	for _, t := range r.rp.Targets {
		head = append(head, t.Name, t.Name+"_status", t.Name+"_change", t.Name+"_direction")
	}
	for _, sc := range r.rp.Scorecards {
		head = append(head, "score_"+sc.Name, "band_"+sc.Name, "score_"+sc.Name+"_change")
	}
	head = append(head, "breaches")
	for _, in := range r.rp.Incentives {
		head = append(head, in.Name, in.Name+"_status", in.Name+"_change")
	}
	cw.Write(head)
	raw := func(v *float64) string {
		if v == nil {
			return ""
		}
		return fmt.Sprint(*v)
	}
	str := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	for _, sub := range r.Subjects {
		for _, per := range sub.Periods {
			row := []string{textenc.SafeCell(sub.Subject), textenc.SafeCell(sub.Team), per.Period}
			for _, t := range r.rp.Targets {
				m := per.Targets[t.Name]
				row = append(row, raw(m.Value), m.Status, raw(m.Change), m.Direction)
			}
			for _, sc := range r.rp.Scorecards {
				m := per.Scores[sc.Name]
				row = append(row, raw(m.Value), str(m.Band), raw(m.Change))
			}
			row = append(row, strings.Join(per.Breaches, ";"))
			for _, in := range r.rp.Incentives {
				a := per.Incentives[in.Name]
				row = append(row, str(a.Amount), a.Status, str(a.Change))
			}
			cw.Write(row)
		}
	}
	cw.Flush()
	return cw.Error()
}
