package fsutil

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRemoveAllThenNoTemporaries: RemoveAll removes what is tracked, and a
// temporary file or directory asked for afterwards (a run still going while
// the process exits on a signal) is refused rather than left behind.
func TestRemoveAllThenNoTemporaries(t *testing.T) {
	defer func() { mu.Lock(); closing = false; mu.Unlock() }()
	dir := t.TempDir()
	f, err := CreateTemp(dir, "a-*")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	d, err := MkdirTemp(dir, "b-*")
	if err != nil {
		t.Fatal(err)
	}
	RemoveAll()
	for _, p := range []string{f.Name(), d} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there", filepath.Base(p))
		}
	}
	if _, err := CreateTemp(dir, "c-*"); err == nil {
		t.Error("CreateTemp after RemoveAll succeeded")
	}
	if _, err := MkdirTemp(dir, "d-*"); err == nil {
		t.Error("MkdirTemp after RemoveAll succeeded")
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}
