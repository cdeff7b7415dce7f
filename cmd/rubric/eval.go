package main

import (
	"errors"
	"os"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rubric-dev/rubric/engine"
)

func evalCmd(e *env) *cobra.Command {
	var pf policyFlags
	var format, output, langCode string
	c := &cobra.Command{
		Use:   "eval -p POLICY -i INPUT",
		Short: "Evaluate snapshots and write one outcome per snapshot",
		Example: `  rubric eval -p policies/voice-agents -i fixtures/voice-agents/snapshots.csv
  rubric eval -p policies/voice-agents -i snapshots.csv --format csv -o outcomes.csv`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			if format == "" {
				format = engine.OutNDJSON
				if output == "" && isTerminal(e.stdout) {
					format = engine.OutTable
				}
			}
			switch format {
			case engine.OutNDJSON, engine.OutJSON, engine.OutCSV, engine.OutTable:
			default:
				return usageErr("unknown --format %q (ndjson, json, csv or table)", format)
			}
			loc, err := locale(langCode)
			if err != nil {
				return err
			}
			p, err := pf.load(e)
			if err != nil {
				return err
			}
			prog, stop := progress(e, pf.files, pf.quiet)
			if output == "-" {
				output = "" // standard output, as for -i -
			}
			res, err := p.Eval(pf.in(e), engine.Output{Path: output, W: e.stdout},
				engine.EvalOptions{Format: format, StreamOptions: engine.StreamOptions{SkipInvalid: pf.skipInvalid, Progress: prog, Lang: loc}})
			stop()
			var oerr *engine.OutputError
			if errors.As(err, &oerr) {
				if errors.Is(err, syscall.EPIPE) {
					// The reader went away (| head): nothing to say, and the
					// exit status of a process a closed pipe ends (128 +
					// SIGPIPE), not the one of bad input.
					return &exitError{code: exitBrokenPipe}
				}
				return fail(err.Error())
			}
			if err != nil {
				return usageErr("%v", err)
			}
			return pf.report(e, res)
		},
	}
	pf.register(c)
	c.Flags().StringVar(&format, "format", "", "ndjson, json, csv or table (default: table on a terminal, ndjson otherwise)")
	langFlag(c, &langCode)
	c.Flags().StringVarP(&output, "output", "o", "", "write to this file (atomically) instead of standard output; - is standard output")
	return c
}

// isTerminal reports whether w is a character device.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
