package main

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine"
)

func validateCmd(e *env) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "validate [PATH...]",
		Short: "Parse, type-check and cross-check policies (directories or files)",
		Example: `  rubric validate policies/*/
  rubric validate --format json policies/voice-agents`,
		RunE: func(c *cobra.Command, args []string) error {
			switch format {
			case "text", "json", "github", "sarif":
			default:
				return usageErr("unknown --format %q (text, json, github or sarif)", format)
			}
			if len(args) == 0 {
				args = []string{"."}
			}
			var all hcl.Diagnostics
			files := map[string][]byte{}
			var valid []string
			for _, path := range args {
				srcs, err := dsl.ReadSources(path)
				if err != nil {
					return usageErr("%v", err)
				}
				for k, v := range dsl.SourceFiles(srcs) {
					files[k] = v
				}
				p, diags := engine.LoadSources(path, srcs)
				all = append(all, diags...)
				if p != nil {
					valid = append(valid, fmt.Sprintf("%s: policy %s version %s is valid (%d targets, %d scorecards, %d breaches, %d incentives; %s)",
						path, p.Rules().Name, p.Rules().Version, len(p.Rules().Targets), len(p.Rules().Scorecards), len(p.Rules().Breaches), len(p.Rules().Incentives), p.Rules().Language))
				}
			}
			errs, warns := count(all)
			switch format {
			case "json":
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(dsl.NewValidation(all)); err != nil {
					return fail(fmt.Sprintf("writing the result: %v", err))
				}
			case "github":
				dsl.WriteDiagnostics(e.stdout, "github", all, files)
			case "sarif":
				dsl.WriteSARIF(e.stdout, all, engine.Version())
			default:
				dsl.WriteDiagnostics(e.stderr, "text", all, files)
				for _, v := range valid {
					fmt.Fprintln(e.stdout, v)
				}
				if errs > 0 {
					fmt.Fprintf(e.stderr, "%d error(s), %d warning(s)\n", errs, warns)
				}
			}
			if errs > 0 {
				return fail("")
			}
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text, json, github or sarif")
	return c
}

func count(diags hcl.Diagnostics) (errs, warns int) {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errs++
		} else {
			warns++
		}
	}
	return
}
