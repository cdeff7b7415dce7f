package fsutil

import "golang.org/x/sys/windows"

// renameNoReplace renames src to dst unless dst exists (MoveFileEx
// without MOVEFILE_REPLACE_EXISTING fails when dst exists).
func renameNoReplace(src, dst string) error {
	from, err := windows.UTF16PtrFromString(src)
	if err != nil {
		return err
	}
	to, err := windows.UTF16PtrFromString(dst)
	if err != nil {
		return err
	}
	return windows.MoveFileEx(from, to, 0)
}
