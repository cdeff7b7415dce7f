package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/diff"
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
				diff.WriteMarkdown(e.stdout, rep, diff.IncentiveLabels(pols[0], pols[1], loc), loc)
			default:
				diff.WriteText(e.stdout, rep, diff.IncentiveLabels(pols[0], pols[1], loc), loc)
			}
			if c.Flags().Changed("max-total-change") {
				if m := rep.MaxChange(); m > maxChange+1e-9 {
					return fail(fmt.Sprintf("total payout moves by %s, more than --max-total-change %g%%", diff.Percent(m), maxChange))
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
