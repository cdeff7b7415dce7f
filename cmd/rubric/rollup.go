package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/rollup"
)

func rollupCmd(e *env) *cobra.Command {
	var pf policyFlags
	var output, format string
	c := &cobra.Command{
		Use:   "rollup -p POLICY -i ROWS... [-o FILE]",
		Short: "Count snapshots from interaction rows (calls, chats, tickets) with the policy's rollup",
		Long: `rollup reads one row per call, chat or ticket and writes one snapshot per
subject and period: subject, period, team, then the policy's rollup
measures in block order, sorted by period then subject. Periods are cut in
the rollup's time zone. Bad rows are reported with file, line and column
(--skip-invalid writes them to a rejects file and goes on). eval, explain,
payroll, calibrate, trend and report take --rollup to read the rows
directly.`,
		Example: `  rubric rollup -p policies/voice-agents -i calls.csv -o snapshots.csv
  rubric eval -p policies/voice-agents -i 'calls/2026-*.csv' --rollup --period 2026-10`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			switch format {
			case "csv", "ndjson":
			default:
				return usageErr("unknown --format %q (csv or ndjson)", format)
			}
			if pf.rollup {
				return usageErr("--rollup: rubric rollup always reads interaction rows")
			}
			p, err := pf.load(e)
			if err != nil {
				return err
			}
			if p.Rules().Rollup == nil {
				return fail(fmt.Sprintf("policy %s has no rollup block: declare how its metrics are counted from rows (docs/language.md, Rollup)", pf.policy))
			}
			var tmp *os.File
			var w *bufio.Writer
			if output != "" && output != "-" {
				if tmp, err = engine.TempFile("rubric-rollup-out-*"); err != nil {
					return fail(err.Error())
				}
				defer func() { tmp.Close(); engine.RemoveTemp(tmp.Name()) }()
				w = bufio.NewWriter(tmp)
			} else {
				w = bufio.NewWriter(e.stdout)
			}
			res, err := rollup.Run(p, pf.rawInput(e), w, rollup.Options{Format: format, SkipInvalid: pf.skipInvalid, Periods: pf.periods})
			if err != nil {
				return usageErr("%v", err)
			}
			if err := reportRollup(e, res, pf.skipInvalid); err != nil {
				return err
			}
			if res.Rows == 0 && !pf.allowEmpty {
				return fail("the input has no rows: nothing to roll up (use --allow-empty if that is expected)")
			}
			if len(pf.periods) > 0 && res.Snapshots == 0 && res.Rows > 0 && !pf.allowEmpty {
				return fail(fmt.Sprintf("no snapshot in %s (use --allow-empty if that is expected)", strings.Join(pf.periods, ", ")))
			}
			if err := w.Flush(); err != nil {
				return fail(err.Error())
			}
			if tmp != nil {
				b, err := os.ReadFile(tmp.Name())
				if err != nil {
					return fail(err.Error())
				}
				if err := engine.WriteFileAtomic(output, b); err != nil {
					return fail(err.Error())
				}
			}
			fmt.Fprintf(e.stderr, "rubric: %d row(s) read, %d counted, %d snapshot(s)\n", res.Rows, res.Counted, res.Snapshots)
			return nil
		},
	}
	pf.register(c)
	c.Flags().StringVarP(&output, "output", "o", "", "write the snapshots to this file (atomically) instead of standard output")
	c.Flags().StringVar(&format, "format", "csv", "csv or ndjson")
	return c
}
