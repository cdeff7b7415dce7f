package calibrate

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// WriteJSON writes the report as indented JSON (maps keyed by rule name,
// so keys are sorted).
func (r *Report) WriteJSON(w io.Writer) error { return engine.WriteJSON(w, r) }

func pct(f *float64) string {
	if f == nil {
		return "–"
	}
	return fmt.Sprintf("%s%%", evaluator.Short(math.Round(*f*1000)/10))
}

func unitOf(t *rules.Target) string {
	u := t.Unit
	if u == "" && t.Metric != nil {
		u = t.Metric.Unit
	}
	if u == "" {
		return ""
	}
	return " " + u
}

// label is what people call a rule (SPEC §15): its label, else its name.
func (r *Report) label(kind, name string) string {
	switch kind {
	case "target":
		for _, t := range r.rp.Targets {
			if t.Name == name {
				return t.Label.Or(r.Lang.Code(), name)
			}
		}
	case "scorecard":
		for _, sc := range r.rp.Scorecards {
			if sc.Name == name {
				return sc.Label.Or(r.Lang.Code(), name)
			}
		}
	case "incentive":
		for _, in := range r.rp.Incentives {
			if in.Name == name {
				return in.Label.Or(r.Lang.Code(), name)
			}
		}
	}
	return name
}

// sentence is the line a manager reads about one target, verdict first.
func (r *Report) sentence(name string) string {
	tr := r.Targets[name]
	t := tr.target
	l := r.Lang
	name = t.Label.Or(l.Code(), name)
	if tr.Verdict == nil {
		return l.F("%s: no verdict — no snapshot could be judged against the goal (%d no_data, %d not applicable)", name, tr.Statuses["no_data"], tr.Statuses["not_applicable"])
	}
	var b strings.Builder
	b.WriteString(l.F("%s: %s — %s of %d judged snapshots met", name, l.S(strings.ReplaceAll(*tr.Verdict, "_", " ")), l.Num(pct(tr.MetShare)), tr.Evaluable))
	show := func(v float64) string {
		return l.Num(evaluator.Display(v, t.Display, strings.TrimSpace(unitOf(t)), r.rp.MinorUnit))
	}
	if tr.Goal != nil {
		b.WriteString(l.F(" the goal %s", show(*tr.Goal)))
	} else {
		b.WriteString(l.F(" their goal (computed per snapshot)"))
	}
	if tr.SuggestedGoal != nil {
		b.WriteString(l.F("; %s%% would meet %s", l.Num(evaluator.Short(r.Aim)), show(*tr.SuggestedGoal)))
	}
	return b.String()
}

// bound is a goal, threshold or stretch marked under a histogram.
type bound struct {
	v    *float64
	mark rune
	name string
}

// histogram draws the distribution of a target's values in one line of
// unicode blocks, with the goal (^), threshold (t) and stretch (s) marked
// below it; show formats the range's ends in the metric's units.
func histogram(values []float64, bounds []bound, width int, show func(float64) string) (bars, marks string) {
	if len(values) == 0 {
		return "", ""
	}
	return histogramIn(values, values[0], values[len(values)-1], bounds, width, show)
}

// histogramIn is histogram over at least [lo, hi], so that several (a
// target's and each team's) share one scale.
func histogramIn(values []float64, lo, hi float64, bounds []bound, width int, show func(float64) string) (bars, marks string) {
	for _, bd := range bounds {
		if bd.v != nil {
			lo, hi = math.Min(lo, *bd.v), math.Max(hi, *bd.v)
		}
	}
	if hi == lo {
		hi = lo + 1
	}
	counts := make([]int, width)
	top := 1
	for _, v := range values {
		i := int(float64(width-1) * (v - lo) / (hi - lo))
		counts[i]++
		top = max(top, counts[i])
	}
	blocks := []rune(" ▁▂▃▄▅▆▇█")
	var b strings.Builder
	for _, c := range counts {
		level := 0
		if c > 0 {
			level = 1 + (len(blocks)-2)*c/top
		}
		b.WriteRune(blocks[min(level, len(blocks)-1)])
	}
	m := []rune(strings.Repeat(" ", width))
	var legend []string
	for _, bd := range bounds {
		if bd.v != nil {
			m[int(float64(width-1)*(*bd.v-lo)/(hi-lo))] = bd.mark
			legend = append(legend, string(bd.mark)+" "+bd.name)
		}
	}
	return b.String(), fmt.Sprintf("%s  (%s … %s; %s)", string(m), show(lo), show(hi), strings.Join(legend, ", "))
}

