package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"github.com/spf13/cobra"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine/policytest"
)

func testCmd(e *env) *cobra.Command {
	var format, runRx string
	var coverage, allowEmpty bool
	var minCoverage float64
	c := &cobra.Command{
		Use:   "test [PATH...]",
		Short: "Run policies' *.test.hcl tests, with coverage",
		Long: `test runs the tests of each policy directory: each test evaluates a snapshot
written in the test and compares targets, scores, breaches and incentives with
its expectations. A PATH that holds no policy files but policy directories
(such as policies/) tests each of them.

--coverage lists what no test exercised: target statuses never produced,
bands never reached, breach rules never fired or never clear, gates never
failing, tiers and rate bands never reached, incentive statuses never seen.`,
		Example: `  rubric test policies/*/
  rubric test --coverage --min-coverage 100 policies/voice-agents
  rubric test --format junit policies/ > report.xml`,
		RunE: func(c *cobra.Command, args []string) error {
			switch format {
			case "text", "json", "junit", "github":
			default:
				return usageErr("unknown --format %q (text, json, junit or github)", format)
			}
			var rx *regexp.Regexp
			if runRx != "" {
				var err error
				if rx, err = regexp.Compile(runRx); err != nil {
					return usageErr("--run: %v", err)
				}
			}
			if len(args) == 0 {
				args = []string{"."}
			}
			dirs, err := policyDirs(args)
			if err != nil {
				return usageErr("%v", err)
			}
			var reports []*policytest.Report
			for _, d := range dirs {
				rep, err := policytest.Run(d, policytest.Options{Run: rx})
				if err != nil {
					return usageErr("%v", err)
				}
				reports = append(reports, rep)
			}
			passed, failed, broken := 0, 0, false
			for _, r := range reports {
				p, f := r.Counts()
				passed, failed = passed+p, failed+f
				if r.Diags.HasErrors() {
					broken = true
				}
			}
			covFail := false
			if minCoverage > 0 {
				coverage = true
				for _, r := range reports {
					if r.Coverage != nil && r.Coverage.Percent() < minCoverage-1e-9 {
						covFail = true
					}
				}
			}
			switch format {
			case "json":
				policytest.WriteJSON(e.stdout, reports, passed, failed, coverage)
			case "junit":
				policytest.WriteJUnit(e.stdout, reports)
			case "github":
				policytest.WriteGitHub(e.stdout, reports, passed, failed)
			default:
				policytest.WriteText(e.stdout, e.stderr, reports, passed, failed, coverage)
			}
			switch {
			case broken:
				return fail("policies or tests have errors")
			case failed > 0:
				return fail("")
			case passed == 0 && !allowEmpty:
				return fail("no test ran (use --allow-empty to permit that)")
			case covFail:
				return fail(fmt.Sprintf("coverage is below %g%%", minCoverage))
			}
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output: text, json, junit or github (workflow annotations on the failing expectations)")
	c.Flags().StringVar(&runRx, "run", "", "run only tests whose name matches this regular expression")
	c.Flags().BoolVar(&coverage, "coverage", false, "report what no test exercised")
	c.Flags().Float64Var(&minCoverage, "min-coverage", 0, "fail when a policy's coverage is below this percentage (implies --coverage)")
	c.Flags().BoolVar(&allowEmpty, "allow-empty", false, "succeed when no test ran")
	return c
}

// policyDirs expands arguments: a policy directory or file stays; a
// directory without policy files stands for its subdirectories that have
// them.
func policyDirs(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		if _, err := dsl.ReadSources(a); err == nil {
			out = append(out, a)
			continue
		}
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("%s: not a policy", a)
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		found := false
		for _, en := range entries {
			sub := filepath.Join(a, en.Name())
			if en.IsDir() {
				if _, err := dsl.ReadSources(sub); err == nil {
					out = append(out, sub)
					found = true
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("%s: no policy files here or in its directories", a)
		}
	}
	sort.Strings(out)
	return out, nil
}
