package calibrate_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine/calibrate"
)

// TestWriteDirPlacesWholeFiles: --apply writes into an empty directory,
// over its own earlier copy and over the policy's own directory (tests and
// other files kept), and refuses, writing nothing, a directory holding
// another policy or a policy file that is not one of this policy's.
func TestWriteDirPlacesWholeFiles(t *testing.T) {
	voice, err := dsl.ReadSources("../../policies/voice-agents")
	if err != nil {
		t.Fatal(err)
	}
	help, err := dsl.ReadSources("../../policies/it-helpdesk")
	if err != nil {
		t.Fatal(err)
	}
	changed := make([]dsl.Source, len(voice))
	for i, s := range voice {
		changed[i] = dsl.Source{Name: s.Name, Bytes: append(bytes.Clone(s.Bytes), []byte("# changed\n")...)}
	}

	fresh := filepath.Join(t.TempDir(), "new", "copy")
	if err := calibrate.WriteDir(fresh, voice); err != nil {
		t.Fatal(err)
	}
	if err := calibrate.WriteDir(fresh, changed); err != nil {
		t.Fatalf("over its own copy: %v", err)
	}
	for _, s := range changed {
		b, _ := os.ReadFile(filepath.Join(fresh, filepath.Base(s.Name)))
		if !bytes.Equal(b, s.Bytes) {
			t.Errorf("%s not replaced", s.Name)
		}
	}
	own := t.TempDir()
	os.WriteFile(filepath.Join(own, "bonus.test.hcl"), []byte("keep"), 0o644)
	calibrate.WriteDir(own, voice)
	if err := calibrate.WriteDir(own, changed); err != nil {
		t.Fatalf("over the policy's own directory: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(own, "bonus.test.hcl")); string(b) != "keep" {
		t.Errorf("the test file was touched: %q", b)
	}
	entries, _ := os.ReadDir(own)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}

	other := t.TempDir()
	if err := calibrate.WriteDir(other, help); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(other, "policy.hcl"))
	err = calibrate.WriteDir(other, voice)
	if err == nil || !strings.Contains(err.Error(), "another policy's files (it_helpdesk, not contact_center)") {
		t.Fatalf("over another policy: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(other, "policy.hcl")); !bytes.Equal(before, after) {
		t.Error("another policy's file was overwritten")
	}

	stray := t.TempDir()
	os.WriteFile(filepath.Join(stray, "extra.hcl"), []byte("metric \"x\" {}\n"), 0o644)
	if err := calibrate.WriteDir(stray, voice); err == nil || !strings.Contains(err.Error(), "extra.hcl, which is not one of the policy's files") {
		t.Fatalf("beside a stray policy file: %v", err)
	}
	if entries, _ := os.ReadDir(stray); len(entries) != 1 {
		t.Errorf("wrote %d files beside the stray one", len(entries)-1)
	}
}
