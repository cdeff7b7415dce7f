package payroll

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/testkit"
)

const correctionPolicy = `
policy "bonus" {
  version  = "1"
  currency = "EUR"
}
metric "sales" { better = "higher" }
attribute "pay" { type = "money" }
incentive "bonus" {
  gate "has_sales" { when = "sales > 0" }
  amount = "pay * sales / 100"
}
`

func correctionTestPolicy(t *testing.T, src string) *engine.Policy {
	t.Helper()
	return testkit.LoadSource(t, "bonus.hcl", src)
}

// row is a payroll.csv row by column name.
type row map[string]string

func exportRows(t *testing.T, dir string) map[string]row {
	t.Helper()
	recs := readCSV(t, filepath.Join(dir, "payroll.csv"))
	out := map[string]row{}
	for _, rec := range recs[1:] {
		r := row{}
		for i, c := range recs[0] {
			r[c] = rec[i]
		}
		out[r["subject"]+" "+r["kind"]] = r
	}
	return out
}

// TestCorrectionWorkflow pays a month, gets late data, pays the
// correction, and checks that a run against both pays nothing more.
func TestCorrectionWorkflow(t *testing.T) {
	p := correctionTestPolicy(t, correctionPolicy)
	root := t.TempDir()
	oct := filepath.Join(root, "2026-10")
	// A: earns 10.00; B: earns 20.00; C: no data (no sales yet); D: ineligible; E: earns 5.00.
	first := testkit.WriteFile(t, "oct.csv", "subject,period,sales,pay\nA,2026-10,1,1000\nB,2026-10,2,1000\nC,2026-10,,1000\nD,2026-10,0,1000\nE,2026-10,1,500\n")
	export(t, p, first, oct, Options{})
	if probs, err := Verify(oct); err != nil || len(probs) > 0 {
		t.Fatalf("verify: %v %v", err, probs)
	}

	// Late data: A up (+5.00), B down (-10.00), C now has data (full
	// 30.00), D unchanged, E has dropped out of the input, F is new.
	late := testkit.WriteFile(t, "late.csv", "subject,period,sales,pay\nA,2026-10,1.5,1000\nB,2026-10,1,1000\nC,2026-10,3,1000\nD,2026-10,0,1000\nF,2026-10,1,100\n")
	fix := filepath.Join(root, "2026-10-fix1")
	res := export(t, p, late, fix, Options{Against: []string{oct}})
	if probs, err := Verify(fix); err != nil || len(probs) > 0 {
		t.Fatalf("verify correction: %v %v", err, probs)
	}
	rows := exportRows(t, fix)
	want := map[string][3]string{ // subject kind: status, amount, paid_before
		"A adjustment": {"earned", "5.00", "10.00"},
		"B adjustment": {"earned", "-10.00", "20.00"},
		"C adjustment": {"earned", "30.00", "0.00"},
		"F original":   {"earned", "1.00", ""},
	}
	if len(rows) != len(want) {
		t.Errorf("%d rows, want %d: %v", len(rows), len(want), rows)
	}
	for k, w := range want {
		r, ok := rows[k]
		if !ok {
			t.Errorf("no row %s", k)
			continue
		}
		if r["status"] != w[0] || r["amount"] != w[1] || r["paid_before"] != w[2] {
			t.Errorf("%s: status %s amount %s paid_before %s, want %v", k, r["status"], r["amount"], r["paid_before"], w)
		}
	}
	m := res.Manifest
	if m.Original != 1 || m.Adjustment != 3 || m.Unchanged != 1 || m.NotInInput != 1 || m.NeedsReview != 0 {
		t.Errorf("counts: original %d adjustment %d unchanged %d not_in_input %d needs_review %d", m.Original, m.Adjustment, m.Unchanged, m.NotInInput, m.NeedsReview)
	}
	tot := m.Totals[0]
	if tot.Original != "1.00" || tot.Positive != "35.00" || tot.Negative != "-10.00" || tot.Net != "26.00" {
		t.Errorf("totals %+v", tot)
	}
	// Each adjustment explains what was paid before.
	ex, _ := os.ReadFile(filepath.Join(fix, "explanations.ndjson"))
	var sawWas bool
	for _, line := range bytes.Split(bytes.TrimSpace(ex), []byte("\n")) {
		var e struct {
			Subject string `json:"subject"`
			Was     *struct {
				Status, Amount, Why string
			} `json:"was"`
		}
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatal(err)
		}
		if e.Subject == "A" {
			sawWas = e.Was != nil && e.Was.Amount == "10.00" && e.Was.Status == "earned" && e.Was.Why != ""
		}
	}
	if !sawWas {
		t.Errorf("A's adjustment does not say what was paid: %s", ex)
	}

	// The same correction twice is the same export.
	again := export(t, p, late, fix, Options{Against: []string{oct}})
	if !again.Unchanged {
		t.Errorf("the same correction twice was not recognised")
	}
	// Once the correction is paid, nothing more is owed.
	fix2 := filepath.Join(root, "2026-10-fix2")
	res2 := export(t, p, late, fix2, Options{Against: []string{fix, oct}})
	if res2.Manifest.Rows != 0 || res2.Manifest.Adjustment != 0 || res2.Manifest.Unchanged != 5 {
		t.Errorf("after paying the correction: %d rows, %d adjustments, %d unchanged", res2.Manifest.Rows, res2.Manifest.Adjustment, res2.Manifest.Unchanged)
	}
	// The order PREVs are named in does not change the run.
	fix3 := filepath.Join(root, "2026-10-fix3")
	res3 := export(t, p, late, fix3, Options{Against: []string{oct, fix}})
	if res3.Manifest.RunID != res2.Manifest.RunID {
		t.Errorf("run_id depends on the order of --against")
	}
}

