//go:build unix

package fsutil

import (
	"os"
	"syscall"
)

// processUmask reads the process's umask (setting it back at once).
func processUmask() os.FileMode {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return os.FileMode(m)
}
