package policytest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/engine/internal/testkit"
)

// TestExamplePolicySuites runs every shipped policy's own tests, as
// `rubric test --coverage` does: a broken example fails the build, and so
// does an example whose tests stop covering it fully.
func TestExamplePolicySuites(t *testing.T) {
	for _, name := range testkit.Examples(t, "../..") {
		t.Run(name, func(t *testing.T) {
			rep, err := Run(filepath.Join("../../policies", name), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Diags.HasErrors() {
				t.Fatal(rep.Diags)
			}
			passed, failed := rep.Counts()
			if passed == 0 {
				t.Fatal("no tests")
			}
			for _, tc := range rep.Tests {
				for _, f := range tc.Failures {
					t.Errorf("%s (%s:%d): %s; why: %s", tc.Name, tc.File, f.Line, f, f.Why)
				}
			}
			if failed > 0 {
				return
			}
			if got := rep.Coverage.Percent(); got != 100 {
				t.Errorf("coverage %.1f%%; not covered: %v", got, rep.Coverage.Missed())
			}
		})
	}
}

func TestPolicyTestFailuresAndCoverage(t *testing.T) {
	dir := t.TempDir()
	writeFile := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeFile("p.hcl", `
policy "p" {
  version  = "1"
  currency = "EUR"
}
metric "aht" { better = "lower" }
target "aht" {
  metric    = "aht"
  goal      = 300
  threshold = 400
}
incentive "i" {
  gate "fast" { when = "aht < 350" }
  amount = 100
}
`)
	writeFile("p.test.hcl", `
test "fast agent" {
  values = { aht = 280 }
  expect {
    target "aht" {
      status     = "met"
      attainment = 1.0714285714
    }
    incentive "i" { amount = "100.00" }
  }
}

test "wrong expectation" {
  values = { aht = 380 }
  expect {
    target "aht" { status = "met" }
    incentive "i" {
      status = "earned"
      amount = "100.00"
    }
  }
}

test "bad input" {
  values = { aht = "slow" }
}

test "unknown rule" {
  values = { aht = 1 }
  expect {
    target "ahtt" { status = "met" }
  }
}
`)
	rep, err := Run(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	passed, failed := rep.Counts()
	if passed != 1 || failed != 3 {
		t.Fatalf("passed %d failed %d", passed, failed)
	}
	wrong := rep.Tests[1].Failures
	if len(wrong) != 3 || wrong[0].String() != `target aht status: expected "met", got "missed"` || !strings.Contains(wrong[0].Why, "missed the goal 300 by 80") ||
		wrong[1].String() != `incentive i status: expected "earned", got "ineligible"` || wrong[2].Line != 19 {
		t.Errorf("failures: %+v", wrong)
	}
	if f := rep.Tests[2].Failures; len(f) != 1 || !strings.Contains(f[0].Got, `metric aht must be a JSON number, not the string "slow"`) && !strings.Contains(f[0].Got, "not the string") {
		t.Errorf("bad input: %+v", f)
	}
	if !rep.Diags.HasErrors() || !strings.Contains(rep.Diags[0].Summary, `no target named "ahtt" in policy p; did you mean "aht"?`) {
		t.Errorf("diags: %v", rep.Diags)
	}
	// Coverage: met, missed, no_data, breached for the target; the gate
	// failing; earned, not_earned, no_data, ineligible for the incentive.
	missed := strings.Join(rep.Coverage.Missed(), "\n")
	for _, want := range []string{"target aht: status breached", "target aht: status no_data", "incentive i: status not_earned", "incentive i: status no_data"} {
		if !strings.Contains(missed, want) {
			t.Errorf("coverage should miss %q; missed:\n%s", want, missed)
		}
	}
	for _, hit := range []string{"target aht: status met", "target aht: status missed", "incentive i: gate fast fails", "incentive i: status ineligible", "incentive i: status earned"} {
		if !rep.Coverage.Hit(hit) {
			t.Errorf("coverage should have %q", hit)
		}
	}
	// --run selects tests by name.
	rep, _ = Run(dir, Options{Run: regexp.MustCompile("^fast")})
	if len(rep.Tests) != 1 || rep.Tests[0].Name != "fast agent" {
		t.Errorf("--run: %v", rep.Tests)
	}
}

// TestExpectedNumberOutOfRange: an expected number a float cannot hold is
// an error in the test file, never compared as 0.
func TestExpectedNumberOutOfRange(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "p.hcl"), []byte("policy \"p\" {\n  version = \"1\"\n}\nmetric \"aht\" { better = \"lower\" }\ntarget \"aht\" {\n  metric = \"aht\"\n  goal   = 300\n}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "p.test.hcl"), []byte("test \"t\" {\n  values = { aht = 0 }\n  expect {\n    target \"aht\" { attainment = 1e400 }\n  }\n}\n"), 0o644)
	rep, err := Run(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Diags.HasErrors() || !strings.Contains(rep.Diags[0].Summary, "attainment is not a number a float can hold") || rep.Diags[0].Subject.Start.Line != 4 {
		t.Errorf("diags: %v", rep.Diags)
	}
}

// TestRowsAreCountedByTheRollup: a test's rows are counted by the
// policy's rollup, in both languages, into the values a target reads; a
// bad row, a row of another period, an unknown column and a measure also
// given in values fail the test's input at their line.
func TestRowsAreCountedByTheRollup(t *testing.T) {
	for _, lang := range []string{"cel", "expr"} {
		dir := t.TempDir()
		write := func(name, s string) {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write("p.hcl", `
policy "p" {
  version  = "1"
  currency = "EUR"
  language = "`+lang+`"
}
rollup "calls" {
  subject   = "agent"
  time      = "at"
  time_zone = "Asia/Tokyo"
  column "talk" { type = "duration" }
  measure "calls" { count = true }
  measure "talk_seconds" { sum = "talk" }
}
metric "aht" {
  better = "lower"
  expr   = "ratio(talk_seconds, calls)"
}
target "aht" {
  metric = "aht"
  goal   = 300
}
`)
		write("p.test.hcl", `
test "counted" {
  period = "2026-11"
  rows = [
    { at = "2026-10-31T15:30:00Z", talk = "0:04:00" },
    { at = "2026-11-02 10:00", talk = 300 },
    { at = "2026-11-03 10:00" },
  ]
  expect {
    target "aht" { value = 180 }
  }
}
test "bad duration" {
  period = "2026-11"
  rows = [{ at = "2026-11-02 10:00", talk = "4 minutes" }]
}
test "another period" {
  period = "2026-11"
  rows = [
    { at = "2026-11-02 10:00" },
    { at = "2026-10-31T14:30:00Z" },
  ]
}
test "unknown column" {
  period = "2026-11"
  rows = [{ at = "2026-11-02 10:00", tlak = 5 }]
}
test "given twice" {
  period = "2026-11"
  values = { calls = 3 }
  rows   = [{ at = "2026-11-02 10:00" }]
}
`)
		rep, err := Run(dir, Options{})
		if err != nil || rep.Diags.HasErrors() {
			t.Fatal(err, rep.Diags)
		}
		want := map[string]string{
			"counted":        "",
			"bad duration":   `15: test input: rows: column talk: "4 minutes" is not a duration`,
			"another period": "21: test input: rows: this row is of test in 2026-10; the test is of test in 2026-11",
			"unknown column": `26: test input: rows: key "tlak" is ignored (no column of rollup calls reads it)`,
			"given twice":    "30: test input: values: calls is counted from the rows; leave it out of values",
		}
		for _, tc := range rep.Tests {
			got := ""
			for _, f := range tc.Failures {
				got += fmt.Sprintf("%d: %s", f.Line, f)
			}
			if w := want[tc.Name]; w == "" && got != "" || !strings.HasPrefix(got, w) {
				t.Errorf("%s, %s: %q, want %q", lang, tc.Name, got, w)
			}
		}
	}
}
