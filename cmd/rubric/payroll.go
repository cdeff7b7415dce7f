package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rubric-dev/rubric/engine"
)

func payrollCmd(e *env) *cobra.Command {
	var pf policyFlags
	var dir, verify string
	var force bool
	c := &cobra.Command{
		Use:   "payroll -p POLICY -i INPUT -o DIR | payroll --verify DIR",
		Short: "Write a payroll export (payroll.csv and manifest.json), or verify one",
		Long: `payroll evaluates the snapshots and writes DIR/payroll.csv, one row per
subject, period and incentive with every status, and DIR/manifest.json with
the run's identity, counts and totals. The export is written aside and
renamed into place when complete. Rerunning the same export is a no-op; a
different export already in DIR is never replaced without --force.

--verify DIR recomputes an export's digest, row count and totals and checks
them against its manifest: what a receiving payroll team runs.`,
		Example: `  rubric payroll -p policies/voice-agents -i fixtures/voice-agents/snapshots.csv -o out/2026-10
  rubric payroll --verify out/2026-10`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if verify != "" {
				probs, err := engine.VerifyPayroll(verify)
				if err != nil {
					return usageErr("%v", err)
				}
				if len(probs) > 0 {
					for _, p := range probs {
						fmt.Fprintln(e.stderr, verify+": "+p)
					}
					return fail(fmt.Sprintf("%s does not match its manifest (%d difference(s))", verify, len(probs)))
				}
				fmt.Fprintf(e.stdout, "%s: payroll.csv matches manifest.json\n", verify)
				return nil
			}
			if err := pf.check(); err != nil {
				return err
			}
			if dir == "" {
				return usageErr("--output (-o) DIR is required")
			}
			p, err := pf.load(e)
			if err != nil {
				return err
			}
			res, err := p.Payroll(pf.in(e), engine.PayrollOptions{Dir: dir, Force: force, SkipInvalid: pf.skipInvalid})
			var exists *engine.ErrExportExists
			if errors.As(err, &exists) {
				return fail(err.Error())
			}
			if err != nil {
				return usageErr("%v", err)
			}
			if err := report(e, res.StreamResult, pf.skipInvalid); err != nil {
				return err
			}
			m := res.Manifest
			if res.Unchanged {
				fmt.Fprintf(e.stdout, "%s already holds this export (run %s); nothing was written\n", dir, m.RunID)
				return nil
			}
			var totals []string
			for _, t := range m.Totals {
				totals = append(totals, fmt.Sprintf("%s %s %s", t.Incentive, t.Amount, t.Currency))
			}
			fmt.Fprintf(e.stdout, "wrote %s: %d rows for %d snapshots (earned %d, not_earned %d, ineligible %d, no_data %d), run %s\n",
				dir, m.Rows, m.Snapshots, m.StatusCounts["earned"], m.StatusCounts["not_earned"], m.StatusCounts["ineligible"], m.StatusCounts["no_data"], m.RunID)
			fmt.Fprintf(e.stdout, "totals: %s\n", strings.Join(totals, "; "))
			if m.NeedsReview > 0 {
				fmt.Fprintf(e.stderr, "rubric: %d row(s) are no_data and need review before payment\n", m.NeedsReview)
			}
			return nil
		},
	}
	pf.register(c)
	c.Flags().StringVarP(&dir, "output", "o", "", "the export directory (required)")
	c.Flags().BoolVar(&force, "force", false, "replace a different export already in the directory")
	c.Flags().StringVar(&verify, "verify", "", "verify the export in this directory against its manifest")
	return c
}
