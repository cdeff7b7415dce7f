package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rubric-dev/rubric/engine/payroll"
)

func payrollCmd(e *env) *cobra.Command {
	var pf policyFlags
	var dir, verify, ledger, allowedSigners string
	var force, strict bool
	var payDate string
	var against []string
	c := &cobra.Command{
		Use:   "payroll -p POLICY -i INPUT (-o DIR | --ledger DIR [-o NAME]) | payroll --verify DIR",
		Short: "Write a payroll export (payroll.csv and manifest.json), or verify one",
		Long: `payroll evaluates the snapshots and writes DIR/payroll.csv, one row per
subject, period and incentive with every status, and DIR/manifest.json with
the run's identity, counts and totals. The export is written aside and
renamed into place when complete. Rerunning the same export is a no-op; a
different export already in DIR is never replaced without --force.

--against PREV (repeatable) writes a correction: PREV exports are verified,
and for every line they paid, only the difference is written as an
adjustment row; lines that are now no_data are never clawed back. A PREV
that is itself a correction needs the exports it was made against too.

--ledger DIR keeps every export paid for the policy in DIR: each is verified
and counted as paid, and the new export is written into DIR as NAME (-o;
default the periods paid, 2026-10, then 2026-10.2 for its correction).
When there is nothing to pay, nothing is written.

--verify DIR recomputes an export's digests, line and run ids, row count and
totals and checks each row's status and amount: what a receiving payroll
team runs. With --allowed-signers FILE it also checks the sign-off,
manifest.json.sig, made with ssh-keygen -Y sign -n rubric-payroll, and
fails when it is absent or not by a listed signer.`,
		Example: `  rubric payroll -p policies/voice-agents -i fixtures/voice-agents/snapshots.csv -o out/2026-10
  rubric payroll -p policies/voice-agents -i late.csv -o out/2026-10-fix1 --against out/2026-10
  rubric payroll -p policies/it-helpdesk -i 'snapshots/2026-*.csv' --period 2026-11 --ledger paid/
  rubric payroll --verify out/2026-10`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if verify != "" {
				probs, err := payroll.Verify(verify)
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
				switch {
				case allowedSigners != "":
					so, err := payroll.VerifySignOff(verify, allowedSigners)
					if err != nil {
						return fail(fmt.Sprintf("%s: %v", verify, err))
					}
					fmt.Fprintf(e.stdout, "%s: signed off by %s (%s %s)\n", verify, so.Principal, so.KeyType, so.Fingerprint)
				case payroll.HasSignOff(verify):
					fmt.Fprintf(e.stdout, "%s: manifest.json.sig is present but was not checked (give --allowed-signers FILE)\n", verify)
				}
				return nil
			}
			if err := pf.check(); err != nil {
				return err
			}
			if dir == "" && ledger == "" {
				return usageErr("--output (-o) DIR or --ledger DIR is required")
			}
			if _, err := time.Parse(time.DateOnly, payDate); payDate != "" && err != nil {
				return usageErr("--pay-date %q is not a date (YYYY-MM-DD)", payDate)
			}
			p, err := pf.load(e)
			if err != nil {
				return err
			}
			prog, stop := progress(e, pf.files, pf.quiet)
			res, err := payroll.Run(p, pf.in(e), payroll.Options{Dir: dir, Ledger: ledger, Force: force, SkipInvalid: pf.skipInvalid, Against: against, Strict: strict, PayDate: payDate, Progress: prog})
			stop()
			var exists *payroll.ErrExportExists
			var refused *payroll.ErrRefused
			switch {
			case errors.As(err, &exists) && exists.NotExport == "":
				return fail(err.Error() + " (use --force to replace it)")
			case errors.As(err, &exists), errors.As(err, &refused):
				return fail(err.Error())
			case err != nil:
				// Past the flags and the input's check, a failure is the
				// run's (a disk, a file), not a usage error.
				return fail(err.Error())
			}
			if err := pf.report(e, res.StreamResult); err != nil {
				return err
			}
			m := res.Manifest
			if res.NothingToPay {
				fmt.Fprintf(e.stdout, "nothing to pay: every line is as the %d export(s) in %s paid it (%d unchanged, %d to review); nothing was written\n", len(m.Against), ledger, m.Unchanged, m.NeedsReview)
				return nil
			}
			dir = res.Dir
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
			if len(m.Against) > 0 {
				fmt.Fprintf(e.stdout, "correction against %d export(s): %d original, %d adjustment, %d unchanged, %d not in the input\n",
					len(m.Against), m.Original, m.Adjustment, m.Unchanged, m.NotInInput)
			}
			if m.NeedsReview > 0 {
				fmt.Fprintf(e.stderr, "rubric: %d row(s) are no_data and need review before payment (every one in %s):\n", m.NeedsReview, filepath.Join(dir, "review.csv"))
				for _, r := range res.Review {
					fmt.Fprintf(e.stderr, "  %s %s %s: %s\n", r[0], r[1], r[2], r[4])
				}
				if more := m.NeedsReview - len(res.Review); more > 0 {
					fmt.Fprintf(e.stderr, "  … and %d more\n", more)
				}
			}
			return nil
		},
	}
	pf.register(c)
	c.Flags().StringVarP(&dir, "output", "o", "", "the export directory (required)")
	c.Flags().BoolVar(&force, "force", false, "replace a different export already in the directory")
	c.Flags().StringVar(&verify, "verify", "", "verify the export in this directory against its manifest")
	c.Flags().StringVar(&allowedSigners, "allowed-signers", "", "with --verify: check manifest.json.sig (ssh-keygen -Y sign -n rubric-payroll) against this allowed signers file")
	c.Flags().StringVar(&ledger, "ledger", "", "a directory of every export paid for the policy: count them all as paid and write the new export into it")
	c.Flags().StringArrayVar(&against, "against", nil, "an earlier export of this policy (repeatable): write a correction that pays only the differences")
	c.Flags().StringVar(&payDate, "pay-date", "", "the day the export is paid (YYYY-MM-DD): in every row of import.csv and in the manifest")
	c.Flags().BoolVar(&strict, "strict", false, "fail, writing nothing, when any line is no_data and needs review, or the policy looks back before the input")
	return c
}
