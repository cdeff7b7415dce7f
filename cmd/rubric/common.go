package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/rollup"
	"github.com/rubric-dev/rubric/evaluator/lang"
)

// policyFlags are the flags of commands that evaluate snapshots.
type policyFlags struct {
	policy      string
	inputs      []string // -i as given: files, globs or -
	files       []string // the files they name, in order (check)
	inputFormat string
	skipInvalid string
	periods     []string
	allowEmpty  bool
	quiet       bool
	rollup      bool // the inputs are interaction rows, read through the policy's rollup
	// originsOf, set before load, keeps where the rolled-up snapshots of
	// this subject came from (explain); origins holds them.
	originsOf string
	origins   []rollup.Origin
}

func (f *policyFlags) register(c *cobra.Command) {
	c.Flags().StringVarP(&f.policy, "policy", "p", "", "policy directory or file (required)")
	c.Flags().StringArrayVarP(&f.inputs, "input", "i", nil, "snapshots: a .csv, .json, .ndjson or .jsonl file (also .gz), a glob pattern ('data/2026-*.csv'), or - for standard input; repeatable: the files are read as one input, in order (required)")
	c.Flags().StringVar(&f.inputFormat, "input-format", "", "input format when the name does not say: csv, json or ndjson")
	c.Flags().StringVar(&f.skipInvalid, "skip-invalid", "", "evaluate the good rows and write each rejected row with its reason to this CSV file")
	c.Flags().BoolVar(&f.allowEmpty, "allow-empty", false, "an input without rows is not an error")
	c.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "no progress display on a terminal")
	c.Flags().BoolVar(&f.rollup, "rollup", false, "the inputs are interaction rows (calls, tickets): count the snapshots with the policy's rollup block first")
	c.Flags().StringArrayVar(&f.periods, "period", nil, "write only this period (LABEL or FROM..TO, repeatable); every snapshot is still read and used as history and for team figures")
}

func (f *policyFlags) check() error {
	if f.policy == "" {
		return usageErr("--policy (-p) is required")
	}
	if len(f.inputs) == 0 {
		return usageErr("--input (-i) is required")
	}
	switch f.inputFormat {
	case "", engine.FormatCSV, engine.FormatJSON, engine.FormatNDJSON:
	default:
		return usageErr("unknown --input-format %q (csv, json or ndjson)", f.inputFormat)
	}
	files, err := expandInputs(f.inputs)
	if err != nil {
		return err
	}
	f.files = files
	for _, name := range files {
		if name == "-" {
			continue // its format is detected from its first byte
		}
		if f.inputFormat == "" && engine.InputFormat(name) == "" {
			return usageErr("%s: cannot tell the input format from the name; say --input-format csv, json or ndjson", name)
		}
		if _, err := os.Stat(name); err != nil {
			return usageErr("%v", err)
		}
	}
	return nil
}

// expandInputs turns -i values into files: a glob pattern into its
// matches in lexical order (a pattern that matches nothing is a usage
// error), anything else as it is. Standard input (-) must be the only one.
func expandInputs(inputs []string) ([]string, error) {
	var files []string
	for _, in := range inputs {
		if in == "-" {
			if len(inputs) > 1 {
				return nil, usageErr("standard input (-i -) cannot be read with other inputs")
			}
			return []string{"-"}, nil
		}
		if !strings.ContainsAny(in, "*?[") {
			files = append(files, in)
			continue
		}
		matches, err := filepath.Glob(in)
		if err != nil {
			return nil, usageErr("input pattern %q: %v", in, err)
		}
		if len(matches) == 0 {
			return nil, usageErr("input pattern %q matches no file", in)
		}
		files = append(files, matches...) // sorted by Glob
	}
	return files, nil
}

