package main

import (
	"bytes"
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/rollup"
	"github.com/rubric-dev/rubric/evaluator/lang"
)

func explainCmd(e *env) *cobra.Command {
	var pf policyFlags
	var subject, langCode string
	var all bool
	c := &cobra.Command{
		Use:   "explain -p POLICY -i INPUT --subject ID [--period P]",
		Short: "Explain one subject's outcome as a readable report",
		Example: `  rubric explain -p policies/voice-agents -i fixtures/voice-agents/snapshots.csv --subject A-1001
  rubric explain -p policies/voice-agents -i fixtures/voice-agents/snapshots.csv --subject A-1001 --lang id`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			if subject == "" {
				return usageErr("--subject is required")
			}
			loc, err := lang.Parse(langCode)
			if err != nil {
				return usageErr("--lang: %v", err)
			}
			pf.originsOf = subject
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
				res, err = p.ExplainAll(pf.in(e), subject, &buf, engine.StreamOptions{SkipInvalid: pf.skipInvalid, Lang: loc})
			} else {
				res, err = p.Explain(pf.in(e), subject, period, &buf, engine.StreamOptions{SkipInvalid: pf.skipInvalid, Lang: loc})
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
			// Under --rollup: where the explained periods' values came from.
			var origins []rollup.Origin
			for _, o := range pf.origins {
				if all || o.Period == period {
					origins = append(origins, o)
				}
			}
			if period == "" && !all && len(pf.origins) > 0 {
				origins = pf.origins[len(pf.origins)-1:] // the latest, as explained
			}
			rollup.WriteOrigins(&buf, p, origins, loc)
			_, err = e.stdout.Write(buf.Bytes())
			return err
		},
	}
	pf.register(c)
	c.Flags().StringVar(&subject, "subject", "", "the subject to explain (required)")
	c.Flags().StringVar(&langCode, "lang", "en", "the report's language: en or id (Bahasa Indonesia: its words, 1.234,56 and Rp1.250.000)")
	c.Flags().BoolVar(&all, "all", false, "explain every period of the subject (without it: the one --period names, or the latest)")
	return c
}
