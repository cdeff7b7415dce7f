package trend

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/rubric-dev/rubric/engine/internal/textenc"
	"github.com/rubric-dev/rubric/evaluator"
)

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
		v := "–"
		if avg := tp.Targets[t.Name].Avg; avg != nil {
			v = evaluator.Display(*avg, t.Display, t.Unit, r.rp.MinorUnit) // in the metric's form, as members' values are
		}
		out = append(out, l.Num(v))
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

// sink writes a trend subject by subject: Write streams into one, and
// the Write* methods of a Report built whole feed theirs the same way.
type sink interface {
	subject(sub *Subject) error
	finish(teams []*Team) error
}

// sink returns the writer of format: text, markdown, csv or json.
func (r *Report) sink(format string, w io.Writer) sink {
	switch format {
	case "markdown":
		return newMarkdownSink(r, w)
	case "csv":
		return newCSVSink(r, w)
	case "json":
		return &jsonSink{r: r, w: w}
	}
	return newTextSink(r, w)
}

// teamFirst is a sink for people (text, markdown) that writes a team's
// averages above its members' rows, where a reader compares each member
// with them.
type teamFirst interface {
	teams(teams []*Team) error
}

// write feeds the whole report to a sink.
func (r *Report) write(s sink) error {
	teams := r.Teams
	if tf, ok := s.(teamFirst); ok && len(teams) > 0 {
		if err := tf.teams(teams); err != nil {
			return err
		}
		teams = nil
	}
	for _, sub := range r.Subjects {
		if err := s.subject(sub); err != nil {
			return err
		}
	}
	return s.finish(teams)
}

// WriteText writes one table: a row per subject and period (▲ improving,
// ▼ worsening, = flat against the period before), and with a team, its
// average per period above the members' rows.
func (r *Report) WriteText(w io.Writer) error { return r.write(newTextSink(r, w)) }

// WriteMarkdown writes the same table in markdown; with a team, its
// average per period above the members' rows.
func (r *Report) WriteMarkdown(w io.Writer) error { return r.write(newMarkdownSink(r, w)) }

// WriteCSV writes one row per subject and period with full-precision
// numbers, the statuses and the changes, for dashboards.
func (r *Report) WriteCSV(w io.Writer) error { return r.write(newCSVSink(r, w)) }

// WriteJSON writes the report as indented JSON (maps keyed by rule name,
// so keys are sorted).
func (r *Report) WriteJSON(w io.Writer) error { return r.write(&jsonSink{r: r, w: w}) }

// textBlock is how many rows the text table aligns at a time: a long
// trend streams in blocks instead of being held whole for alignment.
const textBlock = 1000

type textSink struct {
	r    *Report
	tw   *tabwriter.Writer
	rows int
}

func newTextSink(r *Report, w io.Writer) *textSink {
	t := &textSink{r: r, tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	fmt.Fprintln(t.tw, strings.Join(append([]string{r.Lang.F("subject"), r.Lang.F("period")}, r.columns()...), "\t"))
	return t
}

func (t *textSink) subject(sub *Subject) error {
	for _, per := range sub.Periods {
		fmt.Fprintln(t.tw, strings.Join(append([]string{sub.Subject, per.Period}, t.r.cells(per)...), "\t"))
		t.rows++
	}
	if t.rows >= textBlock {
		t.rows = 0
		return t.tw.Flush()
	}
	return nil
}

func (t *textSink) teams(teams []*Team) error {
	for _, tm := range teams {
		for _, tp := range tm.Periods {
			fmt.Fprintln(t.tw, strings.Join(append([]string{t.r.Lang.F("team %s avg", tm.Team), tp.Period}, t.r.teamCells(tp)...), "\t"))
		}
	}
	return nil
}

func (t *textSink) finish(teams []*Team) error {
	t.teams(teams)
	return t.tw.Flush()
}

type markdownSink struct {
	r *Report
	w io.Writer
}

func newMarkdownSink(r *Report, w io.Writer) *markdownSink {
	cols := append([]string{r.Lang.F("subject"), r.Lang.F("period")}, r.columns()...)
	io.WriteString(w, "| "+strings.Join(cols, " | ")+" |\n|"+strings.Repeat("---|", len(cols))+"\n")
	return &markdownSink{r: r, w: w}
}

func (m *markdownSink) row(cells []string) error {
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(c, "|", "\\|")
	}
	_, err := io.WriteString(m.w, "| "+strings.Join(cells, " | ")+" |\n")
	return err
}

