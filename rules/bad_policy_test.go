package rules_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// expected is an error written next to the defect it is about:
//
//	goal = 0 # ERROR bounds-order "cannot be scored as a ratio"
type expected struct {
	line int
	code string
	rx   *regexp.Regexp
}

var errorComment = regexp.MustCompile(`#\s*ERROR\s+(\S+)\s+"(.*)"\s*$`)

func expectations(t *testing.T, src []byte) []expected {
	t.Helper()
	var out []expected
	for i, line := range strings.Split(string(src), "\n") {
		m := errorComment.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		rx, err := regexp.Compile(m[2])
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		out = append(out, expected{line: i + 1, code: m[1], rx: rx})
	}
	return out
}

func resolve(srcs []dsl.Source) (*rules.Policy, hcl.Diagnostics) {
	ast, diags := dsl.Parse(srcs)
	p, d2 := rules.Resolve(ast, evaluator.NewCEL(), evaluator.NewExpr())
	return p, append(diags, d2...)
}

// TestBadPolicies checks that every defect in testdata/bad is reported on
// its line with its code, and that nothing else is reported.
func TestBadPolicies(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.hcl")
	if len(files) == 0 {
		t.Fatal("no bad policies")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want := expectations(t, src)
			if len(want) == 0 {
				t.Fatal("no ERROR comments")
			}
			_, diags := resolve([]dsl.Source{{Name: file, Bytes: src}})
			used := make([]bool, len(diags))
			for _, w := range want {
				found := false
				for i, d := range diags {
					if used[i] || d.Subject == nil || d.Subject.Start.Line != w.line {
						continue
					}
					if string(dsl.DiagnosticCode(d)) == w.code && w.rx.MatchString(d.Summary) {
						used[i], found = true, true
						break
					}
				}
				if !found {
					var got []string
					for _, d := range diags {
						if d.Subject != nil && d.Subject.Start.Line == w.line {
							got = append(got, string(dsl.DiagnosticCode(d))+": "+d.Summary)
						}
					}
					t.Errorf("line %d: want %s %q; got %q", w.line, w.code, w.rx, got)
				}
			}
			for i, d := range diags {
				if !used[i] {
					t.Errorf("unexpected %s", diagString(d))
				}
			}
		})
	}
}

func diagString(d *hcl.Diagnostic) string {
	if d.Subject == nil {
		return string(dsl.DiagnosticCode(d)) + ": " + d.Summary
	}
	return d.Subject.String() + ": " + string(dsl.DiagnosticCode(d)) + ": " + d.Summary
}