// TestCorrectionNoClawbackForMissingData: a line that had an amount and is
// now no_data gets no row, and is counted as needing review.
func TestCorrectionNoClawbackForMissingData(t *testing.T) {
	p := correctionTestPolicy(t, correctionPolicy)
	root := t.TempDir()
	oct := filepath.Join(root, "oct")
	export(t, p, testkit.WriteFile(t, "a.csv", "subject,period,sales,pay\nA,2026-10,1,1000\n"), oct, Options{})
	fix := filepath.Join(root, "fix")
	res := export(t, p, testkit.WriteFile(t, "b.csv", "subject,period,sales,pay\nA,2026-10,,1000\n"), fix, Options{Against: []string{oct}})
	if res.Manifest.Rows != 0 || res.Manifest.NeedsReview != 1 {
		t.Errorf("rows %d needs_review %d; want 0 and 1", res.Manifest.Rows, res.Manifest.NeedsReview)
	}
}

// TestCorrectionRefusals: a PREV of another policy or currency, or one
// that does not verify, is refused and nothing is written.
func TestCorrectionRefusals(t *testing.T) {
	p := correctionTestPolicy(t, correctionPolicy)
	root := t.TempDir()
	oct := filepath.Join(root, "oct")
	in := testkit.WriteFile(t, "a.csv", "subject,period,sales,pay\nA,2026-10,1,1000\n")
	export(t, p, in, oct, Options{})

	usd := correctionTestPolicy(t, strings.Replace(correctionPolicy, `"EUR"`, `"USD"`, 1))
	other := correctionTestPolicy(t, strings.Replace(correctionPolicy, `policy "bonus"`, `policy "other"`, 1))
	tampered := filepath.Join(root, "tampered")
	export(t, p, in, tampered, Options{})
	csvPath := filepath.Join(tampered, "payroll.csv")
	b, _ := os.ReadFile(csvPath)
	os.WriteFile(csvPath, bytes.Replace(b, []byte(",10.00,"), []byte(",90.00,"), 1), 0o644)

	for name, c := range map[string]struct {
		p    *engine.Policy
		prev string
		want string
	}{
		"other currency": {usd, oct, "in EUR"},
		"other policy":   {other, oct, "policy bonus"},
		"tampered":       {p, tampered, "does not verify"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(root, "out-"+strings.ReplaceAll(name, " ", "-"))
			_, err := Run(c.p, engine.Input{Name: in}, Options{Dir: dir, Against: []string{c.prev}})
			var refused *ErrRefused
			if !errors.As(err, &refused) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want a refusal mentioning %q", err, c.want)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("%s was written", dir)
			}
		})
	}
}

