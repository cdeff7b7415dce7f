package policytest

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/rubric-dev/rubric/dsl"
)

// The reports written: text, JSON, JUnit XML, GitHub annotations.

// WriteText writes the reports for a terminal: each failure with its why,
// a line per policy (with its coverage when asked), the totals; the
// policies' and tests' diagnostics go to diags.
func WriteText(w, diags io.Writer, reports []*Report, passed, failed int, coverage bool) {
	for _, r := range reports {
		if len(r.Diags) > 0 {
			dsl.WriteDiagnostics(diags, "text", r.Diags, r.Files)
		}
		for _, t := range r.Tests {
			if t.Passed() {
				continue
			}
			fmt.Fprintf(w, "--- FAIL: %s (%s:%d)\n", t.Name, t.File, t.Line)
			for _, f := range t.Failures {
				fmt.Fprintf(w, "    %s:%d: %s\n", t.File, f.Line, f)
				if f.Why != "" {
					fmt.Fprintf(w, "        why: %s\n", f.Why)
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
		fmt.Fprintln(w, line)
		if coverage && r.Coverage != nil {
			for _, m := range r.Coverage.Missed() {
				fmt.Fprintf(w, "    not covered: %s\n", m)
			}
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", passed, failed)
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
	Name     string    `json:"name"`
	File     string    `json:"file"`
	Line     int       `json:"line"`
	Passed   bool      `json:"passed"`
	Failures []Failure `json:"failures"`
}

type coverageJSON struct {
	Percent float64  `json:"percent"`
	Covered int      `json:"covered"`
	Total   int      `json:"total"`
	Missed  []string `json:"missed"`
}

// WriteJSON writes the reports as one JSON document.
func WriteJSON(w io.Writer, reports []*Report, passed, failed int, coverage bool) {
	out := testJSON{Passed: passed, Failed: failed, Policies: []policyJSON{}}
	for _, r := range reports {
		pj := policyJSON{Path: r.Path, Policy: r.Policy, Diagnostics: dsl.ToJSON(r.Diags), Tests: []caseJSON{}}
		for _, t := range r.Tests {
			fs := t.Failures
			if fs == nil {
				fs = []Failure{}
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

// WriteGitHub writes GitHub Actions annotations: the policies' and
// tests' diagnostics, and an error on each failing expectation's line
// titled with its test, then a summary line.
func WriteGitHub(w io.Writer, reports []*Report, passed, failed int) {
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

// WriteJUnit writes the reports as JUnit XML: a suite per policy, a case
// per test and per diagnostic.
func WriteJUnit(w io.Writer, reports []*Report) {
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
