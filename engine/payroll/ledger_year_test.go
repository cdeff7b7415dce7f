package payroll

import (
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/testkit"
)

const yearPolicy = `
policy "year" {
  version  = "1"
  currency = "EUR"
}
metric "sales" { better = "higher" }
attribute "pay" { type = "money" }
incentive "bonus" {
  amount   = "pay * sales / 100"
  rounding = "half_up"
}
incentive "top" {
  gate "five" { when = "sales >= 5" }
  amount = "50"
}
`

// TestLedgerYear is the monthly cycle over a year (SPEC §12): each month
// the whole history so far is exported again, with late data for earlier
// months (changed values, values that were missing arriving), and paid
// into one ledger. After every cycle, for every line known now, the
// amounts of all the exports in the ledger add up to what the line is
// owed today: nothing paid twice, nothing lost, every correction a
// correction of the corrections before it. A line that is no_data now is
// not checked (it waits for review) but must never have been paid for.
func TestLedgerYear(t *testing.T) {
	p := testkit.LoadSource(t, "year.hcl", yearPolicy)
	rng := rand.New(rand.NewPCG(7, 27))
	const subjects, months = 12, 12
	// sales[s][m]: -1 is missing (no data yet).
	sales := make([][]int, subjects)
	for s := range sales {
		sales[s] = make([]int, months)
	}
	ledger := filepath.Join(t.TempDir(), "paid")
	for m := 0; m < months; m++ {
		for s := range sales {
			sales[s][m] = rng.IntN(10)
			if rng.IntN(8) == 0 {
				sales[s][m] = -1 // arrives late, or never
			}
		}
		// Late data for the months before: changes, and missing values
		// arriving.
		for k := 0; k < 4 && m > 0; k++ {
			s, old := rng.IntN(subjects), rng.IntN(m)
			sales[s][old] = rng.IntN(10)
		}
		var b strings.Builder
		b.WriteString("subject,period,sales,pay\n")
		for s := range sales {
			for mm := 0; mm <= m; mm++ {
				v := ""
				if sales[s][mm] >= 0 {
					v = fmt.Sprint(sales[s][mm])
				}
				fmt.Fprintf(&b, "S%02d,2026-%02d,%s,1000\n", s, mm+1, v)
			}
		}
		in := filepath.Join(t.TempDir(), "in.csv")
		os.WriteFile(in, []byte(b.String()), 0o644)
		res, err := Run(p, engine.Input{Name: in, Periods: []string{fmt.Sprintf("2026-01..2026-%02d", m+1)}}, Options{Ledger: ledger})
		if err != nil {
			t.Fatalf("month %d: %v", m+1, err)
		}
		if res.Failed() {
			t.Fatalf("month %d: %+v", m+1, res.StreamResult)
		}
		paid := ledgerSums(t, ledger)
		for s := range sales {
			for mm := 0; mm <= m; mm++ {
				key := func(inc string) string { return fmt.Sprintf("S%02d,2026-%02d,%s", s, mm+1, inc) }
				v := sales[s][mm]
				if v < 0 {
					for _, inc := range []string{"bonus", "top"} {
						if got := paid[key(inc)]; got != "" && got != "0.00" && got != "0" {
							t.Errorf("month %d: %s is no_data and was paid %s", m+1, key(inc), got)
						}
					}
					continue
				}
				top := "0.00"
				if v >= 5 {
					top = "50.00"
				}
				for inc, want := range map[string]string{"bonus": fmt.Sprintf("%d.00", 10*v), "top": top} {
					if got := paid[key(inc)]; got != want && !(want == "0.00" && got == "") {
						t.Errorf("month %d: %s paid %q in all, owed %s", m+1, key(inc), got, want)
					}
				}
			}
		}
		if probs, err := Verify(res.Dir); res.Dir != "" && !res.NothingToPay && (err != nil || len(probs) > 0) {
			t.Errorf("month %d: %s does not verify: %v %v", m+1, res.Dir, probs, err)
		}
	}
	entries, _ := os.ReadDir(ledger)
	if len(entries) < months {
		t.Errorf("%d exports for %d months", len(entries), months)
	}
	// The year did correct itself: adjustments were paid, some of them
	// on lines an earlier adjustment had already corrected.
	adjusted := map[string]int{}
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(ledger, e.Name(), payrollFile))
		rows, _ := csv.NewReader(strings.NewReader(string(b))).ReadAll()
		for _, r := range rows[1:] {
			if r[14] == "adjustment" {
				adjusted[r[2]+","+r[3]+","+r[6]]++
			}
		}
	}
	twice := 0
	for _, n := range adjusted {
		if n > 1 {
			twice++
		}
	}
	if len(adjusted) == 0 || twice == 0 {
		t.Errorf("%d lines adjusted, %d of them more than once: the year tested no correction of a correction", len(adjusted), twice)
	}
}

// ledgerSums adds the amounts of every export's payroll.csv per line
// (subject, period, incentive), exactly.
func ledgerSums(t *testing.T, ledger string) map[string]string {
	t.Helper()
	sums := map[string]*apd.Decimal{}
	entries, err := os.ReadDir(ledger)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		f, err := os.Open(filepath.Join(ledger, e.Name(), payrollFile))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, c := range rows[0] {
			col[c] = i
		}
		for _, r := range rows[1:] {
			if r[col["amount"]] == "" {
				continue
			}
			k := r[col["subject"]] + "," + r[col["period"]] + "," + r[col["incentive"]]
			d, _, err := apd.NewFromString(r[col["amount"]])
			if err != nil {
				t.Fatal(err)
			}
			if sums[k] == nil {
				sums[k] = new(apd.Decimal)
			}
			if _, err := apd.BaseContext.WithPrecision(34).Add(sums[k], sums[k], d); err != nil {
				t.Fatal(err)
			}
		}
	}
	out := map[string]string{}
	keys := make([]string, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out[k] = sums[k].Text('f')
	}
	return out
}