// TestPayrollConcurrentRuns: two runs into one directory at once never
// both succeed with different exports; the loser says why.
func TestPayrollConcurrentRuns(t *testing.T) {
	p := correctionTestPolicy(t, correctionPolicy)
	dir := filepath.Join(t.TempDir(), "out")
	a := testkit.WriteFile(t, "a.csv", "subject,period,sales,pay\nA,2026-10,1,1000\n")
	b := testkit.WriteFile(t, "b.csv", "subject,period,sales,pay\nA,2026-10,2,1000\n")
	for i := 0; i < 10; i++ {
		os.RemoveAll(dir)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for j, in := range []string{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[j] = Run(p, engine.Input{Name: in}, Options{Dir: dir})
			}()
		}
		wg.Wait()
		if errs[0] == nil && errs[1] == nil {
			t.Fatalf("try %d: both runs succeeded into one directory", i)
		}
		for _, err := range errs {
			var exists *ErrExportExists
			var refused *ErrRefused
			if err != nil && !errors.As(err, &exists) && !errors.As(err, &refused) {
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if probs, err := Verify(dir); err != nil || len(probs) > 0 {
			t.Fatalf("the export left behind does not verify: %v %v", err, probs)
		}
	}
}

// TestVerifyRejectsInconsistentExports: edits that keep the manifest in
// step with payroll.csv are still caught.
func TestVerifyRejectsInconsistentExports(t *testing.T) {
	p := correctionTestPolicy(t, correctionPolicy)
	in := testkit.WriteFile(t, "a.csv", "subject,period,sales,pay\nA,2026-10,1,1000\nB,2026-10,,1000\nC,2026-10,0,1000\n")
	for _, c := range []struct {
		name string
		edit func(dir string)
		want string
	}{
		{"swapped subject", func(dir string) {
			rewriteCSV(t, dir, func(s string) string { return strings.Replace(s, ",A,2026-10", ",Z,2026-10", 1) })
		}, "line_id"},
		{"no_data with amount", func(dir string) {
			rewriteCSV(t, dir, func(s string) string { return strings.Replace(s, ",no_data,,", ",no_data,0.00,", 1) })
		}, "no_data row has the amount"},
		{"three decimals", func(dir string) {
			rewriteCSV(t, dir, func(s string) string { return strings.Replace(s, ",10.00,", ",10.000,", 1) })
		}, "minor digits"},
		{"extra file", func(dir string) { os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644) }, "not a file of an export"},
		{"symlinked csv", func(dir string) {
			os.Remove(filepath.Join(dir, "payroll.csv"))
			os.Symlink("/dev/zero", filepath.Join(dir, "payroll.csv"))
		}, "not a regular file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "x")
			export(t, p, in, dir, Options{})
			c.edit(dir)
			probs, err := Verify(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(probs, "\n"), c.want) {
				t.Errorf("verify said %v; want a mention of %q", probs, c.want)
			}
		})
	}
}

// rewriteCSV edits payroll.csv and rewrites the manifest's digest and size
// to match, as a forger would.
func rewriteCSV(t *testing.T, dir string, edit func(string) string) {
	t.Helper()
	csvPath := filepath.Join(dir, "payroll.csv")
	b, _ := os.ReadFile(csvPath)
	nb := []byte(edit(string(b)))
	os.WriteFile(csvPath, nb, 0o644)
	m := readManifest(t, dir)
	sum, _ := fileSHA256(csvPath)
	m.PayrollCSV.SHA256, m.PayrollCSV.Bytes = sum, int64(len(nb))
	mb, _ := manifestBytes(m)
	os.WriteFile(filepath.Join(dir, "manifest.json"), mb, 0o644)
}

