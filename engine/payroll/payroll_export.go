package payroll

// Putting an export in place: checking what is there, locking, renaming
// without replacing, writing files durably.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/rubric-dev/rubric/engine/internal/fsutil"
)

// checkExisting compares what is at dir with the export about to be
// written: the same export (nothing to do), nothing or an export that
// may be replaced (with force), or something else (refused).
func checkExisting(dir string, manifest []byte, runID string, force bool) (same bool, err error) {
	fi, err := os.Lstat(dir)
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.IsDir() {
		return false, &ErrExportExists{Dir: dir, NotExport: "it is not a directory"}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	if len(entries) == 0 {
		return false, nil
	}
	for _, e := range entries {
		if !slices.Contains(exportFiles, e.Name()) && e.Name() != signatureFile || !e.Type().IsRegular() {
			return false, &ErrExportExists{Dir: dir, NotExport: fmt.Sprintf("it holds %s", e.Name())}
		}
	}
	existing, err := readBounded(filepath.Join(dir, manifestFile), maxManifest)
	if err != nil {
		return false, &ErrExportExists{Dir: dir, NotExport: "its manifest.json cannot be read: " + err.Error()}
	}
	var old Manifest
	if err := json.Unmarshal(existing, &old); err != nil || old.RunID == "" {
		if force {
			return false, nil
		}
		return false, &ErrExportExists{Dir: dir}
	}
	var problem string
	switch {
	case bytes.Equal(existing, manifest):
		// The manifest this run wrote, with the hashes of the files it
		// wrote: the export there is this one if its files hash the same,
		// which is all Verify would find of it, at a fraction of the cost.
		files := []ManifestFile{old.PayrollCSV, old.Explanations, old.TotalsCSV}
		if old.ReviewCSV != nil {
			files = append(files, *old.ReviewCSV)
		}
		if old.DataPackage != nil {
			files = append(files, *old.DataPackage)
		}
		if old.ImportCSV != nil {
			files = append(files, *old.ImportCSV)
		}
		if problem = sameFiles(dir, files...); problem == "" {
			return true, nil
		}
	case force:
	case old.RunID == runID:
		probs, verr := Verify(dir)
		if verr != nil || len(probs) > 0 {
			problem = firstOr(probs, verr)
		}
	}
	if force {
		return false, nil
	}
	if old.RunID == runID && problem != "" {
		return false, &ErrRefused{Msg: fmt.Sprintf("%s holds this run's export (run %s), but it was changed after it was written (%s); refusing to overwrite it unless forced", dir, runID, problem)}
	}
	return false, &ErrExportExists{Dir: dir, Have: old.RunID, Want: runID}
}

// sameFiles reports the first of files in dir whose size or SHA-256 is
// not the one given ("" when all are), hashing the files in parallel.
func sameFiles(dir string, files ...ManifestFile) string {
	probs := make([]string, len(files))
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Go(func() {
			path := filepath.Join(dir, f.Name)
			if fi, err := os.Stat(path); err != nil || fi.Size() != f.Bytes {
				probs[i] = fmt.Sprintf("%s is not %d bytes", f.Name, f.Bytes)
			} else if sum, err := fileSHA256(path); err != nil {
				probs[i] = fmt.Sprintf("%s: %v", f.Name, err)
			} else if sum != f.SHA256 {
				probs[i] = fmt.Sprintf("%s: SHA-256 %s, the manifest says %s", f.Name, sum, f.SHA256)
			}
		})
	}
	wg.Wait()
	for _, p := range probs {
		if p != "" {
			return p
		}
	}
	return ""
}

func firstOr(probs []string, err error) string {
	if err != nil {
		return err.Error()
	}
	if len(probs) > 0 {
		return probs[0]
	}
	return "unknown"
}

// moveFile puts src at dst as fsutil.Place does.
func moveFile(src, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	return fsutil.Place(f, dst)
}

// lockExport takes an exclusive lock beside dir, so that two runs into one
// directory cannot both succeed.
func lockExport(dir string) (func(), error) {
	unlock, err := fsutil.Lock(filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".lock"))
	if errors.Is(err, fsutil.ErrLocked) {
		return nil, &ErrRefused{Msg: fmt.Sprintf("another rubric payroll is writing %s; try again when it has finished", dir)}
	}
	return unlock, err
}

func manifestBytes(m *Manifest) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func writeFileSync(path string, b []byte) error {
	f, err := fsutil.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
