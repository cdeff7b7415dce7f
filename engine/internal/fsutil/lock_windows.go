package fsutil

import (
	"os"

	"golang.org/x/sys/windows"
)

// enotempty is ERROR_DIR_NOT_EMPTY.
const enotempty = windows.ERROR_DIR_NOT_EMPTY

func lockFile(f *os.File) error {
	ol := new(windows.Overlapped)
	return windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
}

func unlockFile(f *os.File) {
	ol := new(windows.Overlapped)
	windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, ol)
}