// TestPayrollFit: attributes marked payroll = true become extra columns,
// totals.csv gives each subject's total, and --strict writes nothing while
// a line needs review.
func TestPayrollFit(t *testing.T) {
	src := strings.Replace(correctionPolicy, `attribute "pay" { type = "money" }`, `attribute "pay" { type = "money" }
attribute "employee_no" {
  type    = "string"
  payroll = true
}
attribute "cost_centre" {
  type    = "number"
  payroll = true
}`, 1)
	p := correctionTestPolicy(t, src)
	in := testkit.WriteFile(t, "a.csv", "subject,period,sales,pay,employee_no,cost_centre\nA,2026-10,1,1000,E-001,4410\nA,2026-11,2,1000,E-001,4410\nB,2026-10,,1000,=X,\n")
	dir := filepath.Join(t.TempDir(), "x")
	res := export(t, p, in, dir, Options{})
	if got := res.Manifest.ExtraColumns; strings.Join(got, ",") != "employee_no,cost_centre" {
		t.Errorf("extra columns %v", got)
	}
	rows := readCSV(t, filepath.Join(dir, "payroll.csv"))
	if h := strings.Join(rows[0], ","); !strings.HasSuffix(h, ",kind,paid_before,employee_no,cost_centre") {
		t.Errorf("header %s", h)
	}
	if r := rows[1]; r[16] != "E-001" || r[17] != "4410" {
		t.Errorf("row %v", r)
	}
	if r := rows[3]; r[16] != "'=X" || r[17] != "" {
		t.Errorf("B's row %v (a formula-like value must be neutralised)", r)
	}
	totals := readCSV(t, filepath.Join(dir, "totals.csv"))
	want := [][]string{{"subject", "currency", "amount", "rows"}, {"A", "EUR", "30.00", "2"}, {"B", "EUR", "0.00", "1"}}
	if fmt.Sprint(totals) != fmt.Sprint(want) {
		t.Errorf("totals.csv %v, want %v", totals, want)
	}
	if probs, err := Verify(dir); err != nil || len(probs) > 0 {
		t.Fatalf("verify: %v %v", err, probs)
	}
	// Tampering with totals.csv is caught.
	tp := filepath.Join(dir, "totals.csv")
	b, _ := os.ReadFile(tp)
	os.WriteFile(tp, bytes.Replace(b, []byte("30.00"), []byte("31.00"), 1), 0o644)
	if probs, _ := Verify(dir); len(probs) == 0 {
		t.Errorf("an edited totals.csv verified")
	}
	// --strict: B is no_data, so nothing is written.
	strictDir := filepath.Join(t.TempDir(), "strict")
	_, err := Run(p, engine.Input{Name: in}, Options{Dir: strictDir, Strict: true})
	var refused *ErrRefused
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "need review") {
		t.Errorf("--strict: %v", err)
	}
	if _, err := os.Stat(strictDir); !os.IsNotExist(err) {
		t.Errorf("--strict wrote %s", strictDir)
	}
}

// TestPayrollPeriodSelection: --period pays only the selected periods, and
// the selection is part of the run's identity (and verifies).
func TestPayrollPeriodSelection(t *testing.T) {
	p := correctionTestPolicy(t, correctionPolicy)
	in := testkit.WriteFile(t, "a.csv", "subject,period,sales,pay\nA,2026-09,1,1000\nA,2026-10,2,1000\n")
	all := export(t, p, in, filepath.Join(t.TempDir(), "all"), Options{})
	dir := filepath.Join(t.TempDir(), "oct")
	res, err := Run(p, engine.Input{Name: in, Periods: []string{"2026-10"}}, Options{Dir: dir})
	if err != nil || res.Failed() {
		t.Fatal(err, res)
	}
	if res.Manifest.Rows != 1 || res.Manifest.RunID == all.Manifest.RunID {
		t.Errorf("rows %d, run %s (all: %s)", res.Manifest.Rows, res.Manifest.RunID, all.Manifest.RunID)
	}
	if probs, err := Verify(dir); err != nil || len(probs) > 0 {
		t.Errorf("verify: %v %v", err, probs)
	}
}

