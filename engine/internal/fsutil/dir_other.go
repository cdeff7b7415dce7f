//go:build !linux && !darwin && !windows

package fsutil

// renameNoReplace renames src to dst unless dst exists, by a check and a
// rename (no system call here does both at once).
func renameNoReplace(src, dst string) error { return checkAndRename(src, dst) }
