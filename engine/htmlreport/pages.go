package htmlreport

import (
	"html/template"
	"math"
	"sort"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/explain"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// ---- a team's page ----

type teamPage struct {
	Title   string
	Policy  engine.PolicyRef
	Team    string
	Targets []string
	Periods []teamPeriod
}

type teamPeriod struct {
	Label    string
	Members  []memberRow
	TeamAvg  []string // per target, then the score
	AllAvg   []string
	Chart    template.HTML
	ScoreAvg float64
}

type memberRow struct {
	Subject, File string
	Score         float64
	Band          string
	Cells         []cell
	Worst         string // "good" or "bad": the member's colour (worstStatus)
}

type cell struct {
	Text, Status, Label string // Status is the class, Label what a person reads
}

func (s *site) teamPage(team string) *teamPage {
	rp := s.rp
	page := &teamPage{Title: rp.Title, Policy: s.p.Ref(), Team: team}
	for _, t := range rp.Targets {
		page.Targets = append(page.Targets, t.Label.Or(s.l.Code(), t.Name))
	}
	byPeriod := map[string][]*brief{}
	var labels []string
	for _, o := range s.selected {
		if _, ok := byPeriod[o.period]; !ok {
			labels = append(labels, o.period)
		}
		byPeriod[o.period] = append(byPeriod[o.period], o)
	}
	for _, l := range labels {
		tp := teamPeriod{Label: l}
		var members []*brief
		for _, o := range byPeriod[l] {
			if o.hasTeam && o.team == team {
				members = append(members, o)
			}
		}
		if len(members) == 0 {
			continue
		}
		for _, o := range members {
			mr := memberRow{Subject: o.subject, File: statementFile(o.subject, o.period), Score: math.NaN(), Worst: worstStatus(o)}
			if len(o.scores) > 0 && o.scores[0].ok {
				mr.Score, mr.Band = o.scores[0].value, o.scores[0].band
			}
			for ti, t := range o.targets {
				c := cell{Text: "–", Status: t.status.String(), Label: s.l.S(t.status.String())}
				if !math.IsNaN(t.value) {
					c.Text = s.display(rp.Targets[ti], t.value)
				}
				mr.Cells = append(mr.Cells, c)
			}
			tp.Members = append(tp.Members, mr)
		}
		// Highest first; members without a score last.
		sort.SliceStable(tp.Members, func(i, j int) bool {
			a, b := tp.Members[i].Score, tp.Members[j].Score
			if math.IsNaN(a) != math.IsNaN(b) {
				return !math.IsNaN(a)
			}
			return a > b
		})
		tp.TeamAvg, tp.ScoreAvg = s.averages(members)
		tp.AllAvg, _ = s.averages(byPeriod[l])
		var names []string
		var vals []float64
		var worst []string
		for _, m := range tp.Members {
			if !math.IsNaN(m.Score) {
				names, vals, worst = append(names, m.Subject), append(vals, m.Score), append(worst, m.Worst)
			}
		}
		maxScore := 0.0
		for _, v := range vals {
			maxScore = math.Max(maxScore, v)
		}
		marks := make([]float64, len(vals))
		colors := make([]string, len(vals))
		// Colours mean status (SPEC §15), never "above the team": a member
		// with a breach or a target breached or missed is not green,
		// whatever the team's average.
		for i := range marks {
			marks[i] = tp.ScoreAvg
			colors[i] = colorGood
			if worst[i] != "good" {
				colors[i] = colorBad
			}
		}
		tp.Chart = s.c.bars(s.l.F("score of each member of team %s, %s (the mark is the team average; green: every target met and no breach, orange: a target missed or breached, or a breach)", team, l), names, vals, maxScore*1.1, marks, colors, s.c.num)
		page.Periods = append(page.Periods, tp)
	}
	return page
}

// averages is the average value of each target, then of the first score,
// over outcomes that have one.
func (s *site) averages(outs []*brief) ([]string, float64) {
	rp := s.rp
	var row []string
	for ti := range rp.Targets {
		sum, n := 0.0, 0
		for _, o := range outs {
			if v := o.targets[ti].value; !math.IsNaN(v) {
				sum += v
				n++
			}
		}
		if n == 0 {
			row = append(row, "–")
		} else {
			row = append(row, s.display(rp.Targets[ti], sum/float64(n)))
		}
	}
	score := math.NaN()
	if len(rp.Scorecards) > 0 {
		sum, n := 0.0, 0
		for _, o := range outs {
			if o.scores[0].ok {
				sum += o.scores[0].value
				n++
			}
		}
		if n > 0 {
			score = sum / float64(n)
		}
	}
	return append(row, s.c.num(score)), score
}

// ---- a subject's statement ----

type statementPage struct {
	Title      string
	Policy     engine.PolicyRef
	Subject    string
	Team       string
	TeamFile   string
	Period     string
	Start, End string
	Targets    []targetLine
	Scores     []scoreLine
	Incentives []incentiveLine
	Breaches   []breachLine
	Periods    []link // this subject's statements, one per period
	History    template.HTML
	HistoryRow []historyRow
	Standing   string
	Currency   string
}

// breachLine is a breach rule that fired, with its message.
type breachLine struct {
	Key, Name, Severity, Message, Why string // Key is the policy's name (data-*), Name what a person reads
}

type targetLine struct {
	Key, Name, Status, Why string
	Value, Goal            string
	Threshold, Stretch     string
	Chart                  template.HTML
	Attainment             string
	StatusClass, AltLabel  string
}

type scoreLine struct {
	Key, Name, Status, Band, Why string
	Value                        string
	Next                         []string // what the next band takes, as explain says it
}

type incentiveLine struct {
	Key, Name, Status, Amount, Why string
	Class                          string // the status's colour class
	Steps                          []string
	Next                           []string // what the next tier takes, as explain says it
}

type historyRow struct {
	Period, Score, Band string
	Amounts             []string
}

func valueOf(v evaluator.Value) float64 {
	if v.Kind != evaluator.Number {
		return math.NaN()
	}
	return v.Num
}

// text is a value for people: a number as a plain number, anything else
// in words, "–" when there is none.
func (s *site) text(v evaluator.Value) string {
	if !v.Has() {
		return "–"
	}
	if v.Kind == evaluator.Number {
		return s.c.num(v.Num)
	}
	return s.l.S(v.String())
}

// statement is the subject's statement for the period of o (SPEC §15).
func (s *site) statement(o *evaluator.Outcome) *statementPage {
	rp := s.rp
	sn := o.Snapshot
	subject := sn.Subject
	page := &statementPage{Title: rp.Title, Policy: s.p.Ref(), Subject: subject, Period: sn.Period.Label, Start: sn.Period.StartDate(), End: sn.Period.EndDate(), Currency: rp.Currency}
	if sn.HasTeam {
		page.Team, page.TeamFile = sn.Team, fileName("team", sn.Team)
	}
	for _, t := range o.Targets {
		show := func(v evaluator.Value) string { // in the target's form
			if v.Kind != evaluator.Number {
				return s.text(v)
			}
			return s.display(t.Target, v.Num)
		}
		tl := targetLine{Key: t.Target.Name, Name: t.Target.Label.Or(s.l.Code(), t.Target.Name), Status: s.l.S(t.Status.String()), Why: s.l.Short(t.WhyIn(s.l)), Value: show(t.Value), Goal: show(t.Goal),
			Threshold: show(t.Threshold), Stretch: show(t.Stretch), Attainment: s.text(t.Attainment), StatusClass: targetClass(t.Status)}
		tl.AltLabel = s.l.F("%s: value %s against the goal %s (%s)", tl.Name, tl.Value, tl.Goal, tl.Status)
		tl.Chart = s.c.bullet(tl.AltLabel, valueOf(t.Value), valueOf(t.Goal), valueOf(t.Threshold), valueOf(t.Stretch), t.Target.Better == rules.Lower, t.Status.Scored())
		page.Targets = append(page.Targets, tl)
	}
	for _, sc := range o.Scores {
		sl := scoreLine{Key: sc.Scorecard.Name, Name: sc.Scorecard.Label.Or(s.l.Code(), sc.Scorecard.Name), Status: s.l.S(sc.Status.String()), Why: s.l.Short(sc.WhyIn(s.l)), Value: "–"}
		if sc.Status == evaluator.ScoreOK {
			sl.Value, sl.Band = s.c.num(sc.Value.Num), sc.Band.Str
			sl.Next = s.short(explain.NextBand(rp, sc, o, s.l))
		}
		page.Scores = append(page.Scores, sl)
	}
	for _, in := range o.Incentives {
		il := incentiveLine{Key: in.Incentive.Name, Name: in.Incentive.Label.Or(s.l.Code(), in.Incentive.Name), Status: s.l.S(in.Status.String()), Class: incentiveClass(in.Status),
			Why: s.l.Short(in.WhyIn(s.l)), Amount: s.l.F("no amount: needs review"), Next: s.short(explain.NextTier(in, o, s.l))}
		if in.Amount != nil {
			il.Amount = s.l.Money(in.Amount.Text('f'), rp.Currency)
		}
		for _, st := range in.Steps {
			il.Steps = append(il.Steps, s.l.Short(explain.StepText(st, s.l)))
		}
		page.Incentives = append(page.Incentives, il)
	}
	for _, b := range o.Breaches {
		if b.Status == evaluator.Breached {
			page.Breaches = append(page.Breaches, breachLine{Key: b.Breach.Name, Name: b.Breach.Label.Or(s.l.Code(), b.Breach.Name), Severity: s.l.S(b.Breach.Severity.String()), Message: s.l.Num(b.MessageIn(s.l.Code(), o.Snapshot)), Why: s.l.Short(b.WhyIn(s.l))})
		}
	}
	page.Periods = s.periodsOf[subject]
	// History: the periods of the subject read up to this one, selected
	// or not (a statement of September does not show October).
	var labels []string
	var scores []float64
	for _, x := range s.bySubject[subject] {
		if x.index > sn.Period.Index() {
			continue
		}
		hr := historyRow{Period: x.period, Score: "–"}
		v := math.NaN()
		if len(x.scores) > 0 && x.scores[0].ok {
			v = x.scores[0].value
			hr.Score, hr.Band = s.c.num(v), x.scores[0].band
		}
		for _, in := range x.incentives {
			a := s.l.S(in.status.String())
			if in.amount != nil {
				a = s.l.Num(in.amount.Text('f'))
			}
			hr.Amounts = append(hr.Amounts, a)
		}
		labels, scores = append(labels, hr.Period), append(scores, v)
		page.HistoryRow = append(page.HistoryRow, hr)
	}
	page.History = s.c.line(s.l.F("score of %s over the periods", subject), labels, scores)
	page.Standing = s.standing(o)
	return page
}

// display is a target's number in its metric's form (5m 4s, 85.3%), in
// the report's language.
func (s *site) display(t *rules.Target, v float64) string {
	unit := t.Unit
	if unit == "" && t.Metric != nil {
		unit = t.Metric.Unit
	}
	return s.l.Num(evaluator.Display(v, t.Display, unit, s.rp.MinorUnit))
}

// short rounds the long fractions of sentences for a page (lang.Short).
func (s *site) short(lines []string) []string {
	for i := range lines {
		lines[i] = s.l.Short(lines[i])
	}
	return lines
}

// worstStatus is "bad" when a target of o was missed or breached or a
// breach fired, else "good".
func worstStatus(o *brief) string {
	for _, t := range o.targets {
		if t.status == evaluator.Missed || t.status == evaluator.TargetBreached {
			return "bad"
		}
	}
	if len(o.breaches) > 0 {
		return "bad"
	}
	return "good"
}

// targetClass and incentiveClass are the colour classes of a status:
// good, bad, or none (no data, not applicable).
func targetClass(st evaluator.TargetStatus) string {
	switch {
	case st.Achieved():
		return "good"
	case st.Scored():
		return "bad"
	}
	return "none"
}

func incentiveClass(st evaluator.IncentiveStatus) string {
	switch st {
	case evaluator.Earned:
		return "good"
	case evaluator.Ineligible, evaluator.NotEarned:
		return "bad"
	}
	return "none"
}

// standing says where the subject's score stands in the team.
func (s *site) standing(o *evaluator.Outcome) string {
	sn := o.Snapshot
	if !sn.HasTeam || len(o.Scores) == 0 || o.Scores[0].Status != evaluator.ScoreOK {
		return ""
	}
	ts := s.teamScores[teamKey(sn.Team, sn.Period.Label)]
	mine := o.Scores[0].Value.Num
	if ts == nil || len(ts.sorted) == 0 {
		return ""
	}
	// Rank: one more than the members with a higher score.
	n := len(ts.sorted)
	rank := n - sort.Search(n, func(i int) bool { return ts.sorted[i] > mine }) + 1
	return s.l.F("Rank %d of %d in team %s this period; the team's average score is %s (yours %s).",
		rank, n, sn.Team, s.c.num(ts.sum/float64(n)), s.c.num(mine))
}