// TestPayrollInOrderAndShuffled: an input already sorted by subject and
// period, the same rows shuffled, and rows whose order breaks only at the
// end give the same files, run ids aside, and nothing but the export is
// left in its directory. The stream delivers snapshots in key order (a
// policy with history too), so the export is written straight; records
// that come out of order anyway (a stream in input order here) are sorted
// on disk, or, when the order breaks at the end, the rows already written
// are read back into the sort.
func TestPayrollInOrderAndShuffled(t *testing.T) {
	history := strings.Replace(correctionPolicy, `currency = "EUR"`, `currency = "EUR"
  history  = 2`, 1)
	for _, c := range []struct {
		name, src  string
		inputOrder bool // the stream in input order: records out of key order go through the export's sort
	}{
		{"plain", correctionPolicy, false},
		{"history", history, false},
		{"plain, input order", correctionPolicy, true},
		{"history, input order", history, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			testInOrderAndShuffled(t, correctionTestPolicy(t, c.src), Options{SortMemory: 64, inputOrder: c.inputOrder})
		})
	}
}

func testInOrderAndShuffled(t *testing.T, p *engine.Policy, opts Options) {
	rows := []string{"A,2026-09,1,1000", "A,2026-10,2,1000", "B,2026-10,,1000", "C,2026-10,0,1000"}
	inputs := []struct {
		name    string
		order   []int
		inOrder bool
	}{
		{"in order", []int{0, 1, 2, 3}, true},
		{"shuffled", []int{3, 1, 0, 2}, false},
		{"order breaks at the end", []int{0, 2, 3, 1}, false},
		{"order breaks at the end, same subject", []int{0, 1, 3, 2}, false},
	}
	want := map[string]string{}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("subject,period,sales,pay\n")
			for _, i := range in.order {
				b.WriteString(rows[i] + "\n")
			}
			input := testkit.WriteFile(t, "in.csv", b.String())
			dir := filepath.Join(t.TempDir(), "x")
			res := export(t, p, input, dir, opts)
			if want := opts.inputOrder && !in.inOrder; res.sorted != want {
				t.Errorf("sorted = %v, want %v", res.sorted, want)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 7 {
				t.Errorf("the export holds %d files, want 7 (payroll, import, explanations, totals, review, datapackage, manifest)", len(entries))
			}
			if probs, err := Verify(dir); err != nil || len(probs) > 0 {
				t.Errorf("verify: %v %v", err, probs)
			}
			for _, f := range []string{"payroll.csv", "import.csv", "explanations.ndjson", "totals.csv", "review.csv"} {
				b, _ := os.ReadFile(filepath.Join(dir, f))
				got := strings.ReplaceAll(string(b), res.Manifest.RunID, "RUN")
				if w, ok := want[f]; !ok {
					want[f] = got
				} else if diff := cmp.Diff(w, got); diff != "" {
					t.Errorf("%s differs from the in-order export (-want +got):\n%s", f, diff)
				}
			}
		})
	}
}

