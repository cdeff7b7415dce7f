package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func mkdir(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, s := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReplaceDir: a new directory is moved into place; an existing one is
// replaced whole (none of its files survive), also when it is read-only;
// nothing is left beside it.
func TestReplaceDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "out")
	mkdir(t, filepath.Join(root, "t1"), map[string]string{"a": "1"})
	if err := ReplaceDir(filepath.Join(root, "t1"), dir); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, "a")); got != "1" {
		t.Fatalf("a = %q", got)
	}
	mkdir(t, filepath.Join(root, "t2"), map[string]string{"b": "2"})
	if runtime.GOOS != "windows" { // a read-only directory is removed all the same
		os.Chmod(dir, 0o500)
	}
	if err := ReplaceDir(filepath.Join(root, "t2"), dir); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, "b")); got != "2" {
		t.Fatalf("b = %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); !os.IsNotExist(err) {
		t.Errorf("the old directory's file survived: %v", err)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Errorf("left beside it: %v", entries)
	}
}

// TestRenameNoReplace never replaces what exists, and says so as an
// "exists" error.
func TestRenameNoReplace(t *testing.T) {
	root := t.TempDir()
	mkdir(t, filepath.Join(root, "src"), map[string]string{"a": "new"})
	mkdir(t, filepath.Join(root, "dst"), map[string]string{"a": "old"})
	err := renameNoReplace(filepath.Join(root, "src"), filepath.Join(root, "dst"))
	if err == nil || !existsErr(err) {
		t.Fatalf("err = %v, want an exists error", err)
	}
	if got := read(t, filepath.Join(root, "dst", "a")); got != "old" {
		t.Errorf("dst replaced: %q", got)
	}
}

// TestLock: a second lock on the same file fails with ErrLocked until the
// first is released, and unlock removes the lock file.
func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".x.lock")
	unlock, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	unlock()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("lock file left: %v", err)
	}
	unlock2, err := Lock(path)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	unlock2()
}

// TestWriteFile replaces a file whole, keeping its mode, writes through a
// symlink, and refuses a directory.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.hcl")
	if err := WriteFile(p, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		os.Chmod(p, 0o600)
	}
	if err := WriteFile(p, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, p); got != "two" {
		t.Fatalf("got %q", got)
	}
	if fi, _ := os.Stat(p); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 kept", fi.Mode().Perm())
	}
	if err := WriteFile(dir, []byte("x")); err == nil {
		t.Error("a directory was replaced")
	}
	if runtime.GOOS != "windows" {
		link := filepath.Join(dir, "link.hcl")
		os.Symlink(p, link)
		if err := WriteFile(link, []byte("three")); err != nil {
			t.Fatal(err)
		}
		if li, _ := os.Lstat(link); li.Mode()&os.ModeSymlink == 0 {
			t.Error("the link was replaced by a file")
		}
		if got := read(t, p); got != "three" {
			t.Errorf("target = %q", got)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) > 2 {
		t.Errorf("left behind: %v", entries)
	}
}
