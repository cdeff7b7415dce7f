package main

import (
	"bytes"
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rubric-dev/rubric/engine"
)

func explainCmd(e *env) *cobra.Command {
	var pf policyFlags
	var subject string
	var all bool
	c := &cobra.Command{
		Use:     "explain -p POLICY -i INPUT --subject ID [--period P]",
		Short:   "Explain one subject's outcome as a readable report",
		Example: `  rubric explain -p policies/voice-agents -i fixtures/voice-agents/snapshots.csv --subject A-1001`,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			if subject == "" {
				return usageErr("--subject is required")
			}
			p, err := pf.load(e)
			if err != nil {
				return err
			}
			period := ""
			if len(pf.periods) == 1 && !strings.Contains(pf.periods[0], "..") {
				period = pf.periods[0]
			}
			var buf bytes.Buffer
			var res *engine.StreamResult
			if all {
				res, err = p.ExplainAll(pf.in(e), subject, &buf, engine.StreamOptions{SkipInvalid: pf.skipInvalid})
			} else {
				res, err = p.Explain(pf.in(e), subject, period, &buf, engine.StreamOptions{SkipInvalid: pf.skipInvalid})
			}
			var nf *engine.ErrNotFound
			if errors.As(err, &nf) {
				if rerr := pf.report(e, res); rerr != nil {
					return rerr
				}
				return fail(nf.Msg)
			}
			if err != nil {
				return usageErr("%v", err)
			}
			if err := pf.report(e, res); err != nil {
				return err
			}
			_, err = e.stdout.Write(buf.Bytes())
			return err
		},
	}
	pf.register(c)
	c.Flags().StringVar(&subject, "subject", "", "the subject to explain (required)")
	c.Flags().BoolVar(&all, "all", false, "explain every period of the subject (without it: the one --period names, or the latest)")
	return c
}
