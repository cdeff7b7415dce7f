package rules

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
)

// TestCodesDocumented: every diagnostic code declared in dsl, rules and the
// policy tests (found in their source, so a new code cannot be forgotten)
// has a description and help for code-scanning tools (SARIF's rules).
func TestCodesDocumented(t *testing.T) {
	decl := regexp.MustCompile(`Code\s*=\s*"([^"]+)"`)
	n := 0
	for _, dir := range []string{".", "../dsl", "../engine/policytest"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range decl.FindAllSubmatch(b, -1) {
				n++
				if doc, ok := dsl.Code(m[1]).Doc(); !ok || doc.Short == "" || doc.Full == "" {
					t.Errorf("code %s (%s) is not documented in dsl/codes.go", m[1], f)
				}
			}
		}
	}
	if n < 20 {
		t.Errorf("found %d codes; the search is broken", n)
	}
}
