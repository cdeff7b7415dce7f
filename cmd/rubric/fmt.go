package main

import (
	"bytes"
	"fmt"
	"io"

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
what would change. Neither writes. "rubric fmt -" formats standard input to
standard output (an editor's format on save); with --check it exits 1 when
the text is not formatted.`,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 && args[0] == "-" {
				return fmtStdin(e, check)
			}
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

// fmtStdin formats standard input to standard output; a text that does
// not parse is reported with its diagnostics and written back unchanged
// nowhere (exit 1), so an editor keeps what it had.
func fmtStdin(e *env, check bool) error {
	src, err := io.ReadAll(io.LimitReader(e.stdin, dsl.MaxFileBytes+1))
	if err != nil {
		return usageErr("reading standard input: %v", err)
	}
	if len(src) > dsl.MaxFileBytes {
		return fail(fmt.Sprintf("standard input: a policy file may be at most %d bytes", dsl.MaxFileBytes))
	}
	out, diags := dsl.Format("<stdin>", src)
	if diags.HasErrors() {
		dsl.WriteDiagnostics(e.stderr, "text", diags, map[string][]byte{"<stdin>": src})
		return fail("standard input does not parse")
	}
	if check {
		if !bytes.Equal(out, src) {
			return fail("standard input is not formatted (run rubric fmt -)")
		}
		return nil
	}
	if _, err := e.stdout.Write(out); err != nil {
		return fail(err.Error())
	}
	return nil
}
