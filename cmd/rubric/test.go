package main

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"time"

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
				writeTestJSON(e.stdout, reports, passed, failed, coverage)
			case "junit":
				writeJUnit(e.stdout, reports)
			case "github":
				writeTestGitHub(e.stdout, reports, passed, failed)
			default:
				writeTestText(e, reports, passed, failed, coverage, minCoverage)
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

func writeTestText(e *env, reports []*policytest.Report, passed, failed int, coverage bool, min float64) {
	for _, r := range reports {
		if len(r.Diags) > 0 {
			dsl.WriteDiagnostics(e.stderr, "text", r.Diags, r.Files)
		}
		for _, t := range r.Tests {
			if t.Passed() {
				continue
			}
			fmt.Fprintf(e.stdout, "--- FAIL: %s (%s:%d)\n", t.Name, t.File, t.Line)
			for _, f := range t.Failures {
				fmt.Fprintf(e.stdout, "    %s:%d: %s\n", t.File, f.Line, f)
				if f.Why != "" {
					fmt.Fprintf(e.stdout, "        why: %s\n", f.Why)
				}
			}
		}
		p, f := r.Counts()
		status := "ok  "
		if f > 0 || r.Diags.HasErrors() {
			status = "FAIL"
		}
		line := fmt.Sprintf("%s %s\t%d passed, %d failed", status, r.Path, p, f)
		if coverage && r.Coverage != nil {
			line += fmt.Sprintf("\tcoverage: %.1f%% (%d of %d)", r.Coverage.Percent(), r.Coverage.Covered(), r.Coverage.Total())
		}
		fmt.Fprintln(e.stdout, line)
		if coverage && r.Coverage != nil {
			for _, m := range r.Coverage.Missed() {
				fmt.Fprintf(e.stdout, "    not covered: %s\n", m)
			}
		}
	}
	fmt.Fprintf(e.stdout, "%d passed, %d failed\n", passed, failed)
}

type testJSON struct {
	Passed   int          `json:"passed"`
	Failed   int          `json:"failed"`
	Policies []policyJSON `json:"policies"`
}

type policyJSON struct {
	Path        string               `json:"path"`
	Policy      string               `json:"policy"`
	Diagnostics []dsl.DiagnosticJSON `json:"diagnostics"`
	Tests       []caseJSON           `json:"tests"`
	Coverage    *coverageJSON        `json:"coverage,omitempty"`
}

type caseJSON struct {
	Name     string               `json:"name"`
	File     string               `json:"file"`
	Line     int                  `json:"line"`
	Passed   bool                 `json:"passed"`
	Failures []policytest.Failure `json:"failures"`
}

type coverageJSON struct {
	Percent float64  `json:"percent"`
	Covered int      `json:"covered"`
	Total   int      `json:"total"`
	Missed  []string `json:"missed"`
}

func writeTestJSON(w io.Writer, reports []*policytest.Report, passed, failed int, coverage bool) {
	out := testJSON{Passed: passed, Failed: failed, Policies: []policyJSON{}}
	for _, r := range reports {
		pj := policyJSON{Path: r.Path, Policy: r.Policy, Diagnostics: dsl.ToJSON(r.Diags), Tests: []caseJSON{}}
		for _, t := range r.Tests {
			fs := t.Failures
			if fs == nil {
				fs = []policytest.Failure{}
			}
			pj.Tests = append(pj.Tests, caseJSON{Name: t.Name, File: t.File, Line: t.Line, Passed: t.Passed(), Failures: fs})
		}
		if coverage && r.Coverage != nil {
			missed := r.Coverage.Missed()
			if missed == nil {
				missed = []string{}
			}
			pj.Coverage = &coverageJSON{Percent: r.Coverage.Percent(), Covered: r.Coverage.Covered(), Total: r.Coverage.Total(), Missed: missed}
		}
		out.Policies = append(out.Policies, pj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(out)
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Tests   int          `xml:"tests,attr"`
	Fails   int          `xml:"failures,attr"`
	Errors  int          `xml:"errors,attr"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name   string      `xml:"name,attr"`
	Tests  int         `xml:"tests,attr"`
	Fails  int         `xml:"failures,attr"`
	Errors int         `xml:"errors,attr"`
	Time   string      `xml:"time,attr"`
	Cases  []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr"`
	Line      int           `xml:"line,attr"`
	Time      string        `xml:"time,attr"` // seconds, as the JUnit schema requires
	Failure   *junitFailure `xml:"failure,omitempty"`
	Error     *junitFailure `xml:"error,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// writeTestGitHub writes GitHub Actions annotations: the policies' and
// tests' diagnostics, and an error on each failing expectation's line
// titled with its test, then a summary line.
func writeTestGitHub(w io.Writer, reports []*policytest.Report, passed, failed int) {
	for _, r := range reports {
		if len(r.Diags) > 0 {
			dsl.WriteDiagnostics(w, "github", r.Diags, nil)
		}
		for _, t := range r.Tests {
			for _, f := range t.Failures {
				msg := f.String()
				if f.Why != "" {
					msg += "\nwhy: " + f.Why
				}
				dsl.WriteGitHubAnnotation(w, "error", t.File, f.Line, "rubric test: "+t.Name, msg)
			}
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", passed, failed)
}

// seconds is a duration as JUnit's time attribute: seconds, 3 decimals.
func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

func writeJUnit(w io.Writer, reports []*policytest.Report) {
	var all junitSuites
	for _, r := range reports {
		s := junitSuite{Name: r.Path}
		var total time.Duration
		for _, d := range r.Diags {
			if d.Subject == nil {
				continue
			}
			s.Errors++
			s.Cases = append(s.Cases, junitCase{Name: "load " + d.Subject.Filename, Classname: r.Policy, File: d.Subject.Filename, Line: d.Subject.Start.Line, Time: "0.000",
				Error: &junitFailure{Message: d.Summary, Type: "diagnostic", Text: fmt.Sprintf("%s:%d:%d: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, d.Summary)}})
		}
		for _, t := range r.Tests {
			jc := junitCase{Name: t.Name, Classname: r.Policy, File: t.File, Line: t.Line, Time: seconds(t.Duration)}
			total += t.Duration
			if !t.Passed() {
				s.Fails++
				text := ""
				for _, f := range t.Failures {
					text += fmt.Sprintf("%s:%d: %s\n", t.File, f.Line, f)
					if f.Why != "" {
						text += "    why: " + f.Why + "\n"
					}
				}
				jc.Failure = &junitFailure{Message: t.Failures[0].String(), Type: "expectation", Text: text}
			}
			s.Tests++
			s.Cases = append(s.Cases, jc)
		}
		s.Time = seconds(total)
		all.Tests += s.Tests
		all.Fails += s.Fails
		all.Errors += s.Errors
		all.Suites = append(all.Suites, s)
	}
	io.WriteString(w, xml.Header)
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	enc.Encode(all)
	io.WriteString(w, "\n")
}
