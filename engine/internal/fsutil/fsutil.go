// Package fsutil writes files and directories without destroying what it
// should not: temporary files are tracked so that an interrupted run leaves
// none behind, and a finished file is put in place atomically when the
// destination is a regular file, written through when it is a symlink or a
// device, and never over a directory.
package fsutil

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

var (
	mu      sync.Mutex
	temp    = map[string]bool{} // temporary files and directories of this process
	closing bool                // RemoveAll ran: the process is exiting
)

// errClosing is a temporary file asked for after RemoveAll.
var errClosing = fmt.Errorf("the run is being interrupted")

// CreateTemp is os.CreateTemp, tracked until Forget. The file is created
// and tracked under the lock RemoveAll takes, so that none created while
// the process is being interrupted escapes it.
func CreateTemp(dir, pattern string) (*os.File, error) {
	mu.Lock()
	defer mu.Unlock()
	if closing {
		return nil, errClosing
	}
	f, err := os.CreateTemp(dir, pattern)
	if err == nil {
		temp[f.Name()] = true
	}
	return f, err
}

// MkdirTemp is os.MkdirTemp, tracked until Forget, as CreateTemp.
func MkdirTemp(dir, pattern string) (string, error) {
	mu.Lock()
	defer mu.Unlock()
	if closing {
		return "", errClosing
	}
	d, err := os.MkdirTemp(dir, pattern)
	if err == nil {
		temp[d] = true
	}
	return d, err
}

// OpenFile is os.OpenFile for a file inside a temporary directory of
// this process, under the lock RemoveAll takes: a file made while the
// process is being interrupted would be made after RemoveAll emptied the
// directory, and the directory and the file would be left behind. After
// RemoveAll it fails.
func OpenFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	mu.Lock()
	defer mu.Unlock()
	if closing {
		return nil, errClosing
	}
	return os.OpenFile(path, flag, perm)
}

func track(path string) {
	mu.Lock()
	temp[path] = true
	mu.Unlock()
}

// Forget stops tracking path: it was put in place or removed.
func Forget(path string) {
	mu.Lock()
	delete(temp, path)
	mu.Unlock()
}

// Remove removes a tracked temporary file or directory and forgets it.
func Remove(path string) {
	os.RemoveAll(path)
	Forget(path)
}

// RemoveAll removes every temporary file and directory still tracked: what
// a signal handler calls before the process exits. Temporary files cannot
// be made afterwards (CreateTemp and MkdirTemp fail).
func RemoveAll() {
	mu.Lock()
	defer mu.Unlock()
	closing = true
	for p := range temp {
		os.RemoveAll(p)
		delete(temp, p)
	}
}

var umask = sync.OnceValue(processUmask)

// FileMode is the mode a new file gets: 0666 less the umask.
func FileMode() os.FileMode { return 0o666 &^ umask() }

// DirMode is the mode a new directory gets: 0777 less the umask.
func DirMode() os.FileMode { return 0o777 &^ umask() }

// Place puts the finished temporary file tmp at dest:
//   - dest missing: renamed into place, with the umask's mode;
//   - dest a regular file: replaced atomically, keeping its mode;
//   - dest a symlink: written through to its target (which must not be a
//     directory), the link kept;
//   - dest a device, FIFO or socket (/dev/null, /dev/stdout): written
//     through;
//   - dest a directory: refused.
//
// tmp is removed in every case.
func Place(tmp *os.File, dest string) error {
	defer Remove(tmp.Name())
	li, err := os.Lstat(dest)
	switch {
	case os.IsNotExist(err):
		return rename(tmp, dest, FileMode())
	case err != nil:
		return err
	case li.Mode().IsRegular():
		return rename(tmp, dest, li.Mode().Perm())
	case li.IsDir():
		return fmt.Errorf("%s is a directory", dest)
	}
	fi, err := os.Stat(dest) // through a symlink
	if err != nil {
		return fmt.Errorf("%s: %w", dest, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a symlink to a directory", dest)
	}
	flags := os.O_WRONLY
	if fi.Mode().IsRegular() {
		flags |= os.O_TRUNC
	}
	return copyTo(dest, flags, 0, tmp)
}

// copyTo writes tmp's content, from its start, into the file at dest.
func copyTo(dest string, flags int, mode os.FileMode, tmp *os.File) error {
	out, err := os.OpenFile(dest, flags, mode)
	if err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		out.Close()
		return err
	}
	if _, err := io.Copy(out, tmp); err != nil {
		out.Close()
		return fmt.Errorf("writing %s: %w", dest, err)
	}
	return out.Close()
}

func rename(tmp *os.File, dest string, mode os.FileMode) error {
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		if filepath.Dir(tmp.Name()) == filepath.Dir(dest) {
			return err
		}
		// Another file system: copy.
		return copyTo(dest, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode, tmp)
	}
	return nil
}

// TempFor creates the temporary file a write to dest starts with: beside
// dest when dest is (or will be) a regular file, so the final rename is
// atomic; in the system's temporary directory when dest is a symlink or a
// device, which are written through.
func TempFor(dest string) (*os.File, error) {
	dir := filepath.Dir(dest)
	if li, err := os.Lstat(dest); err == nil && !li.Mode().IsRegular() {
		dir = os.TempDir()
	}
	return CreateTemp(dir, "."+filepath.Base(dest)+".tmp-*")
}