// load loads the policy, printing its diagnostics.
func (f *policyFlags) load(e *env) (*engine.Policy, error) {
	p, srcs, diags, err := engine.LoadPath(f.policy)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	if len(diags) > 0 {
		dsl.WriteDiagnostics(e.stderr, "text", diags, dsl.SourceFiles(srcs))
	}
	if p == nil {
		return nil, fail(fmt.Sprintf("policy %s has errors", f.policy))
	}
	if f.rollup {
		if err := f.rolledUp(e, p); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// rolledUp counts the snapshots from the interaction rows with the
// policy's rollup into a temporary file, which then is the input. Bad
// rows are reported, or rejected with --skip-invalid, by the rollup; the
// snapshots it writes are then read as any input.
func (f *policyFlags) rolledUp(e *env, p *engine.Policy) error {
	tmp, err := engine.TempFile("rubric-rollup-*.csv")
	if err != nil {
		return fail(err.Error())
	}
	e.cleanups = append(e.cleanups, func() { tmp.Close(); engine.RemoveTemp(tmp.Name()) })
	opts := rollup.Options{SkipInvalid: f.skipInvalid}
	if f.originsOf != "" {
		opts.Origins = func(subject string) bool { return subject == f.originsOf }
	}
	res, err := rollup.Run(p, f.rawInput(e), tmp, opts)
	if err != nil {
		return fail(fmt.Sprintf("rollup: %v", err))
	}
	if err := reportRollup(e, res, f.skipInvalid); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return fail(err.Error())
	}
	f.origins = res.Origins
	e.rolledUp = map[string]string{tmp.Name(): fmt.Sprintf("%s, rolled up by rollup %s", strings.Join(f.files, ", "), p.Rules().Rollup.Name)}
	f.files, f.inputFormat, f.skipInvalid = []string{tmp.Name()}, engine.FormatCSV, ""
	return nil
}

// reportRollup prints a rollup's warnings, skipped rows and bad input; it
// returns the error to exit with.
func reportRollup(e *env, res *rollup.Result, skip string) error {
	for _, w := range res.Warnings {
		fmt.Fprintln(e.stderr, "warning:", w)
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(e.stderr, "rubric: measure %s: %d row(s) left out (an expression read a missing value)\n", s.Measure, s.Rows)
	}
	if res.Failed() {
		for _, ie := range res.Errors {
			fmt.Fprintln(e.stderr, ie.Error())
		}
		if more := res.ErrorCount - len(res.Errors); more > 0 {
			fmt.Fprintf(e.stderr, "… and %d more\n", more)
		}
		return fail(fmt.Sprintf("%d bad input value(s); nothing was written (use --skip-invalid REJECTS.csv to count the good rows)", res.ErrorCount))
	}
	if skip != "" && res.Rejected > 0 {
		fmt.Fprintf(e.stderr, "rubric: rejected %d row(s), written with their reasons to %s\n", res.Rejected, skip)
	}
	return nil
}

// rawInput is the input as given (interaction rows under --rollup).
func (f *policyFlags) rawInput(e *env) engine.Input {
	in := engine.Input{Name: f.files[0], Format: f.inputFormat, Stdin: e.stdin}
	if len(f.files) > 1 {
		in.Names = f.files
	}
	return in
}

func (f *policyFlags) in(e *env) engine.Input {
	in := engine.Input{Name: f.files[0], Format: f.inputFormat, Stdin: e.stdin, Periods: f.periods, AllowEmpty: f.allowEmpty}
	if len(f.files) > 1 {
		in.Names = f.files
	}
	return in
}

// report prints warnings and bad input; it returns the error to exit with.
func report(e *env, res *engine.StreamResult, skip string) error {
	return reportRows(e, res, skip, true)
}

// report is report for the commands of f: an input without rows fails
// unless --allow-empty.
func (f *policyFlags) report(e *env, res *engine.StreamResult) error {
	return reportRows(e, res, f.skipInvalid, f.allowEmpty)
}

func reportRows(e *env, res *engine.StreamResult, skip string, allowEmpty bool) error {
	for _, w := range res.Warnings {
		fmt.Fprintln(e.stderr, "warning:", w)
	}
	if res.Failed() {
		rolled := false
		for _, ie := range res.Errors {
			if name, ok := e.rolledUp[ie.File]; ok { // a snapshot --rollup counted: no line of the rows to name
				ie.File, ie.Line, ie.Column, rolled = name, 0, 0, true
			}
			fmt.Fprintf(e.stderr, "%s\n", ie.Error())
		}
		if more := res.ErrorCount - len(res.Errors); more > 0 {
			fmt.Fprintf(e.stderr, "… and %d more\n", more)
		}
		if rolled {
			fmt.Fprintln(e.stderr, "rubric: a snapshot counted by --rollup holds the subject, period, team and the rollup's measures only; a policy that also reads other values (attributes, metrics from other systems) reads snapshots: write them with rubric rollup and add those columns")
		}
		return fail(fmt.Sprintf("%d bad input value(s); nothing was written (use --skip-invalid REJECTS.csv to evaluate the good rows)", res.ErrorCount))
	}
	if res.Rows == 0 && !allowEmpty {
		return fail("the input has no rows: nothing to evaluate (use --allow-empty if that is expected)")
	}
	if res.HistoryOnly > 0 {
		fmt.Fprintf(e.stderr, "rubric: %d snapshot(s) before the policy's effective_from were used as history only (not written)\n", res.HistoryOnly)
	}
	if len(res.LeftOut) > 0 {
		fmt.Fprintf(e.stderr, "rubric: team figures (team.*, all.*) were computed without the rejected rows for: %s; outcomes that compare with them may change once those rows are fixed\n", strings.Join(res.LeftOut, "; "))
	}
	if res.ThinHistory != "" {
		fmt.Fprintf(e.stderr, "warning: %s\n", res.ThinHistory)
	}
	if len(res.HistoryLeftOut) > 0 {
		fmt.Fprintf(e.stderr, "rubric: history windows reach rejected rows: %s; what looks back on them has no result there (no_data, needs review) until those rows are fixed\n", strings.Join(res.HistoryLeftOut, "; "))
	}
	if skip != "" && res.Rejected > 0 {
		fmt.Fprintf(e.stderr, "rubric: rejected %d row(s), written with their reasons to %s\n", res.Rejected, skip)
	}
	return nil
}

// langFlag registers --lang: the language of the renderings for people
// (SPEC §15).
func langFlag(c *cobra.Command, code *string) {
	c.Flags().StringVar(code, "lang", "en", "the language of the text for people: en or id (Bahasa Indonesia: its words, 1.234,56 and Rp1.250.000); JSON and CSV stay as they are")
}

// locale parses --lang.
func locale(code string) (*lang.Locale, error) {
	l, err := lang.Parse(code)
	if err != nil {
		return nil, usageErr("--lang: %v", err)
	}
	return l, nil
}
