package main

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/trend"
)

func trendCmd(e *env) *cobra.Command {
	var pf policyFlags
	var subject, team, format, langCode string
	c := &cobra.Command{
		Use:   "trend -p POLICY -i INPUT [--subject ID | --team T]",
		Short: "Each subject's targets, score, breaches and pay period by period, with the change against the period before",
		Long: `trend shows, for each subject (or one, or one team's members), one row per
period: each target's value and status, the score and band, the breaches
fired and each incentive's amount, with the change against the period just
before judged by the metric's direction (▲ improving, ▼ worsening, = flat).
With --team, the team's average per period is shown beside its members', so a
dip can be seen to be one person's or the whole team's.`,
		Example: `  rubric trend -p policies/voice-agents -i history.csv --subject A-1001
  rubric trend -p policies/voice-agents -i history.csv --team north --format markdown`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			switch format {
			case "text", "markdown", "json", "csv":
			default:
				return usageErr("unknown --format %q (text, markdown, json or csv)", format)
			}
			if subject != "" && team != "" {
				return usageErr("--subject and --team: choose one")
			}
			p, err := pf.load(e)
			if err != nil {
				return err
			}
			loc, err := locale(langCode)
			if err != nil {
				return err
			}
			n, res, err := trend.Write(p, pf.in(e), trend.Options{Subject: subject, Team: team, Stream: engine.StreamOptions{SkipInvalid: pf.skipInvalid, Lang: loc}}, format, e.stdout)
			var oerr *engine.OutputError
			if errors.As(err, &oerr) {
				if errors.Is(err, syscall.EPIPE) {
					return &exitError{code: exitBrokenPipe}
				}
				return fail(fmt.Sprintf("writing the trend: %v", err))
			}
			if err != nil {
				return usageErr("%v", err)
			}
			if err := pf.report(e, res); err != nil {
				return err
			}
			if n == 0 {
				switch {
				case subject != "":
					return fail(fmt.Sprintf("no snapshot of subject %q", subject))
				case team != "":
					return fail(fmt.Sprintf("no snapshot of team %q", team))
				}
			}
			return nil
		},
	}
	pf.register(c)
	c.Flags().StringVar(&subject, "subject", "", "one subject")
	c.Flags().StringVar(&team, "team", "", "one team: its members and its average per period")
	c.Flags().StringVar(&format, "format", "text", "text, markdown, json or csv")
	langFlag(c, &langCode)
	return c
}
