//go:build unix

package fsutil

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

const enotempty = syscall.ENOTEMPTY

func lockFile(f *os.File) error {
	return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
}

func unlockFile(f *os.File) { unix.Flock(int(f.Fd()), unix.LOCK_UN) }
