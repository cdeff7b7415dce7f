package engine

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
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

// TestEvalToFileIsWhatIsPrinted: a file output of several MiB, written
// straight to the disk past its first MiB (fsutil.DirectWriter where the
// file system allows it), holds what the same evaluation prints.
func TestEvalToFileIsWhatIsPrinted(t *testing.T) {
	p := mustLoad(t, "../policies/voice-agents")
	b, err := os.ReadFile("../fixtures/voice-agents/snapshots.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var in strings.Builder
	in.WriteString(lines[0] + "\n")
	for k := range 12 { // distinct subjects: A-1001 becomes c3-A-1001
		for _, l := range lines[1:] {
			fmt.Fprintf(&in, "c%d-%s\n", k, l)
		}
	}
	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(input, []byte(in.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{OutNDJSON, OutCSV} {
		var printed bytes.Buffer
		if res, err := p.Eval(Input{Name: input}, Output{W: &printed}, EvalOptions{Format: format}); err != nil || res.Failed() {
			t.Fatal(err, res.Errors)
		}
		path := filepath.Join(dir, "out."+format)
		if _, err := p.Eval(Input{Name: input}, Output{Path: path}, EvalOptions{Format: format}); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if format == OutNDJSON && len(got) < 3<<20 {
			t.Fatalf("%s output is %d bytes: too small to reach past the first MiB's direct writes", format, len(got))
		}
		if !bytes.Equal(got, printed.Bytes()) {
			t.Errorf("%s: the file (%d bytes) is not what is printed (%d bytes)", format, len(got), printed.Len())
		}
	}
}
