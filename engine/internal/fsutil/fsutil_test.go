package fsutil

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRemoveAllThenNoTemporaries: RemoveAll removes what is tracked, and a
// temporary file or directory asked for afterwards, or a file inside one
// (a run still going while the process exits on a signal), is refused
// rather than left behind.
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
	in, err := OpenFile(filepath.Join(d, "part"), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	in.Close()
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
	// A file inside a temporary directory made after RemoveAll emptied it
	// would keep the directory there: it is refused.
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFile(filepath.Join(d, "late"), os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
		t.Error("OpenFile after RemoveAll succeeded")
	}
	os.Remove(d)
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}
