package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/diff"
	"github.com/rubric-dev/rubric/evaluator/lang"
)

func diffCmd(e *env) *cobra.Command {
	var inputs []string
	var inputFormat, format, skip string
	var maxChange float64
	var top int
	var periods []string
	var allowEmpty bool
	var langCode string
	c := &cobra.Command{
		Use:   "diff OLD NEW -i INPUT",
		Short: "What a policy change does to payouts, statuses and bands on the same snapshots",
		Long: `diff evaluates two versions of a policy on the same snapshots and reports
the total payout per incentive and currency (old, new, delta, %), how many
subjects gain, lose or keep their pay, incentive status transitions, band
changes, target status transitions, and the largest individual changes with
both explanations.

OLD and NEW are policy directories or files, or REV:PATH for a policy as of a
git revision (main:policies/voice-agents), read with git show.`,
		Example: `  rubric diff main:policies/voice-agents policies/voice-agents -i fixtures/voice-agents/snapshots.csv
  rubric diff old/ new/ -i october.csv --format markdown --max-total-change 5`,
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			switch format {
			case "text", "markdown", "json":
			default:
				return usageErr("unknown --format %q (text, markdown or json)", format)
			}
			loc, err := locale(langCode)
			if err != nil {
				return err
			}
			pf := policyFlags{inputs: inputs, inputFormat: inputFormat, policy: args[0], periods: periods, allowEmpty: allowEmpty}
			if err := pf.check(); err != nil {
				return err
			}
			var pols [2]*engine.Policy
			for i, arg := range args {
				p, diags, srcs, err := loadRef(arg)
				if err != nil {
					return usageErr("%v", err)
				}
				if len(diags) > 0 {
					dsl.WriteDiagnostics(e.stderr, "text", diags, dsl.SourceFiles(srcs))
				}
				if p == nil {
					return fail(fmt.Sprintf("policy %s has errors", arg))
				}
				pols[i] = p
			}
			rep, res, err := diff.Compare(pols[0], pols[1], pf.in(e), diff.Options{Top: top, SkipInvalid: skip})
			if err != nil {
				return usageErr("%v", err)
			}
			if err := report(e, res, skip); err != nil {
				return err
			}
			switch format {
			case "json":
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				enc.Encode(rep)
			case "markdown":
				writeDiffMarkdown(e.stdout, rep, incentiveLabels(pols[0], pols[1], loc), loc)
			default:
				writeDiffText(e.stdout, rep, incentiveLabels(pols[0], pols[1], loc), loc)
			}
			if c.Flags().Changed("max-total-change") {
				if m := rep.MaxChange(); m > maxChange+1e-9 {
					return fail(fmt.Sprintf("total payout moves by %s, more than --max-total-change %g%%", pct(m), maxChange))
				}
			}
			return nil
		},
	}
	c.Flags().StringArrayVarP(&inputs, "input", "i", nil, "snapshots: a file, a glob pattern or - (repeatable: read as one input, in order; required)")
	c.Flags().StringVar(&inputFormat, "input-format", "", "input format when the name does not say")
	c.Flags().StringVar(&format, "format", "text", "text, markdown or json")
	c.Flags().Float64Var(&maxChange, "max-total-change", 0, "exit 1 when any incentive's total moves by more than this percentage")
	c.Flags().IntVar(&top, "top", 10, "how many of the largest individual changes to show")
	langFlag(c, &langCode)
	c.Flags().BoolVar(&allowEmpty, "allow-empty", false, "a --period selection without snapshots is not an error")
	c.Flags().StringArrayVar(&periods, "period", nil, "compare only this period (LABEL or FROM..TO, repeatable); every snapshot is still read")
	c.Flags().StringVar(&skip, "skip-invalid", "", "leave out bad rows, writing them with their reasons to this file")
	return c
}

func pct(f float64) string {
	if math.IsInf(f, 0) {
		return "∞ (from a zero total)"
	}
	return fmt.Sprintf("%.2f%%", f)
}

func pctOf(id diff.Incentive) string {
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

// incentiveLabels returns what people call an incentive (SPEC §15): its
// label in the new policy, else in the old one, else its name.
func incentiveLabels(old, cur *engine.Policy, loc *lang.Locale) func(string) string {
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

func writeDiffText(w io.Writer, r *diff.Report, label func(string) string, l *lang.Locale) {
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
	section := func(title string, ts []diff.Transition) {
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

func writeDiffMarkdown(w io.Writer, r *diff.Report, label func(string) string, l *lang.Locale) {
	io.WriteString(w, l.F("### rubric diff: %s %s → %s\n\n", r.NewPolicy.Name, r.OldPolicy.Version, r.NewPolicy.Version))
	io.WriteString(w, l.F("%d snapshots compared. **%d gain, %d lose, %d unchanged.**\n\n", r.Snapshots, r.Subjects.Gain, r.Subjects.Lose, r.Subjects.Unchanged))
	io.WriteString(w, l.F("| incentive | currency | old | new | delta | change |\n"))
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|")
	for _, id := range r.Incentives {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", mdEscape(label(id.Incentive)), id.Currency, l.Num(id.Old), l.Num(id.New), l.Num(id.Delta), l.Num(pctOf(id)))
	}
	table := func(title string, ts []diff.Transition) {
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
