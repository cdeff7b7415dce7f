package rules_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
)

// FuzzResolve parses, resolves and compiles arbitrary policy text under
// both languages. It must report diagnostics, never panic.
func FuzzResolve(f *testing.F) {
	for _, glob := range []string{"../policies/*/*.hcl", "testdata/bad/*.hcl", "../fixtures/conformance/*/*.hcl"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, _ := resolve([]dsl.Source{{Name: "f.hcl", Bytes: src}})
		if p == nil {
			t.Fatal("nil policy")
		}
	})
}