// TestReviewNamesEveryNoDataLine: SPEC §12. Every export writes
// review.csv, one row per line that is no_data now, in an original (where
// the line is also a no_data row of payroll.csv) and in a correction
// (where it has no row at all); the manifest holds its digest, verify
// checks it, and a zero total reads 0.00, not 0.
func TestReviewNamesEveryNoDataLine(t *testing.T) {
	p := correctionTestPolicy(t, correctionPolicy)
	root := t.TempDir()
	oct := filepath.Join(root, "2026-10")
	first := testkit.WriteFile(t, "oct.csv", "subject,period,sales,pay\nA,2026-10,1,1000\nC,2026-10,,1000\n")
	res := export(t, p, first, oct, Options{})
	review := readCSV(t, filepath.Join(oct, "review.csv"))
	if len(review) != 2 || strings.Join(review[0], ",") != "subject,period,incentive,line_id,reason" ||
		review[1][0] != "C" || review[1][1] != "2026-10" || !strings.Contains(review[1][4], "no data") {
		t.Fatalf("review.csv: %v", review)
	}
	if res.Manifest.ReviewCSV == nil || res.Manifest.NeedsReview != 1 || len(res.Review) != 1 || res.Review[0][0] != "C" {
		t.Errorf("manifest review %+v, needs_review %d, result %v", res.Manifest.ReviewCSV, res.Manifest.NeedsReview, res.Review)
	}
	if id := exportRows(t, oct)["C original"]["line_id"]; id != review[1][3] {
		t.Errorf("review line_id %s, payroll.csv's %s", review[1][3], id)
	}

	// Late data that loses A's value: the line is no_data now, so there is
	// no row (never a clawback), and review.csv names it.
	late := testkit.WriteFile(t, "late.csv", "subject,period,sales,pay\nA,2026-10,,1000\nC,2026-10,,1000\n")
	fix := filepath.Join(root, "2026-10-fix1")
	res = export(t, p, late, fix, Options{Against: []string{oct}})
	if rows := exportRows(t, fix); len(rows) != 0 {
		t.Errorf("rows in the correction: %v", rows)
	}
	review = readCSV(t, filepath.Join(fix, "review.csv"))
	if len(review) != 3 || review[1][0] != "A" || review[2][0] != "C" {
		t.Errorf("correction review.csv: %v", review)
	}
	for _, tot := range res.Manifest.Totals {
		if tot.Amount != "0.00" || tot.Net != "0.00" {
			t.Errorf("a zero total reads %q / %q, want 0.00", tot.Amount, tot.Net)
		}
	}
	if probs, err := Verify(fix); err != nil || len(probs) > 0 {
		t.Fatalf("verify: %v %v", err, probs)
	}
	os.WriteFile(filepath.Join(fix, "review.csv"), []byte("subject,period,incentive,line_id,reason\n"), 0o644)
	if probs, _ := Verify(fix); len(probs) == 0 || !strings.Contains(strings.Join(probs, "\n"), "review.csv") {
		t.Errorf("a changed review.csv passed verify: %v", probs)
	}
}

// TestImportHoldsTheRowsToPay: import.csv is payroll.csv's rows whose
// amount is neither 0.00 nor empty (an adjustment taking pay back too),
// each with the pay date; --verify rebuilds it from payroll.csv, and a
// pay date that is not a date is refused.
func TestImportHoldsTheRowsToPay(t *testing.T) {
	p := correctionTestPolicy(t, correctionPolicy)
	root := t.TempDir()
	oct := filepath.Join(root, "2026-10")
	// A earns 10.00, B 20.00, C has no data, D is ineligible (0.00), E 5.00.
	first := testkit.WriteFile(t, "oct.csv", "subject,period,sales,pay\nA,2026-10,1,1000\nB,2026-10,2,1000\nC,2026-10,,1000\nD,2026-10,0,1000\nE,2026-10,1,500\n")
	res := export(t, p, first, oct, Options{PayDate: "2026-11-25"})
	if res.Manifest.PayDate != "2026-11-25" || res.Manifest.ImportCSV == nil {
		t.Fatalf("manifest: pay date %q, import %v", res.Manifest.PayDate, res.Manifest.ImportCSV)
	}
	toPay := func(dir string) string {
		recs := readCSV(t, filepath.Join(dir, "import.csv"))
		if got, want := strings.Join(recs[0], ","), "line_id,subject,period,coverage_start,coverage_end,incentive,code,kind,amount,currency,pay_date"; got != want {
			t.Fatalf("import.csv header %s, want %s", got, want)
		}
		var rows []string
		for _, r := range recs[1:] {
			rows = append(rows, r[1]+" "+r[7]+" "+r[8]+" "+r[10])
		}
		return strings.Join(rows, "; ")
	}
	if got, want := toPay(oct), "A original 10.00 2026-11-25; B original 20.00 2026-11-25; E original 5.00 2026-11-25"; got != want {
		t.Errorf("import.csv: %s\nwant %s", got, want)
	}
	late := testkit.WriteFile(t, "late.csv", "subject,period,sales,pay\nA,2026-10,1.5,1000\nB,2026-10,1,1000\nC,2026-10,3,1000\nD,2026-10,0,1000\nF,2026-10,1,100\n")
	fix := filepath.Join(root, "2026-10-fix1")
	export(t, p, late, fix, Options{Against: []string{oct}, PayDate: "2026-12-10"})
	if got, want := toPay(fix), "A adjustment 5.00 2026-12-10; B adjustment -10.00 2026-12-10; C adjustment 30.00 2026-12-10; F original 1.00 2026-12-10"; got != want {
		t.Errorf("correction's import.csv: %s\nwant %s", got, want)
	}
	if probs, err := Verify(fix); err != nil || len(probs) > 0 {
		t.Fatalf("verify: %v %v", err, probs)
	}

	// A row left out of import.csv, the manifest's digest made to match:
	// --verify rebuilds the file from payroll.csv and says so.
	path := filepath.Join(fix, "import.csv")
	b, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(b), "\n")
	cut := strings.Join(append(lines[:2:2], lines[3:]...), "")
	if err := os.WriteFile(path, []byte(cut), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(cut))
	editManifest(t, fix, func(m *Manifest) {
		m.ImportCSV.SHA256, m.ImportCSV.Bytes = hex.EncodeToString(sum[:]), int64(len(cut))
	})
	probs, err := Verify(fix)
	if err != nil || !slices.ContainsFunc(probs, func(p string) bool {
		return strings.HasPrefix(p, "import.csv does not hold the rows of payroll.csv to pay")
	}) {
		t.Errorf("verify of a cut import.csv: %v %v", err, probs)
	}

	if _, err := Run(p, engine.Input{Name: first}, Options{Dir: filepath.Join(root, "bad"), PayDate: "25/11/2026"}); err == nil || !strings.Contains(err.Error(), `pay date "25/11/2026" is not a date`) {
		t.Errorf("a bad pay date: %v", err)
	}
}

