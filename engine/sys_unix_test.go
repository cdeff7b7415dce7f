//go:build unix

package engine

import (
	"syscall"
	"testing"
)

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o644) }

// setUmask sets the process's umask for the rest of the test.
func setUmask(t *testing.T, m int) bool {
	old := syscall.Umask(m)
	t.Cleanup(func() { syscall.Umask(old) })
	return true
}
