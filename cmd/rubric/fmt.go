package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine"
)

func fmtCmd(e *env) *cobra.Command {
	var check, diff bool
	c := &cobra.Command{
		Use:   "fmt [--check] [--diff] [PATH...]",
		Short: "Rewrite policy and test files in canonical format",
		Long: `fmt formats every *.hcl file at the given paths (directories are walked):
consistent indentation, "=" aligned within a block, comments kept.
--check lists the files that are not formatted and exits 1; --diff prints
what would change. Neither writes.`,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"."}
			}
			files, err := engine.FormatFiles(args)
			if err != nil {
				return usageErr("%v", err)
			}
			unformatted, broken := 0, 0
			for _, f := range files {
				src, err := dsl.ReadFile(f)
				if err != nil {
					return usageErr("%v", err)
				}
				out, diags := dsl.Format(f, src)
				if diags.HasErrors() {
					broken++
					dsl.WriteDiagnostics(e.stderr, "text", diags, map[string][]byte{f: src})
					continue
				}
				if string(out) == string(src) {
					continue
				}
				unformatted++
				switch {
				case diff:
					fmt.Fprint(e.stdout, engine.UnifiedDiff(f, src, out))
				case check:
					fmt.Fprintln(e.stdout, f)
				default:
					if err := engine.WriteFileAtomic(f, out); err != nil {
						return usageErr("%v", err)
					}
					fmt.Fprintln(e.stdout, f)
				}
			}
			if broken > 0 {
				return fail(fmt.Sprintf("%d file(s) do not parse", broken))
			}
			if (check || diff) && unformatted > 0 {
				return fail(fmt.Sprintf("%d file(s) are not formatted (run rubric fmt)", unformatted))
			}
			return nil
		},
	}
	c.Flags().BoolVar(&check, "check", false, "list unformatted files and exit 1 if there are any")
	c.Flags().BoolVar(&diff, "diff", false, "print the changes as a unified diff instead of writing")
	return c
}