// WriteText writes the report for a manager: one line per target, verdict
// first, with its distribution, then scorecards, incentives and the price
// of the suggested goals.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	l := r.Lang
	b.WriteString(l.F("calibration of policy %s %s over %d snapshot(s) (aim %s%%, unachievable below %s%%, too easy above %s%%)\n\n",
		r.Policy.Name, r.Policy.Version, r.Snapshots, l.Num(evaluator.Short(r.Aim)), l.Num(evaluator.Short(r.MinShare)), l.Num(evaluator.Short(r.MaxShare))))
	for _, name := range r.order.targets {
		tr := r.Targets[name]
		b.WriteString(r.sentence(name) + "\n")
		t := tr.target
		show := func(v float64) string {
			return l.Num(evaluator.Display(v, t.Display, strings.TrimSpace(unitOf(t)), r.rp.MinorUnit))
		}
		bounds := []bound{{tr.Threshold, 't', l.S("threshold")}, {tr.Goal, '^', l.S("goal")}, {tr.Stretch, 's', l.S("stretch")}}
		if bars, marks := histogram(tr.values, bounds, 40, show); bars != "" {
			fmt.Fprintf(&b, "    %s\n    %s\n", bars, marks)
		}
		teams, more := r.teams(tr)
		for _, team := range teams {
			tt := tr.ByTeam[team]
			bars := ""
			if len(tr.values) > 0 {
				sort.Float64s(tt.values)
				bars, _ = histogramIn(tt.values, tr.values[0], tr.values[len(tr.values)-1], bounds, 40, show)
			}
			b.WriteString(l.F("    %s  team %s: %s met (%d judged)\n", bars, team, l.Num(pct(tt.MetShare)), tt.Evaluable))
		}
		if more > 0 {
			b.WriteString(l.F("    … and %d more team(s), nearer the aim (--teams 0 shows every team)\n", more))
		}
	}
	for _, name := range r.order.scorecards {
		sr := r.Scorecards[name]
		b.WriteString(l.F("\nscorecard %s: %d ok, %d no_data, %d not applicable", r.label("scorecard", name), sr.Statuses["ok"], sr.Statuses["no_data"], sr.Statuses["not_applicable"]))
		if sr.Values != nil {
			b.WriteString(l.F("; median score %s (p10 %s, p90 %s)", l.Num(evaluator.Short(sr.Values.P50)), l.Num(evaluator.Short(sr.Values.P10)), l.Num(evaluator.Short(sr.Values.P90))))
		}
		b.WriteString("\n")
		for _, band := range r.bandOrder(name) {
			label := band
			if label == "" {
				label = l.S("(below every band)")
			}
			fmt.Fprintf(&b, "    %-20s %d\n", label, sr.Bands[band])
		}
	}
	if len(r.order.incentives) > 0 {
		b.WriteString("\n")
	}
	for _, name := range r.order.incentives {
		ic := r.Incentives[name]
		b.WriteString(l.F("incentive %s: %s (earned %d, not earned %d, ineligible %d, no data %d)\n", r.label("incentive", name), l.Money(ic.Total, ic.Currency),
			ic.Statuses["earned"], ic.Statuses["not_earned"], ic.Statuses["ineligible"], ic.Statuses["no_data"]))
	}
	if r.WhatIf != nil {
		b.WriteString("\n" + r.WhatIf.text(l))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the report as a markdown document for a review.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	l := r.Lang
	b.WriteString(l.F("## Calibration of `%s` %s\n\n%d snapshots; aim %s%%; unachievable below %s%%, too easy above %s%%.\n\n",
		r.Policy.Name, r.Policy.Version, r.Snapshots, l.Num(evaluator.Short(r.Aim)), l.Num(evaluator.Short(r.MinShare)), l.Num(evaluator.Short(r.MaxShare))))
	b.WriteString(l.F("| target | verdict | met | judged | goal | suggested | min | p25 | median | p75 | max |\n") + "|---|---|---|---|---|---|---|---|---|---|---|\n")
	num := func(f *float64) string {
		if f == nil {
			return "–"
		}
		return l.Num(evaluator.Short(*f))
	}
	for _, name := range r.order.targets {
		tr := r.Targets[name]
		verdict := "–"
		if tr.Verdict != nil {
			verdict = "**" + l.S(strings.ReplaceAll(*tr.Verdict, "_", " ")) + "**"
		}
		cells := []string{"–", "–", "–", "–", "–"}
		if v := tr.Values; v != nil {
			cells = []string{num(&v.Min), num(&v.P25), num(&v.P50), num(&v.P75), num(&v.Max)}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %s | %s | %s |\n", r.label("target", name), verdict, l.Num(pct(tr.MetShare)), tr.Evaluable, num(tr.Goal), num(tr.SuggestedGoal), strings.Join(cells, " | "))
	}
	for _, name := range r.order.targets {
		tr := r.Targets[name]
		if len(tr.ByTeam) == 0 {
			continue
		}
		b.WriteString(l.F("\n**%s by team**\n\n| team | met | judged |\n", r.label("target", name)) + "|---|---|---|\n")
		teams, more := r.teams(tr)
		for _, team := range teams {
			tt := tr.ByTeam[team]
			fmt.Fprintf(&b, "| %s | %s | %d |\n", team, l.Num(pct(tt.MetShare)), tt.Evaluable)
		}
		if more > 0 {
			b.WriteString(l.F("\n%d more team(s), nearer the aim, are not shown.\n", more))
		}
	}
	if len(r.order.incentives) > 0 {
		b.WriteString(l.F("\n| incentive | total | earned | not earned | ineligible | no data |\n") + "|---|---|---|---|---|---|\n")
		for _, name := range r.order.incentives {
			ic := r.Incentives[name]
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d |\n", r.label("incentive", name), l.Money(ic.Total, ic.Currency), ic.Statuses["earned"], ic.Statuses["not_earned"], ic.Statuses["ineligible"], ic.Statuses["no_data"])
		}
	}
	if r.WhatIf != nil {
		b.WriteString("\n" + r.WhatIf.text(r.Lang))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// teams are the teams of a target that text and markdown show, in name
// order: every team, or with TeamLimit the ones whose met share is
// furthest from the aim (a team with none judged last); more is how many
// are left out.
func (r *Report) teams(tr *TargetReport) (teams []string, more int) {
	teams = sortedKeys(tr.ByTeam)
	if r.TeamLimit <= 0 || len(teams) <= r.TeamLimit {
		return teams, 0
	}
	dist := func(name string) float64 {
		if s := tr.ByTeam[name].MetShare; s != nil {
			return math.Abs(*s*100 - r.Aim)
		}
		return -1
	}
	byDist := append([]string(nil), teams...)
	sort.SliceStable(byDist, func(i, j int) bool { return dist(byDist[i]) > dist(byDist[j]) })
	keep := byDist[:r.TeamLimit]
	sort.Strings(keep)
	return keep, len(teams) - len(keep)
}

// bandOrder lists a scorecard's bands from the highest, then "".
func (r *Report) bandOrder(scorecard string) []string {
	for _, sc := range r.rp.Scorecards {
		if sc.Name == scorecard {
			out := make([]string, 0, len(sc.Bands)+1)
			for _, b := range sc.Bands {
				out = append(out, b.Name)
			}
			return append(out, "")
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
