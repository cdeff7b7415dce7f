package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/calibrate"
)

func calibrateCmd(e *env) *cobra.Command {
	var pf policyFlags
	var format, apply, failOn, langCode string
	var teamLimit int
	var opts calibrate.Options
	c := &cobra.Command{
		Use:   "calibrate -p POLICY -i INPUT",
		Short: "Say whether each target is achievable, and what goal a chosen share would meet",
		Long: `calibrate runs the policy over past snapshots and reports, per target, how
often it was met, the distribution of its values, the goal --aim percent of
snapshots would reach, and a verdict: unachievable (met by fewer than
--min-share percent), too_easy (by more than --max-share percent) or ok.
It prices the suggested goals by running the changed policy over the same
snapshots; --apply DIR writes that policy (formatted, comments kept).`,
		Example: `  rubric calibrate -p policies/voice-agents -i fixtures/voice-agents/snapshots.csv
  rubric calibrate -p policies/voice-agents -i history.csv --period 2026-07..2026-09 --format markdown
  rubric calibrate -p policies/voice-agents -i history.csv --apply proposed/ --fail-on unachievable,too_easy`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			switch format {
			case "text", "markdown", "json":
			default:
				return usageErr("unknown --format %q (text, markdown or json)", format)
			}
			var verdicts []string
			if failOn != "" {
				for _, v := range strings.Split(failOn, ",") {
					v = strings.TrimSpace(v)
					if v != calibrate.Unachievable && v != calibrate.TooEasy && v != calibrate.OK {
						return usageErr("unknown verdict %q in --fail-on (unachievable, too_easy or ok)", v)
					}
					verdicts = append(verdicts, v)
				}
			}
			for _, share := range []float64{opts.Aim, opts.MinShare, opts.MaxShare} {
				if share < 0 || share > 100 {
					return usageErr("--aim, --min-share and --max-share are percentages from 0 to 100")
				}
			}
			if teamLimit < 0 {
				return usageErr("--teams is a number of teams, 0 or more")
			}
			loc, err := locale(langCode)
			if err != nil {
				return err
			}
			p, err := pf.load(e)
			if err != nil {
				return err
			}
			in, release, err := pf.in(e).Rewindable() // read twice: as it is, and with the suggested goals
			if err != nil {
				return usageErr("%v", err)
			}
			defer release()
			opts.Stream = engine.StreamOptions{SkipInvalid: pf.skipInvalid}
			rep, res, err := calibrate.Run(p, in, opts)
			if err != nil {
				return usageErr("%v", err)
			}
			if err := pf.report(e, res); err != nil {
				return err
			}
			srcs, err := calibrate.Price(p, in, opts, rep)
			if err != nil {
				return fail(err.Error())
			}
			if apply != "" {
				if err := calibrate.WriteDir(apply, srcs); err != nil {
					return fail(fmt.Sprintf("writing %s: %v", apply, err))
				}
			}
			rep.Lang = loc
			rep.TeamLimit = teamLimit
			switch format {
			case "json":
				err = rep.WriteJSON(e.stdout)
			case "markdown":
				err = rep.WriteMarkdown(e.stdout)
			default:
				err = rep.WriteText(e.stdout)
			}
			if err != nil {
				return fail(fmt.Sprintf("writing the report: %v", err))
			}
			if apply != "" {
				fmt.Fprintf(e.stderr, "rubric: wrote the policy with the suggested goals to %s\n", apply)
			}
			if bad := rep.Failing(verdicts...); len(bad) > 0 {
				return fail(fmt.Sprintf("%d target(s) fail --fail-on: %s", len(bad), strings.Join(bad, "; ")))
			}
			return nil
		},
	}
	pf.register(c)
	c.Flags().StringVar(&format, "format", "text", "text, markdown or json")
	langFlag(c, &langCode)
	c.Flags().Float64Var(&opts.Aim, "aim", 70, "percent of snapshots a suggested goal should be met by")
	c.Flags().Float64Var(&opts.MinShare, "min-share", 20, "a target met by fewer than this percent is unachievable")
	c.Flags().Float64Var(&opts.MaxShare, "max-share", 95, "a target met by more than this percent is too easy")
	c.Flags().IntVar(&teamLimit, "teams", 0, "show at most N teams per target in text and markdown, those furthest from the aim (0: every team)")
	c.Flags().StringVar(&apply, "apply", "", "write a copy of the policy with the suggested goals into this directory")
	c.Flags().StringVar(&failOn, "fail-on", "", "exit 1 when a target has one of these verdicts (comma-separated: unachievable, too_easy)")
	return c
}
