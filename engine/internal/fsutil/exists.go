package fsutil

import (
	"errors"
	"os"
	"syscall"
)

// checkAndRename renames src to dst unless dst exists: not atomic, for
// systems that cannot refuse an existing destination themselves.
func checkAndRename(src, dst string) error {
	if _, err := os.Lstat(dst); err == nil {
		return os.ErrExist
	}
	return os.Rename(src, dst)
}

// existsErr reports whether err says the destination exists (EEXIST, or
// ENOTEMPTY for a directory; ERROR_ALREADY_EXISTS on Windows).
func existsErr(err error) bool {
	return errors.Is(err, os.ErrExist) || errors.Is(err, errNotEmpty)
}

// errNotEmpty is ENOTEMPTY where the system has it.
var errNotEmpty error = syscall.Errno(enotempty)
