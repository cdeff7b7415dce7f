package fsutil

import (
	"errors"

	"golang.org/x/sys/unix"
)

// renameNoReplace renames src to dst unless dst exists
// (renamex_np(RENAME_EXCL), or a check and a rename on file systems
// without it).
func renameNoReplace(src, dst string) error {
	err := unix.RenamexNp(src, dst, unix.RENAME_EXCL)
	if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EINVAL) {
		return checkAndRename(src, dst)
	}
	return err
}
