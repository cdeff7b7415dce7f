package dsl

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the policy parser, as native HCL and
// as JSON. It must return diagnostics, never panic, and every diagnostic
// must have a range inside the file.
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"../policies/*/*.hcl", "../rules/testdata/bad/*.hcl", "../fixtures/conformance/*/*.hcl", "../policies/*/*.test.hcl"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b, false)
			}
		}
	}
	f.Add([]byte(`{"policy": {"p": {"version": "1"}}, "target": {"t": {"when": "a > ${b}"}}}`), true)
	f.Add([]byte("target \"a\" {\n  when = <<-EOT\n    x\n  EOT\n}\n"), false)
	f.Fuzz(func(t *testing.T, src []byte, json bool) {
		name := "f.hcl"
		if json {
			name = "f.hcl.json"
		}
		p, diags := Parse([]Source{{Name: name, Bytes: src}})
		if p == nil {
			t.Fatal("nil policy")
		}
		// The same bytes as a test file.
		if files, _ := ParseTests([]Source{{Name: "f.test.hcl", Bytes: src}}); len(files) != 1 {
			t.Fatal("ParseTests lost the file")
		}
		for _, d := range diags {
			if d.Subject != nil && (d.Subject.Start.Byte < 0 || d.Subject.Start.Byte > len(src)) {
				t.Fatalf("diagnostic outside the file: %v", d.Subject)
			}
		}
		for _, tg := range p.Targets {
			for _, v := range []*Value{tg.When, tg.Goal, tg.Value} {
				if v != nil && v.Kind == KindString {
					for i := 0; i <= len([]rune(v.Str)); i++ {
						if pos := v.Pos(i); pos.Byte < 0 || pos.Byte > len(src) {
							t.Fatalf("rune %d of %q maps outside the file: %v", i, v.Str, pos)
						}
					}
				}
			}
		}
	})
}
