package engine

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"

	"github.com/rubric-dev/rubric/engine/internal/fsutil"
)

// FormatFiles lists the HCL files (policies and tests; not JSON) at the
// given paths: files as named, directories walked.
func FormatFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(d.Name(), ".hcl") {
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

// WriteFileAtomic replaces a file's contents through a temporary file in
// the same directory, keeping its mode (fsutil.WriteFile).
func WriteFileAtomic(path string, b []byte) error { return fsutil.WriteFile(path, b) }

// UnifiedDiff returns a unified diff (3 lines of context) from a to b, or
// "" when they are equal: what rubric fmt --diff prints.
func UnifiedDiff(name string, a, b []byte) string {
	return udiff.Unified(name, name+" (formatted)", string(a), string(b))
}
