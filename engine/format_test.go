package engine

import (
	"os"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
)

// TestFormatRepository: every HCL file of the repository is formatted, and
// formatting is idempotent.
func TestFormatRepository(t *testing.T) {
	files, err := FormatFiles([]string{".."}) // every HCL file of the repository
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("only %d files", len(files))
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out, diags := dsl.Format(f, src)
		if diags.HasErrors() {
			t.Errorf("%s: %v", f, diags)
			continue
		}
		if string(out) != string(src) {
			t.Errorf("%s is not formatted:\n%s", f, UnifiedDiff(f, src, out))
		}
		again, _ := dsl.Format(f, out)
		if string(again) != string(out) {
			t.Errorf("%s: formatting is not idempotent", f)
		}
	}
}

func TestFormatAndDiff(t *testing.T) {
	src := "# a comment stays\nmetric \"aht\" {\nbetter=\"lower\"\n  min = 0 # and this one\n    max     =   7200\n}\n\n\n"
	out, diags := dsl.Format("x.hcl", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := "# a comment stays\nmetric \"aht\" {\n  better = \"lower\"\n  min    = 0 # and this one\n  max    = 7200\n}\n"
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	d := UnifiedDiff("x.hcl", []byte(src), out)
	for _, line := range []string{"--- x.hcl", "@@ -1,", "-better=\"lower\"", "+  better = \"lower\""} {
		if !strings.Contains(d, line) {
			t.Errorf("diff lacks %q:\n%s", line, d)
		}
	}
	if UnifiedDiff("x", out, out) != "" {
		t.Error("diff of equal files")
	}
	if _, diags := dsl.Format("bad.hcl", []byte("metric \"a\" {\n")); !diags.HasErrors() {
		t.Error("a broken file formatted without error")
	}
}
