package payroll

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/testkit"
)

// TestForceOnlyReplacesExports: --force replaces an export, never a
// directory with anything else in it; a read-only old export is replaced
// cleanly.
func TestForceOnlyReplacesExports(t *testing.T) {
	p := correctionTestPolicy(t, correctionPolicy)
	in := testkit.WriteFile(t, "a.csv", "subject,period,sales,pay\nA,2026-10,1,1000\n")
	root := t.TempDir()
	precious := filepath.Join(root, "exports")
	os.MkdirAll(filepath.Join(precious, "2026-09"), 0o755)
	os.WriteFile(filepath.Join(precious, "notes.txt"), []byte("keep me"), 0o644)
	_, err := Run(p, engine.Input{Name: in}, Options{Dir: precious, Force: true})
	if err == nil || !strings.Contains(err.Error(), "not a rubric export") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(precious, "notes.txt")); err != nil {
		t.Fatalf("a directory that is not an export was touched: %v", err)
	}
	// A read-only export, replaced with --force.
	dir := filepath.Join(root, "ro")
	export(t, p, in, dir, Options{})
	os.Chmod(dir, 0o555)
	in2 := testkit.WriteFile(t, "b.csv", "subject,period,sales,pay\nA,2026-10,2,1000\n")
	res, err := Run(p, engine.Input{Name: in2}, Options{Dir: dir, Force: true})
	if err != nil {
		t.Fatalf("--force over a read-only export: %v", err)
	}
	if m := readManifest(t, dir); m.RunID != res.Manifest.RunID {
		t.Errorf("the new export is not in place")
	}
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".old") || strings.Contains(e.Name(), ".tmp") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}
