package payroll

import (
	"encoding/json"
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

// TestDataPackageDescribesTheExport: datapackage.json lists each CSV's
// columns in the header's order with ids as strings and amounts as
// numbers, is in the manifest, and --verify catches an edit of it.
func TestDataPackageDescribesTheExport(t *testing.T) {
	p := correctionTestPolicy(t, correctionPolicy)
	in := testkit.WriteFile(t, "a.csv", "subject,period,sales,pay\n000123,2026-10,1,1000\n")
	dir := filepath.Join(t.TempDir(), "x")
	res := export(t, p, in, dir, Options{})
	if res.Manifest.DataPackage == nil || res.Manifest.DataPackage.Name != dataPackageFile {
		t.Fatalf("manifest: %+v", res.Manifest.DataPackage)
	}
	b, err := os.ReadFile(filepath.Join(dir, dataPackageFile))
	if err != nil {
		t.Fatal(err)
	}
	var pkg dataPackage
	if err := json.Unmarshal(b, &pkg); err != nil {
		t.Fatal(err)
	}
	for _, r := range pkg.Resources {
		csvb, err := os.ReadFile(filepath.Join(dir, r.Path))
		if err != nil {
			t.Fatal(err)
		}
		header, _, _ := strings.Cut(string(csvb), "\n")
		var names []string
		types := map[string]string{}
		for _, f := range r.Schema.Fields {
			names = append(names, f.Name)
			types[f.Name] = f.Type
		}
		if strings.Join(names, ",") != header {
			t.Errorf("%s: schema %v, header %s", r.Path, names, header)
		}
		if types["subject"] != "string" || (types["amount"] != "" && types["amount"] != "number") {
			t.Errorf("%s: subject %s, amount %s", r.Path, types["subject"], types["amount"])
		}
	}
	os.WriteFile(filepath.Join(dir, dataPackageFile), []byte(strings.Replace(string(b), `"type": "string"`, `"type": "integer"`, 1)), 0o644)
	if probs, err := Verify(dir); err != nil || len(probs) == 0 || !strings.Contains(strings.Join(probs, "\n"), dataPackageFile) {
		t.Errorf("an edited datapackage.json: %v %v", probs, err)
	}
}
