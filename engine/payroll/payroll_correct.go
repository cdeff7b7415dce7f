package payroll

// Corrections: what earlier exports paid, line by line.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"sync/atomic"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/evaluator/money"
	"github.com/rubric-dev/rubric/rules"
)

// prevLine is what earlier exports paid on one line.
type prevLine struct {
	paid           apd.Decimal
	status, amount string // of the latest row
	why            string
	seen           atomic.Bool // computed again in this run
}

// loadAgainst verifies the earlier exports of a correction and sums what
// they paid per original line_id.
func loadAgainst(dirs []string, rp *rules.Policy) (map[string]*prevLine, []ManifestAgainst, error) {
	if len(dirs) == 0 {
		return nil, nil, nil
	}
	lines := map[string]*prevLine{}
	var against []ManifestAgainst
	seenRun := map[string]string{}
	type made struct {
		dir     string
		against []ManifestAgainst
	}
	var chains []made
	for _, dir := range dirs {
		var rowErr string
		probs, m, mb, err := verifyExport(dir, func(row exportRow) {
			rec := row.rec
			if rec[pcPolicy] != rp.Name || rec[pcCurrency] != rp.Currency {
				rowErr = fmt.Sprintf("it is an export of policy %s in %s; this run is policy %s in %s", rec[pcPolicy], rec[pcCurrency], rp.Name, rp.Currency)
				return
			}
			id := lineID(rec[pcPolicy], rec[pcSubject], rec[pcPeriod], rec[pcIncentive])
			pl := lines[id]
			if pl == nil {
				pl = &prevLine{}
				lines[id] = pl
			}
			amount, _ := parseAmount(rec[pcAmount])
			if amount != nil {
				if err := money.Add(&pl.paid, &pl.paid, amount); err != nil && rowErr == "" {
					rowErr = err.Error()
				}
			}
			pl.status, pl.why = rec[pcStatus], row.why
			pl.amount = ""
			if rec[pcStatus] != "no_data" {
				pl.amount = pl.paid.Text('f')
			}
		})
		switch {
		case err != nil:
			return nil, nil, &ErrRefused{Msg: fmt.Sprintf("earlier export %s: %v", dir, err)}
		case len(probs) > 0:
			return nil, nil, &ErrRefused{Msg: fmt.Sprintf("earlier export %s does not verify (%d problem(s); the first: %s); nothing was written", dir, len(probs), probs[0])}
		case m.Policy.Name != rp.Name || m.Currency != rp.Currency:
			return nil, nil, &ErrRefused{Msg: fmt.Sprintf("earlier export %s is an export of policy %s in %s; this run is policy %s in %s; nothing was written", dir, m.Policy.Name, m.Currency, rp.Name, rp.Currency)}
		case rowErr != "":
			return nil, nil, &ErrRefused{Msg: fmt.Sprintf("earlier export %s: %s; nothing was written", dir, rowErr)}
		}
		sum := sha256.Sum256(mb)
		a := ManifestAgainst{RunID: m.RunID, ManifestSHA256: hex.EncodeToString(sum[:])}
		if other, dup := seenRun[a.ManifestSHA256]; dup {
			return nil, nil, &ErrRefused{Msg: fmt.Sprintf("earlier export %s is the same export as %s; each earlier export counts once", dir, other)}
		}
		seenRun[a.ManifestSHA256] = dir
		against = append(against, a)
		chains = append(chains, made{dir, m.Against})
	}
	// A correction counts what it was made against as paid: those exports
	// must be counted too, or their lines would be paid again (SPEC §12,
	// Chains).
	for _, c := range chains {
		for _, a := range c.against {
			if _, ok := seenRun[a.ManifestSHA256]; !ok {
				return nil, nil, &ErrRefused{Msg: fmt.Sprintf("earlier export %s was made against run %s (manifest sha256:%.12s…), which is not given; give that export with --against too (or pay with --ledger); nothing was written", c.dir, a.RunID, a.ManifestSHA256)}
			}
		}
	}
	for _, pl := range lines { // written with the currency's minor digits: 0.00, not 0
		if err := money.Quantize(&pl.paid, &pl.paid, rp.MinorUnit); err != nil {
			return nil, nil, err
		}
	}
	// The run's identity does not depend on the order PREVs are named in.
	sort.Slice(against, func(i, j int) bool { return against[i].ManifestSHA256 < against[j].ManifestSHA256 })
	return lines, against, nil
}
