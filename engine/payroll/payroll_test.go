package payroll

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/testkit"
)

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func readManifest(t *testing.T, dir string) *Manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

func export(t *testing.T, p *engine.Policy, input, dir string, opts Options) *Result {
	t.Helper()
	opts.Dir = dir
	res, err := Run(p, engine.Input{Name: input}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() {
		t.Fatalf("bad input: %v", res.Errors)
	}
	return res
}

// TestPayrollExamples exports each example, verifies it, reruns it
// byte-identically (also with a tiny sort buffer, forcing an external
// merge), and checks the manifest totals against both the CSV and eval.
func TestPayrollExamples(t *testing.T) {
	for _, name := range testkit.Examples(t, "../..") {
		t.Run(name, func(t *testing.T) {
			p := testkit.MustLoad(t, filepath.Join("../../policies", name))
			input := filepath.Join("../../fixtures", name, "snapshots.csv")
			a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
			export(t, p, input, a, Options{})
			export(t, p, input, b, Options{SortMemory: 2048, Workers: 1})
			for _, f := range []string{"payroll.csv", "manifest.json"} {
				x, _ := os.ReadFile(filepath.Join(a, f))
				y, _ := os.ReadFile(filepath.Join(b, f))
				if !bytes.Equal(x, y) || len(x) == 0 {
					t.Errorf("%s differs between runs", f)
				}
			}
			if probs, err := Verify(a); err != nil || len(probs) > 0 {
				t.Fatalf("verify: %v %v", err, probs)
			}
			m := readManifest(t, a)
			rows := readCSV(t, filepath.Join(a, "payroll.csv"))
			if strings.Join(rows[0], ",") != strings.Join(Columns(), ",") {
				t.Fatalf("header %v", rows[0])
			}
			rows = rows[1:]
			if len(rows) != m.Rows || m.Rows != m.Snapshots*len(p.Rules().Incentives) {
				t.Fatalf("%d rows, manifest %d, snapshots %d", len(rows), m.Rows, m.Snapshots)
			}
			// Sorted by subject, period, then incentive declaration order.
			order := map[string]int{}
			for i, in := range p.Rules().Incentives {
				order[in.Name] = i
			}
			for i := 1; i < len(rows); i++ {
				prev, cur := rows[i-1], rows[i]
				if prev[2] > cur[2] || prev[2] == cur[2] && (prev[3] > cur[3] || prev[3] == cur[3] && order[prev[6]] >= order[cur[6]]) {
					t.Fatalf("rows %d and %d out of order: %v / %v", i, i+1, prev[:7], cur[:7])
				}
			}
			// Totals: sums of the CSV amounts, and of the eval outcomes.
			csvSum := map[string]*apd.Decimal{}
			for _, r := range rows {
				testkit.AddAmount(t, csvSum, r[6]+" "+r[10], r[9])
			}
			evalSum := map[string]*apd.Decimal{}
			for _, o := range testkit.EvalToMaps(t, p, input) {
				for name, v := range o["incentives"].(map[string]any) {
					iv := v.(map[string]any)
					if a, ok := iv["amount"].(string); ok {
						testkit.AddAmount(t, evalSum, name+" "+iv["currency"].(string), a)
					}
				}
			}
			for _, tot := range m.Totals {
				key := tot.Incentive + " " + tot.Currency
				want, _, _ := apd.NewFromString(tot.Amount)
				if csvSum[key] == nil || csvSum[key].Cmp(want) != 0 || evalSum[key] == nil || evalSum[key].Cmp(want) != 0 {
					t.Errorf("%s: manifest %s, csv %v, eval %v", key, tot.Amount, csvSum[key], evalSum[key])
				}
			}
			if len(m.Totals) != len(p.Rules().Incentives) {
				t.Errorf("%d totals for %d incentives", len(m.Totals), len(p.Rules().Incentives))
			}
		})
	}
}

func rowOf(t *testing.T, rows [][]string, subject, incentive string) []string {
	t.Helper()
	for _, r := range rows {
		if r[2] == subject && r[6] == incentive {
			return r
		}
	}
	t.Fatalf("no row for %s %s", subject, incentive)
	return nil
}

// TestPayrollRoundingAndStatuses checks the tie rows of the voice-agent
// fixtures, and that no_data rows have an empty amount.
func TestPayrollRoundingAndStatuses(t *testing.T) {
	p := testkit.MustLoad(t, "../../policies/voice-agents")
	dir := filepath.Join(t.TempDir(), "x")
	export(t, p, "../../fixtures/voice-agents/snapshots.csv", dir, Options{})
	rows := readCSV(t, filepath.Join(dir, "payroll.csv"))
	for _, c := range []struct{ subject, incentive, status, amount string }{
		{"E-0015", "monthly_bonus", "earned", "250.02"}, // 250.025, half_even
		{"E-0016", "csat_award", "earned", "12.51"},     // 12.505, half_up
		{"E-0012", "monthly_bonus", "ineligible", "0.00"},
		{"E-0013", "monthly_bonus", "no_data", ""},
		{"E-0006", "csat_award", "no_data", ""},
	} {
		r := rowOf(t, rows, c.subject, c.incentive)
		if r[8] != c.status || r[9] != c.amount || r[4] != "2026-10-01" || r[5] != "2026-10-31" {
			t.Errorf("%s %s: %v", c.subject, c.incentive, r)
		}
	}
	m := readManifest(t, dir)
	if m.NeedsReview != m.StatusCounts["no_data"] || m.NeedsReview == 0 {
		t.Errorf("needs_review %d, no_data %d", m.NeedsReview, m.StatusCounts["no_data"])
	}
}

func TestPayrollJPY(t *testing.T) {
	src := `
policy "jp" {
  version  = "1"
  currency = "JPY"
}
attribute "pay" { type = "money" }
incentive "even" {
  amount   = "pay * 0.0125"
  rounding = "half_even"
}
incentive "up" {
  amount   = "pay * 0.0125"
  rounding = "half_up"
}
`
	p := testkit.LoadSource(t, "jp.hcl", src)
	input := testkit.WriteFile(t, "in.csv", "subject,period,pay\nJ1,2026-10,1000\nJ2,2026-10,1080\n")
	dir := filepath.Join(t.TempDir(), "x")
	export(t, p, input, dir, Options{})
	rows := readCSV(t, filepath.Join(dir, "payroll.csv"))
	for _, c := range []struct{ subject, incentive, amount string }{
		{"J1", "even", "12"}, {"J1", "up", "13"}, {"J2", "even", "14"}, {"J2", "up", "14"},
	} {
		if r := rowOf(t, rows, c.subject, c.incentive); r[9] != c.amount || r[10] != "JPY" {
			t.Errorf("%s %s: %v", c.subject, c.incentive, r)
		}
	}
	if m := readManifest(t, dir); m.Totals[0].Amount != "26" || m.Totals[1].Amount != "27" {
		t.Errorf("totals %+v", m.Totals)
	}
}

type failingWriter struct {
	w    io.Writer
	left int
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.left {
		n, _ := f.w.Write(p[:f.left])
		f.left = 0
		return n, errors.New("disk full")
	}
	f.left -= len(p)
	return f.w.Write(p)
}

// TestPayrollInterrupted makes the payroll.csv writer fail half-way: the
// run fails and leaves neither the export nor a temporary directory.
func TestPayrollInterrupted(t *testing.T) {
	p := testkit.MustLoad(t, "../../policies/voice-agents")
	parent := t.TempDir()
	dir := filepath.Join(parent, "2026-10")
	payrollWriterHook = func(w io.Writer) io.Writer { return &failingWriter{w: w, left: 10000} }
	defer func() { payrollWriterHook = func(w io.Writer) io.Writer { return w } }()
	_, err := Run(p, engine.Input{Name: "../../fixtures/voice-agents/snapshots.csv"}, Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

// TestPayrollRerunAndForce: the same export again is a no-op; a different
// export is refused without --force and replaces the old one with it.
func TestPayrollRerunAndForce(t *testing.T) {
	p := testkit.MustLoad(t, "../../policies/voice-agents")
	input := "../../fixtures/voice-agents/snapshots.csv"
	dir := filepath.Join(t.TempDir(), "x")
	first := export(t, p, input, dir, Options{})
	if first.Unchanged {
		t.Fatal("first export reported unchanged")
	}
	again := export(t, p, input, dir, Options{})
	if !again.Unchanged {
		t.Fatal("rerun was not recognised as the same export")
	}
	// A different policy version: a different run.
	srcs, _ := dsl.ReadSources("../../policies/voice-agents")
	for i := range srcs {
		srcs[i].Bytes = bytes.Replace(srcs[i].Bytes, []byte(`multiplier = 1.5`), []byte(`multiplier = 2.0`), 1)
	}
	p2, diags := engine.LoadSources("changed", srcs)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	_, err := Run(p2, engine.Input{Name: input}, Options{Dir: dir})
	var exists *ErrExportExists
	if !errors.As(err, &exists) || exists.Have != first.Manifest.RunID {
		t.Fatalf("err = %v", err)
	}
	if m := readManifest(t, dir); m.RunID != first.Manifest.RunID {
		t.Fatal("the old export was touched")
	}
	forced := export(t, p2, input, dir, Options{Force: true})
	if m := readManifest(t, dir); m.RunID != forced.Manifest.RunID || m.RunID == first.Manifest.RunID {
		t.Fatal("--force did not replace the export")
	}
	if probs, _ := Verify(dir); len(probs) > 0 {
		t.Fatal(probs)
	}
	// A directory that is not an export is not replaced without --force.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o644)
	if _, err := Run(p, engine.Input{Name: input}, Options{Dir: other}); !errors.As(err, &exists) {
		t.Fatalf("err = %v", err)
	}
}

// TestPayrollRerunAfterEdit: the same run again over an export whose
// explanations were edited (its manifest untouched) is refused without
// --force, naming the file, and writes the export afresh with it.
func TestPayrollRerunAfterEdit(t *testing.T) {
	p := testkit.MustLoad(t, "../../policies/voice-agents")
	input := "../../fixtures/voice-agents/snapshots.csv"
	dir := filepath.Join(t.TempDir(), "x")
	first := export(t, p, input, dir, Options{})
	exPath := filepath.Join(dir, "explanations.ndjson")
	orig, err := os.ReadFile(exPath)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(orig, []byte(`"status":"earned"`), []byte(`"status":"eArned"`), 1) // same size
	if bytes.Equal(edited, orig) {
		t.Fatal("nothing to edit")
	}
	os.WriteFile(exPath, edited, 0o644)
	_, err = Run(p, engine.Input{Name: input}, Options{Dir: dir})
	var refused *ErrRefused
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "explanations.ndjson: SHA-256") {
		t.Fatalf("err = %v", err)
	}
	if got, _ := os.ReadFile(exPath); !bytes.Equal(got, edited) {
		t.Fatal("the edited export was touched")
	}
	again := export(t, p, input, dir, Options{Force: true})
	if again.Unchanged || again.Manifest.RunID != first.Manifest.RunID {
		t.Fatalf("forced rerun: unchanged %v, run %s", again.Unchanged, again.Manifest.RunID)
	}
	if got, _ := os.ReadFile(exPath); !bytes.Equal(got, orig) {
		t.Fatal("--force did not write the export afresh")
	}
}

// TestPayrollVerifyCatches edits an amount, removes a row and edits the
// manifest: --verify reports each.
func TestPayrollVerifyCatches(t *testing.T) {
	p := testkit.MustLoad(t, "../../policies/voice-agents")
	dir := filepath.Join(t.TempDir(), "x")
	export(t, p, "../../fixtures/voice-agents/snapshots.csv", dir, Options{})
	csvPath := filepath.Join(dir, "payroll.csv")
	orig, _ := os.ReadFile(csvPath)
	for _, c := range []struct {
		name string
		edit func([]byte) []byte
		want string
	}{
		{"edited amount", func(b []byte) []byte {
			return bytes.Replace(b, []byte(",earned,300.00,"), []byte(",earned,310.00,"), 1)
		}, "total monthly_bonus EUR"},
		{"removed row", func(b []byte) []byte {
			lines := bytes.SplitAfter(b, []byte("\n"))
			return bytes.Join(append(lines[:5:5], lines[6:]...), nil)
		}, "rows, the manifest says 598"},
		{"edited status", func(b []byte) []byte {
			return bytes.Replace(b, []byte(",ineligible,0.00,"), []byte(",not_earned,0.00,"), 1)
		}, "status ineligible"},
	} {
		t.Run(c.name, func(t *testing.T) {
			os.WriteFile(csvPath, c.edit(orig), 0o644)
			defer os.WriteFile(csvPath, orig, 0o644)
			probs, err := Verify(dir)
			if err != nil {
				t.Fatal(err)
			}
			joined := strings.Join(probs, "\n")
			if !strings.Contains(joined, c.want) || !strings.Contains(joined, "SHA-256") {
				t.Errorf("verify said:\n%s", joined)
			}
		})
	}
	mpath := filepath.Join(dir, "manifest.json")
	mb, _ := os.ReadFile(mpath)
	os.WriteFile(mpath, bytes.Replace(mb, []byte(`"rows": 598`), []byte(`"rows": 597`), 1), 0o644)
	if probs, _ := Verify(dir); len(probs) != 1 || !strings.Contains(probs[0], "598 rows, the manifest says 597") {
		t.Errorf("edited row count: %v", probs)
	}
}

func TestPayrollSkipInvalid(t *testing.T) {
	src, err := os.ReadFile("../testdata/inputs.hcl") // engine's input-test policy
	if err != nil {
		t.Fatal(err)
	}
	p := testkit.LoadSource(t, "inputs.hcl", string(src))
	input := testkit.WriteFile(t, "in.csv", "subject,period,handled,pay\nA1,2026-10,1,100\nA2,2026-10,x,100\n")
	dir := filepath.Join(t.TempDir(), "x")
	rejects := filepath.Join(t.TempDir(), "rejects.csv")
	res := export(t, p, input, dir, Options{SkipInvalid: rejects})
	m := res.Manifest
	sum, _ := fileSHA256(rejects)
	if m.Rejected == nil || m.Rejected.Rows != 1 || m.Rejected.SHA256 != sum || m.Rows != 1 {
		t.Errorf("manifest %+v rejected %+v", m, m.Rejected)
	}
	// Without --skip-invalid the run fails and writes nothing.
	dir2 := filepath.Join(t.TempDir(), "y")
	r2, err := Run(p, engine.Input{Name: input}, Options{Dir: dir2})
	if err != nil || !r2.Failed() {
		t.Fatalf("%v %v", err, r2)
	}
	if _, err := os.Stat(dir2); !os.IsNotExist(err) {
		t.Error("export written despite bad input")
	}
}
