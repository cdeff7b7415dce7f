package payroll

// The ledger: a directory of every export paid for a policy (SPEC §12).

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rubric-dev/rubric/rules"
)

// ledgerLock is the lock file two runs on one ledger take.
const ledgerLock = ".rubric-ledger.lock"

// ledgerExports lists the exports in the ledger dir that are of policy rp
// (its name and currency), in name order. Anything in dir but exports and
// rubric's own hidden lock and temporary entries is an error: a ledger is
// what was paid, nothing else.
func ledgerExports(dir string, rp *rules.Policy) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") && (strings.HasSuffix(name, ".lock") || strings.Contains(name, ".tmp-")) {
			continue // a run's lock or temporary directory
		}
		path := filepath.Join(dir, name)
		if !e.IsDir() {
			return nil, &ErrRefused{Msg: fmt.Sprintf("the ledger %s holds %s, which is not an export; a ledger holds exports only", dir, name)}
		}
		b, err := os.ReadFile(filepath.Join(path, manifestFile))
		if err != nil {
			return nil, &ErrRefused{Msg: fmt.Sprintf("the ledger %s holds %s, which is not an export (no %s); a ledger holds exports only", dir, name, manifestFile)}
		}
		var m Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, &ErrRefused{Msg: fmt.Sprintf("ledger export %s: %s: %v", path, manifestFile, err)}
		}
		if m.Policy.Name == rp.Name && m.Currency == rp.Currency {
			out = append(out, path)
		}
	}
	slices.Sort(out)
	return out, nil
}

// refusePaid refuses to write over dir when it holds one of the exports
// this run corrects: --force never replaces what was paid.
func refusePaid(dir string, against []ManifestAgainst) error {
	b, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(b)
	for _, a := range against {
		if a.ManifestSHA256 == hex.EncodeToString(sum[:]) {
			return &ErrRefused{Msg: fmt.Sprintf("%s holds an export this run corrects (run %s): a paid export is never replaced, even with --force; write the correction elsewhere", dir, a.RunID)}
		}
	}
	return nil
}

// defaultName names an export in a ledger after the periods paid: the
// selection as given (2026-10, 2026-07..2026-09), or the periods of its
// rows.
func (r *payrollRun) defaultName(selected []string) string {
	if len(selected) > 0 {
		return strings.Join(selected, "+")
	}
	labels := make([]string, 0, len(r.periods))
	for l := range r.periods {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	switch len(labels) {
	case 0:
		return "export"
	case 1:
		return labels[0]
	}
	return labels[0] + ".." + labels[len(labels)-1]
}

// uniqueName is dir/name, or dir/name.2, .3, … for the next export of the
// same periods: a correction beside its original.
func uniqueName(dir, name string) string {
	path := filepath.Join(dir, name)
	for n := 2; ; n++ {
		if _, err := os.Lstat(path); os.IsNotExist(err) {
			return path
		}
		path = filepath.Join(dir, fmt.Sprintf("%s.%d", name, n))
	}
}
