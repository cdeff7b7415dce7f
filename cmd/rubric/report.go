package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/calibrate"
	"github.com/rubric-dev/rubric/engine/htmlreport"
)

func reportCmd(e *env) *cobra.Command {
	var pf policyFlags
	var dir, team, subject, langCode string
	c := &cobra.Command{
		Use:   "report -p POLICY -i INPUT -o DIR",
		Short: "Write an HTML site: an overview, a page per team and a statement per subject",
		Long: `report writes a static, self-contained site into DIR (no network, no
scripts; it opens from the file system and prints on A4): index.html with
the score distribution, bands, each target's met share and achievability,
teams against everyone and the payouts, per period and over the periods; a
page per team; and a statement per subject, what a manager hands to an
agent. --team and --subject write one team's or one subject's pages alone;
--lang id writes the pages in Bahasa Indonesia.`,
		Example: `  rubric report -p policies/voice-agents -i fixtures/voice-agents/history.csv -o report/
  rubric report -p policies/voice-agents -i history.csv -o report/ --subject A-1001
  rubric report -p policies/voice-agents -i history.csv -o laporan/ --lang id`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			if dir == "" {
				return usageErr("--output (-o) DIR is required")
			}
			loc, err := locale(langCode)
			if err != nil {
				return err
			}
			p, err := pf.load(e)
			if err != nil {
				return err
			}
			in, release, err := pf.in(e).Rewindable() // read twice: calibrate, then the report
			if err != nil {
				return usageErr("%v", err)
			}
			defer release()
			so := engine.StreamOptions{SkipInvalid: pf.skipInvalid, Lang: loc}
			cal, res, err := calibrate.Run(p, in, calibrate.Options{Stream: so})
			if err != nil {
				return usageErr("%v", err)
			}
			if err := pf.report(e, res); err != nil {
				return err
			}
			verdicts := map[string]string{}
			for name, t := range cal.Targets {
				if t.Verdict != nil {
					verdicts[name] = *t.Verdict
				}
			}
			// The second pass reads the same input with the same options: the
			// same rows are rejected (the rejects file is written again, the
			// same bytes) and the same rows are reported on.
			out, res, err := htmlreport.Build(p, in, htmlreport.Options{Dir: dir, Team: team, Subject: subject, Verdicts: verdicts, Stream: so})
			if err != nil {
				return fail(fmt.Sprintf("report: %v", err))
			}
			if res.Failed() {
				return reportRows(e, res, pf.skipInvalid, pf.allowEmpty)
			}
			if (team != "" && out.Teams == 0 && out.Subjects == 0) || (subject != "" && out.Subjects == 0) {
				return fail(fmt.Sprintf("nothing to report for %s%s", team, subject))
			}
			fmt.Fprintf(e.stdout, "wrote %s: %d page(s): the overview, %d team page(s), %d statement(s); open %s/index.html\n", dir, out.Pages, out.Teams, out.Subjects, dir)
			return nil
		},
	}
	pf.register(c)
	c.Flags().StringVarP(&dir, "output", "o", "", "the site's directory (required; replaced whole)")
	c.Flags().StringVar(&team, "team", "", "only this team's page and its members' statements")
	c.Flags().StringVar(&subject, "subject", "", "only this subject's statement")
	langFlag(c, &langCode)
	return c
}
