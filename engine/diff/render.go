package diff

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/evaluator/lang"
)

// The report for people: text and markdown, in a language.

// Percent writes a change of a total in percent: "∞ (from a zero total)"
// when the old total was zero.
func Percent(f float64) string {
	if math.IsInf(f, 0) {
		return "∞ (from a zero total)"
	}
	return fmt.Sprintf("%.2f%%", f)
}

func pctOf(id Incentive) string {
	if id.Percent == nil {
		if id.Old == id.New {
			return "0.00%"
		}
		return "new"
	}
	return fmt.Sprintf("%+.2f%%", *id.Percent)
}

func policyLine(r engine.PolicyRef) string {
	d := r.Digest
	if len(d) > 19 {
		d = d[:19] + "…"
	}
	return fmt.Sprintf("%s %s (%s, %s)", r.Name, r.Version, r.Path, d)
}

// IncentiveLabels returns what people call an incentive (SPEC §15): its
// label in the new policy, else in the old one, else its name.
func IncentiveLabels(old, cur *engine.Policy, loc *lang.Locale) func(string) string {
	labels := map[string]string{}
	for _, p := range []*engine.Policy{old, cur} {
		for _, in := range p.Rules().Incentives {
			if l := in.Label.In(loc.Code()); l != "" {
				labels[in.Name] = l
			}
		}
	}
	return func(name string) string {
		if l, ok := labels[name]; ok {
			return l
		}
		return name
	}
}

// WriteText writes the report for a terminal, in l's words and numbers;
// label names an incentive (IncentiveLabels).
func WriteText(w io.Writer, r *Report, label func(string) string, l *lang.Locale) {
	pr := func(format string, args ...any) { io.WriteString(w, l.F(format, args...)) }
	pr("old: %s\nnew: %s\n%d snapshots compared", policyLine(r.OldPolicy), policyLine(r.NewPolicy), r.Snapshots)
	if r.OnlyOld+r.OnlyNew > 0 {
		pr(" (%d valid only under the old policy, %d only under the new)", r.OnlyOld, r.OnlyNew)
	}
	fmt.Fprintln(w)
	pr("\nTotal payout\n")
	fmt.Fprintf(w, "  %-20s %-8s %14s %14s %14s %9s\n", l.F("INCENTIVE"), l.F("CURRENCY"), l.F("OLD"), l.F("NEW"), l.F("DELTA"), l.F("CHANGE"))
	for _, id := range r.Incentives {
		fmt.Fprintf(w, "  %-20s %-8s %14s %14s %14s %9s\n", label(id.Incentive), id.Currency, l.Num(id.Old), l.Num(id.New), l.Num(id.Delta), l.Num(pctOf(id)))
	}
	pr("\nSnapshots: %d gain, %d lose, %d unchanged\n", r.Subjects.Gain, r.Subjects.Lose, r.Subjects.Unchanged)
	section := func(title string, ts []Transition) {
		if len(ts) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s\n", l.S(title))
		for _, t := range ts {
			fmt.Fprintf(w, "  %-20s %s → %s: %s\n", t.Rule, l.S(t.From), l.S(t.To), l.F("%d", t.Count))
		}
	}
	section("Incentive status changes", r.Statuses)
	section("Band changes", r.Bands)
	section("Target status changes", r.Targets)
	if len(r.Largest) > 0 {
		pr("\nLargest changes\n")
		for _, c := range r.Largest {
			fmt.Fprintf(w, "  %s %s %s: %s → %s (%s)\n", c.Subject, c.Period, label(c.Incentive), amountOr(c.Old, c.OldStatus, l), amountOr(c.New, c.NewStatus, l), l.Num(c.Delta))
			pr("    old: %s\n    new: %s\n", c.OldWhy, c.NewWhy)
		}
	}
}

func amountOr(a, status string, l *lang.Locale) string {
	if a == "" {
		return l.S(status)
	}
	if status != "earned" {
		return l.Num(a) + " (" + l.S(status) + ")"
	}
	return l.Num(a)
}

func mdEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

// WriteMarkdown writes the report as a pull-request comment.
func WriteMarkdown(w io.Writer, r *Report, label func(string) string, l *lang.Locale) {
	io.WriteString(w, l.F("### rubric diff: %s %s → %s\n\n", r.NewPolicy.Name, r.OldPolicy.Version, r.NewPolicy.Version))
	io.WriteString(w, l.F("%d snapshots compared. **%d gain, %d lose, %d unchanged.**\n\n", r.Snapshots, r.Subjects.Gain, r.Subjects.Lose, r.Subjects.Unchanged))
	io.WriteString(w, l.F("| incentive | currency | old | new | delta | change |\n"))
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|")
	for _, id := range r.Incentives {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", mdEscape(label(id.Incentive)), id.Currency, l.Num(id.Old), l.Num(id.New), l.Num(id.Delta), l.Num(pctOf(id)))
	}
	table := func(title string, ts []Transition) {
		if len(ts) == 0 {
			return
		}
		io.WriteString(w, "\n**"+title+"**\n\n"+l.F("| rule | from | to | count |\n")+"|---|---|---|---:|\n")
		for _, t := range ts {
			fmt.Fprintf(w, "| %s | %s | %s | %d |\n", t.Rule, l.S(t.From), l.S(t.To), t.Count)
		}
	}
	table(l.S("Incentive status changes"), r.Statuses)
	table(l.S("Band changes"), r.Bands)
	table(l.S("Target status changes"), r.Targets)
	if len(r.Largest) > 0 {
		io.WriteString(w, "\n<details><summary>"+l.S("Largest changes")+"</summary>\n\n"+l.F("| subject | period | incentive | old | new | delta | old why | new why |\n")+"|---|---|---|---:|---:|---:|---|---|\n")
		for _, c := range r.Largest {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", mdEscape(c.Subject), c.Period, mdEscape(label(c.Incentive)),
				amountOr(c.Old, c.OldStatus, l), amountOr(c.New, c.NewStatus, l), l.Num(c.Delta), mdEscape(c.OldWhy), mdEscape(c.NewWhy))
		}
		fmt.Fprintln(w, "\n</details>")
	}
	fmt.Fprintf(w, "\n<sub>old `%s` %s · new `%s` %s</sub>\n", r.OldPolicy.Path, r.OldPolicy.Digest, r.NewPolicy.Path, r.NewPolicy.Digest)
}