// TestExportsBeforeImportStillVerify: an export written before import.csv
// existed (no import.csv, no pay date, a datapackage without it) still
// verifies, and a ledger holding one still pays only the difference.
func TestExportsBeforeImportStillVerify(t *testing.T) {
	p := correctionTestPolicy(t, correctionPolicy)
	ledger := t.TempDir()
	oct := filepath.Join(ledger, "2026-10")
	first := testkit.WriteFile(t, "oct.csv", "subject,period,sales,pay\nA,2026-10,1,1000\nB,2026-10,2,1000\n")
	export(t, p, first, oct, Options{})
	// Make it as the earlier release wrote it.
	os.Remove(filepath.Join(oct, "import.csv"))
	editManifest(t, oct, func(m *Manifest) {
		m.ImportCSV, m.PayDate = nil, ""
		dp, err := dataPackageBytes(m)
		if err != nil || bytes.Contains(dp, []byte("import.csv")) {
			t.Fatalf("the datapackage of an export without import.csv: %v\n%s", err, dp)
		}
		if err := os.WriteFile(filepath.Join(oct, "datapackage.json"), dp, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(dp)
		m.DataPackage = &ManifestFile{Name: dataPackageFile, SHA256: hex.EncodeToString(sum[:]), Bytes: int64(len(dp))}
	})
	if probs, err := Verify(oct); err != nil || len(probs) > 0 {
		t.Fatalf("an export without import.csv: %v %v", err, probs)
	}
	late := testkit.WriteFile(t, "late.csv", "subject,period,sales,pay\nA,2026-10,1.5,1000\nB,2026-10,2,1000\n")
	res, err := Run(p, engine.Input{Name: late}, Options{Ledger: ledger})
	if err != nil || res.Failed() {
		t.Fatalf("a ledger holding it: %v %v", err, res)
	}
	if got := exportRows(t, res.Dir); len(got) != 1 || got["A adjustment"]["amount"] != "5.00" {
		t.Errorf("the correction beside it: %v", got)
	}
}

// editManifest rewrites the manifest of the export in dir as edit leaves it.
func editManifest(t *testing.T, dir string, edit func(*Manifest)) {
	t.Helper()
	path := filepath.Join(dir, "manifest.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(&m)
	if b, err = manifestBytes(&m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
