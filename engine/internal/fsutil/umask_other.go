//go:build !unix

package fsutil

import "os"

// processUmask is 0 where the system has no umask (Windows: a file's
// permission bits other than read-only are not kept).
func processUmask() os.FileMode { return 0 }