func (m *markdownSink) subject(sub *Subject) error {
	for _, per := range sub.Periods {
		if err := m.row(append([]string{sub.Subject, per.Period}, m.r.cells(per)...)); err != nil {
			return err
		}
	}
	return nil
}

func (m *markdownSink) finish(teams []*Team) error { return m.teams(teams) }

func (m *markdownSink) teams(teams []*Team) error {
	for _, t := range teams {
		for _, tp := range t.Periods {
			if err := m.row(append([]string{"**" + m.r.Lang.F("team %s average", t.Team) + "**", tp.Period}, m.r.teamCells(tp)...)); err != nil {
				return err
			}
		}
	}
	return nil
}

type csvSink struct {
	r  *Report
	cw *csv.Writer
}

func newCSVSink(r *Report, w io.Writer) *csvSink {
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
	return &csvSink{r: r, cw: cw}
}

func (c *csvSink) subject(sub *Subject) error {
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
	r := c.r
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
		c.cw.Write(row)
	}
	return c.cw.Error()
}

// finish writes a team's rows, one per period: subject empty, the team,
// each target's and score's average (status team_average) and each
// incentive's total (status team_total).
func (c *csvSink) finish(teams []*Team) error {
	raw := func(a *Avg) string {
		if a == nil || a.Avg == nil {
			return ""
		}
		return fmt.Sprint(*a.Avg)
	}
	r := c.r
	for _, tm := range teams {
		for _, tp := range tm.Periods {
			row := []string{"", textenc.SafeCell(tm.Team), tp.Period}
			for _, t := range r.rp.Targets {
				row = append(row, raw(tp.Targets[t.Name]), "team_average", "", "")
			}
			for _, sc := range r.rp.Scorecards {
				row = append(row, raw(tp.Scores[sc.Name]), "", "")
			}
			row = append(row, "")
			for _, in := range r.rp.Incentives {
				total := ""
				if s := tp.Incentives[in.Name]; s != nil {
					total = *s
				}
				row = append(row, total, "team_total", "")
			}
			c.cw.Write(row)
		}
	}
	c.cw.Flush()
	return c.cw.Error()
}

// jsonSink writes what json.MarshalIndent(report, "", "  ") would, a
// subject at a time.
type jsonSink struct {
	r    *Report
	w    io.Writer
	n    int
	head bool
}

func (j *jsonSink) start() error {
	if j.head {
		return nil
	}
	j.head = true
	ref, err := json.MarshalIndent(j.r.Policy, "  ", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(j.w, "{\n  \"policy\": %s,\n  \"subjects\": [", ref)
	return err
}

func (j *jsonSink) subject(sub *Subject) error {
	if err := j.start(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(sub, "    ", "  ")
	if err != nil {
		return err
	}
	sep := "\n    "
	if j.n > 0 {
		sep = ",\n    "
	}
	j.n++
	_, err = io.WriteString(j.w, sep+string(b))
	return err
}

func (j *jsonSink) finish(teams []*Team) error {
	if err := j.start(); err != nil {
		return err
	}
	if teams == nil {
		teams = []*Team{}
	}
	b, err := json.MarshalIndent(teams, "  ", "  ")
	if err != nil {
		return err
	}
	end := "\n  ]"
	if j.n == 0 {
		end = "]"
	}
	_, err = fmt.Fprintf(j.w, "%s,\n  \"teams\": %s\n}\n", end, b)
	return err
}
