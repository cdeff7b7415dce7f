package fsutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFile replaces the file at path with b through a temporary file in
// the same directory, synced and renamed into place: a reader sees the old
// content or the new, never a part, and a failed write (a full disk)
// leaves the old file as it was. An existing file keeps its mode; a new
// one gets FileMode. A symlink is written through (its target replaced,
// the link kept); anything else that is not a regular file is refused.
func WriteFile(path string, b []byte) error {
	if li, err := os.Lstat(path); err == nil && li.Mode()&os.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(path)
		if err != nil {
			return err
		}
		path = target
	}
	mode := FileMode()
	if fi, err := os.Stat(path); err == nil {
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file; refusing to replace it", path)
		}
		mode = fi.Mode().Perm()
	}
	tmp, err := CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := rename(tmp, path, mode); err != nil {
		tmp.Close()
		return err
	}
	return tmp.Close()
}

// ReplaceDir moves the finished directory tmp to dir, replacing dir if it
// exists: the old directory is moved aside first and restored if the move
// fails, so dir always holds one whole version. The final rename never
// replaces a directory that appeared meanwhile (where the system can say
// so: renameat2 on Linux, renamex_np on macOS, MoveFileEx on Windows).
func ReplaceDir(tmp, dir string) error {
	if err := renameNoReplace(tmp, dir); err == nil {
		return nil
	} else if !existsErr(err) {
		return err
	}
	old := tmp + ".old"
	track(old)
	defer Forget(old)
	if err := os.Rename(dir, old); err != nil {
		return fmt.Errorf("moving the old %s aside: %w", dir, err)
	}
	if err := renameNoReplace(tmp, dir); err != nil {
		os.Rename(old, dir)
		return err
	}
	if err := os.RemoveAll(old); err != nil {
		// A read-only old directory: make it writable, then remove it.
		filepath.WalkDir(old, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o700)
			}
			return nil
		})
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("the new %s is in place, but the old one could not be removed from %s: %w", dir, old, err)
		}
	}
	return nil
}

// ErrLocked is returned by Lock when another process holds the lock.
var ErrLocked = errors.New("locked by another process")

// Lock takes an exclusive, non-blocking lock on the file at path (created
// if needed, and removed by unlock or by RemoveAll on interruption). Two
// processes cannot hold it at once: the second gets ErrLocked.
func Lock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, ErrLocked
	}
	track(path)
	return func() {
		Remove(path)
		unlockFile(f)
		f.Close()
	}, nil
}
