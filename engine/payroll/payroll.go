package payroll

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/extsort"
	"github.com/rubric-dev/rubric/engine/internal/fsutil"
	"github.com/rubric-dev/rubric/engine/internal/textenc"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/evaluator/money"
	"github.com/rubric-dev/rubric/rules"
)

// payrollColumns are the columns of payroll.csv (docs/payroll.md).
var payrollColumns = []string{"line_id", "run_id", "subject", "period", "coverage_start", "coverage_end",
	"incentive", "code", "status", "amount", "currency", "policy", "policy_version", "policy_digest", "kind", "paid_before"}

// importFrom are the columns of payroll.csv that import.csv keeps, in its
// order (then the extra columns and pay_date): what a payroll import
// maps, without the run's and the policy's identity.
var importFrom = []int{pcLineID, pcSubject, pcPeriod, pcStart, pcEnd, pcIncentive, pcCode, pcKind, pcAmount, pcCurrency}

// importColumns are import.csv's columns, for an export with extras.
func importColumns(extras []string) []string {
	cols := make([]string, 0, len(importFrom)+len(extras)+1)
	for _, i := range importFrom {
		cols = append(cols, payrollColumns[i])
	}
	return append(append(cols, extras...), "pay_date")
}

// importRow is import.csv's row for a payroll.csv record.
func importRow(rec []string, payDate string) []string {
	row := make([]string, 0, len(importFrom)+len(rec)-len(payrollColumns)+1)
	for _, i := range importFrom {
		row = append(row, rec[i])
	}
	return append(append(row, rec[len(payrollColumns):]...), payDate)
}

// Columns returns the columns of payroll.csv.
func Columns() []string { return slices.Clone(payrollColumns) }

// Column indexes of payroll.csv.
const (
	pcLineID = iota
	pcRunID
	pcSubject
	pcPeriod
	pcStart
	pcEnd
	pcIncentive
	pcCode
	pcStatus
	pcAmount
	pcCurrency
	pcPolicy
	pcVersion
	pcDigest
	pcKind
	pcPaidBefore
)

// ManifestFormat names the manifest's format.
const ManifestFormat = "rubric-payroll/2"

// The files of an export, and nothing else.
const (
	payrollFile      = "payroll.csv"
	manifestFile     = "manifest.json"
	explanationsFile = "explanations.ndjson"
	totalsFile       = "totals.csv"
	reviewFile       = "review.csv"
	importFile       = "import.csv"
)

var exportFiles = []string{dataPackageFile, explanationsFile, importFile, manifestFile, payrollFile, reviewFile, totalsFile}

// reviewColumns are review.csv's: one row per line that is no_data now.
var reviewColumns = []string{"subject", "period", "incentive", "line_id", "reason"}

// totalsColumns are the columns of totals.csv: what each subject is paid in
// the export, per currency (the figure a payroll clerk reconciles).
var totalsColumns = []string{"subject", "currency", "amount", "rows"}

// Manifest describes a payroll export. It holds no wall-clock time, so the
// same inputs give the same bytes.
type Manifest struct {
	Format        string         `json:"format"`
	RunID         string         `json:"run_id"`
	EngineVersion string         `json:"engine_version"`
	Policy        ManifestPolicy `json:"policy"`
	Currency      string         `json:"currency"`
	InputSHA256   string         `json:"input_sha256"`
	// Inputs are the files of an input of several, in the order read;
	// InputSHA256 is then the SHA-256 of their digests, one a line.
	Inputs []ManifestInput `json:"inputs,omitempty"`
	// Periods is the selection paid (--period), when one was given; it is
	// part of the run's identity.
	Periods      []string          `json:"periods,omitempty"`
	Against      []ManifestAgainst `json:"against"`
	Snapshots    int               `json:"snapshots"`
	Rows         int               `json:"rows"`
	StatusCounts map[string]int    `json:"status_counts"`
	Original     int               `json:"original"`
	Adjustment   int               `json:"adjustment"`
	Unchanged    int               `json:"unchanged"`
	NeedsReview  int               `json:"needs_review"`
	NotInInput   int               `json:"not_in_input"`
	Totals       []ManifestTotal   `json:"totals"`
	Rejected     *ManifestReject   `json:"rejected,omitempty"`
	// Warnings are what the run said about its input that a reviewer of
	// the export must see: a history that reaches before the input, rows
	// rejected inside some line's window.
	Warnings []string `json:"warnings,omitempty"`
	// ExtraColumns are the attributes marked payroll = true, exported after
	// the fixed columns of payroll.csv, in declaration order.
	ExtraColumns []string     `json:"extra_columns"`
	PayrollCSV   ManifestFile `json:"payroll_csv"`
	Explanations ManifestFile `json:"explanations"`
	TotalsCSV    ManifestFile `json:"totals_csv"`
	// ReviewCSV names the lines that are no_data now (SPEC §12); absent
	// from exports written before it.
	ReviewCSV *ManifestFile `json:"review_csv,omitempty"`
	// DataPackage is datapackage.json, the CSV files' Table Schema (text
	// ids, decimal amounts); absent from exports written before it.
	DataPackage *ManifestFile `json:"datapackage,omitempty"`
	// ImportCSV is import.csv: the rows of payroll.csv to pay (an amount
	// that is neither 0.00 nor empty: originals and adjustments, negative
	// ones too), each with the pay date; absent from exports written
	// before it.
	ImportCSV *ManifestFile `json:"import_csv,omitempty"`
	// PayDate is the day the export is to be paid (--pay-date), in every
	// row of import.csv; "" when not given.
	PayDate string `json:"pay_date,omitempty"`
}

// ManifestPolicy identifies the policy text that produced the export.
type ManifestPolicy struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Digest  string `json:"digest"`
}

// ManifestAgainst identifies an earlier export a correction was computed
// against.
type ManifestAgainst struct {
	RunID          string `json:"run_id"`
	ManifestSHA256 string `json:"manifest_sha256"`
}

// ManifestTotal sums the rounded amounts of one incentive in one currency:
// Amount over every row (the net of a correction), and apart the original
// rows and the positive and negative adjustments.
type ManifestTotal struct {
	Incentive string `json:"incentive"`
	Code      string `json:"code"`
	Currency  string `json:"currency"`
	Amount    string `json:"amount"`
	Rows      int    `json:"rows"`
	Original  string `json:"original"`
	Positive  string `json:"adjustments_positive"`
	Negative  string `json:"adjustments_negative"`
	Net       string `json:"net"`
}

// ManifestReject records the rows left out with --skip-invalid.
type ManifestReject struct {
	Rows   int    `json:"rows"`
	SHA256 string `json:"sha256"`
}

// ManifestFile identifies a file of the export.
type ManifestFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// Options control Payroll.
type Options struct {
	Dir         string   // the export directory
	Force       bool     // replace an existing, different export
	SkipInvalid string   // rejects file; "" fails on bad input
	Against     []string // earlier exports: write a correction (docs/payroll.md)
	// Ledger is a directory of every export paid for the policy: each of
	// this policy's is verified and taken as an earlier export, and the
	// new export is written into it as Dir (a name; "" names it after the
	// periods paid), unless there is nothing to pay (SPEC §12, the ledger).
	Ledger     string
	Strict     bool             // fail, writing nothing, when any line is no_data
	PayDate    string           // YYYY-MM-DD: the day the export is paid, in import.csv and the manifest
	Progress   *engine.Progress // counts what is read, for a progress display
	Workers    int
	SortMemory int // bytes of rows sorted in memory before spilling; 0: 8 MiB

	// inputOrder has the stream deliver snapshots in input order (tests:
	// the export's own sort, for records that come out of key order).
	inputOrder bool
}

// Result says what Payroll did.
type Result struct {
	*engine.StreamResult
	Manifest  *Manifest
	Unchanged bool // the same export was already in Dir; nothing was written
	// NothingToPay: with a ledger, no original and no adjustment row; the
	// run wrote nothing.
	NothingToPay bool
	// Dir is where the export was written (with a ledger, the name chosen).
	Dir string
	// Review are review.csv's first rows (up to 20, in its order):
	// subject, period, incentive, line_id, reason.
	Review [][]string
	sorted bool // the input was not in order of subject and period: the rows went through the external sort
}

// ErrExportExists is returned when Dir holds a different export and Force
// is not set, or holds something that is not an export at all.
type ErrExportExists struct {
	Dir, Have, Want string
	NotExport       string // why Dir is not a rubric export; --force cannot help
}

func (e *ErrExportExists) Error() string {
	switch {
	case e.NotExport != "":
		return fmt.Sprintf("%s is not a rubric export (%s); refusing to replace it, even when forced", e.Dir, e.NotExport)
	case e.Have == "":
		return fmt.Sprintf("%s exists and is not an empty directory or a rubric export; refusing to replace it unless forced", e.Dir)
	}
	return fmt.Sprintf("%s holds a different export (run %s; this run is %s); refusing to overwrite it unless forced", e.Dir, e.Have, e.Want)
}

// ErrRefused is a payroll run refused for a reason of the payroll itself:
// an earlier export that does not verify or belongs to another policy, a
// strict run with lines to review, a concurrent run. Nothing was written.
type ErrRefused struct{ Msg string }

func (e *ErrRefused) Error() string { return e.Msg }

// payrollWriterHook wraps the payroll.csv writer; tests use it to simulate
// a failing disk.
var payrollWriterHook = func(w io.Writer) io.Writer { return w }

// Run evaluates in with p and writes payroll.csv, import.csv (the rows to
// pay), explanations.ndjson, totals.csv, review.csv, datapackage.json and
// manifest.json into opts.Dir, atomically: into a temporary directory
// beside it, renamed into place when complete. With opts.Against it writes
// a correction: the differences against what the earlier exports paid.
func Run(p *engine.Policy, in engine.Input, opts Options) (*Result, error) {
	if opts.Dir == "" && opts.Ledger == "" {
		return nil, errors.New("payroll: no output directory")
	}
	if opts.SortMemory <= 0 {
		opts.SortMemory = 8 << 20
	}
	if opts.PayDate != "" {
		if _, err := time.Parse(time.DateOnly, opts.PayDate); err != nil {
			return nil, fmt.Errorf("payroll: pay date %q is not a date (YYYY-MM-DD)", opts.PayDate)
		}
	}
	// The input is read from a file so that its digest is known: standard
	// input is spooled first (its format told from its first byte).
	in, release, err := in.Rewindable()
	if err != nil {
		return nil, err
	}
	defer release()
	inputSum, inputs, err := inputDigest(in.Files())
	if err != nil {
		return nil, err
	}
	rp := p.Rules()
	var clean, parent string
	if opts.Ledger != "" {
		parent = filepath.Clean(opts.Ledger)
		if err := os.MkdirAll(parent, fsutil.DirMode()); err != nil {
			return nil, err
		}
		unlock, err := fsutil.Lock(filepath.Join(parent, ledgerLock))
		if errors.Is(err, fsutil.ErrLocked) {
			return nil, &ErrRefused{Msg: fmt.Sprintf("another rubric payroll is writing to the ledger %s; try again when it has finished", parent)}
		} else if err != nil {
			return nil, err
		}
		defer unlock()
		paid, err := ledgerExports(parent, rp)
		if err != nil {
			return nil, err
		}
		opts.Against = append(paid, opts.Against...)
		if opts.Dir != "" && (filepath.Base(opts.Dir) != opts.Dir || strings.HasPrefix(opts.Dir, ".")) {
			return nil, fmt.Errorf("-o %s: with --ledger, -o names the export inside the ledger (a plain name such as 2026-10)", opts.Dir)
		}
	} else {
		clean = filepath.Clean(opts.Dir)
		parent = filepath.Dir(clean)
	}
	prev, against, err := loadAgainst(opts.Against, rp)
	if err != nil {
		return nil, err
	}
	if against == nil {
		against = []ManifestAgainst{}
	}
	version := engine.Version()
	runID := runIdentity(rp.Digest, inputSum, version, in.Periods, against)

	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	if opts.Ledger == "" {
		if err := refusePaid(clean, against); err != nil {
			return nil, err
		}
		unlock, err := lockExport(clean)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	tmpName := "export"
	if clean != "" {
		tmpName = filepath.Base(clean)
	}
	tmp, err := fsutil.MkdirTemp(parent, "."+tmpName+".tmp-*")
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			fsutil.Remove(tmp)
		}
	}()

	extras := []string{}
	var extraAttrs []*rules.Attribute
	for _, a := range rp.Attributes {
		if a.Payroll {
			extras = append(extras, a.Name)
			extraAttrs = append(extraAttrs, a)
		}
	}
	run := &payrollRun{
		rp: rp, runID: runID, prev: prev, acc: newTotals(), extras: extraAttrs,
		m: &Manifest{
			Format: ManifestFormat, RunID: runID, EngineVersion: version,
			Policy:       ManifestPolicy{Name: rp.Name, Version: rp.Version, Digest: rp.Digest},
			Currency:     rp.Currency,
			InputSHA256:  inputSum,
			Inputs:       inputs,
			Against:      against,
			ExtraColumns: extras,
			Periods:      in.Periods,
			PayDate:      opts.PayDate,
			StatusCounts: map[string]int{"earned": 0, "not_earned": 0, "ineligible": 0, "no_data": 0},
		},
		sorter: extsort.New(tmp, opts.SortMemory),
	}
	for _, f := range [...]string{rp.Currency, rp.Name, rp.Version, rp.Digest} {
		run.policyCells = textenc.AppendCell(append(run.policyCells, ','), f)
	}
	run.payDateCell = append(textenc.AppendCell([]byte{','}, opts.PayDate), '\n')
	defer run.sorter.Close()
	w, err := newExportWriter(tmp, run.columns(), importColumns(extras), rp.Currency, rp.MinorUnit)
	if err != nil {
		return nil, err
	}
	// The stream delivers outcomes in key order (InKeyOrder), written
	// straight to the export; should records of a policy with history
	// come out of order, they go through the sort (inOrder.replay).
	if run.direct, err = newInOrder(w); err != nil {
		w.abort()
		return nil, err
	}
	defer run.discard()
	sopts := engine.StreamOptions{SkipInvalid: opts.SkipInvalid, Workers: opts.Workers, IncentivesOnly: true, Explain: true, Progress: opts.Progress, InKeyOrder: !opts.inputOrder, TempDir: tmp}
	if opts.SkipInvalid != "" {
		// The rejects file is written beside the export, moved to where it
		// was asked once the export is whole.
		sopts.SkipInvalid = filepath.Join(tmp, ".rejects.csv")
	}
	res, err := p.Stream(in, sopts, run.encode, run.add)
	if err != nil {
		return nil, err
	}
	out := &Result{StreamResult: res}
	if res.Failed() {
		return out, nil
	}
	if run.sortErr != nil {
		return nil, run.sortErr
	}
	if err := run.moneyErr(); err != nil {
		return nil, err
	}
	m := run.m
	m.Snapshots = res.Evaluated
	for _, pl := range prev {
		if !pl.seen.Load() {
			m.NotInInput++
		}
	}
	if res.ThinHistory != "" {
		m.Warnings = append(m.Warnings, res.ThinHistory)
	}
	if len(res.HistoryLeftOut) > 0 {
		m.Warnings = append(m.Warnings, "history windows reach rejected rows: "+strings.Join(res.HistoryLeftOut, "; "))
	}
	if opts.Strict && res.ThinHistory != "" {
		return nil, &ErrRefused{Msg: res.ThinHistory + "; a strict run writes nothing"}
	}
	if opts.Strict && m.NeedsReview > 0 {
		return nil, &ErrRefused{Msg: fmt.Sprintf("%d line(s) are no_data and need review; a strict run writes nothing until they have data", m.NeedsReview)}
	}
	out.sorted = run.direct == nil
	if err := run.writeFiles(tmp); err != nil {
		return nil, err
	}
	if m.NeedsReview > 0 {
		if out.Review, err = firstRows(filepath.Join(tmp, reviewFile), 20); err != nil {
			return nil, err
		}
	}
	m.Totals = run.acc.list(rp.MinorUnit)
	if opts.SkipInvalid != "" {
		sum, err := fileSHA256(sopts.SkipInvalid)
		if err != nil {
			return nil, err
		}
		m.Rejected = &ManifestReject{Rows: res.Rejected, SHA256: sum}
	}
	dp, err := dataPackageBytes(m)
	if err != nil {
		return nil, err
	}
	if err := writeFileSync(filepath.Join(tmp, dataPackageFile), dp); err != nil {
		return nil, err
	}
	dpSum := sha256.Sum256(dp)
	m.DataPackage = &ManifestFile{Name: dataPackageFile, SHA256: hex.EncodeToString(dpSum[:]), Bytes: int64(len(dp))}
	mb, err := manifestBytes(m)
	if err != nil {
		return nil, err
	}
	out.Manifest = m
	if opts.Ledger != "" {
		if m.Original+m.Adjustment == 0 {
			out.NothingToPay = true
			return out, nil
		}
		name := opts.Dir
		if name == "" {
			name = run.defaultName(in.Periods)
		}
		clean = uniqueName(parent, name)
	}
	out.Dir = clean
	if err := writeFileSync(filepath.Join(tmp, manifestFile), mb); err != nil {
		return nil, err
	}

	if same, err := checkExisting(clean, mb, runID, opts.Force); err != nil {
		return nil, err
	} else if same {
		out.Unchanged = true
		return out, nil
	}
	if opts.SkipInvalid != "" {
		if err := moveFile(sopts.SkipInvalid, opts.SkipInvalid); err != nil {
			return nil, err
		}
	}
	if err := run.commit(tmp, clean); err != nil {
		return nil, err
	}
	committed = true
	return out, nil
}

// firstRows reads up to n rows of a CSV file after its header.
func firstRows(path string, n int) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	var rows [][]string
	for len(rows) <= n {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		rows = append(rows, rec)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return rows[1:], nil
}

// runIdentity is the run id: the policy, the input, the engine, the
// periods chosen and the exports corrected; the same run gets the same id.
func runIdentity(policyDigest, inputSum, version string, periods []string, against []ManifestAgainst) string {
	parts := []string{"rubric-run", policyDigest, inputSum, version}
	if len(periods) > 0 {
		parts = append(parts, "periods", strings.Join(periods, ","))
	}
	for _, a := range against {
		parts = append(parts, a.RunID, a.ManifestSHA256)
	}
	return shortHash(parts...)
}

// commit puts the complete export in tmp in place of dir: the sort's run
// files removed, the modes the umask allows, one rename.
func (r *payrollRun) commit(tmp, dir string) error {
	r.sorter.Close()                                        // the export holds its own files only
	if err := os.Chmod(tmp, fsutil.DirMode()); err != nil { // MkdirTemp makes it private
		return err
	}
	for _, f := range exportFiles {
		if err := os.Chmod(filepath.Join(tmp, f), fsutil.FileMode()); err != nil {
			return err
		}
	}
	if err := fsutil.ReplaceDir(tmp, dir); err != nil {
		return err
	}
	fsutil.Forget(tmp)
	return nil
}

// payrollRun is the state of one export while snapshots stream through.
type payrollRun struct {
	rp     *rules.Policy
	runID  string
	prev   map[string]*prevLine // by original line_id; nil without --against
	extras []*rules.Attribute   // payroll = true attributes: extra columns
	// policyCells are the row's constant columns, encoded once:
	// ",currency,policy,policy_version,policy_digest".
	policyCells []byte
	payDateCell []byte // ",pay_date\n": import.csv's last cell
	sorter      *extsort.Sorter
	sortErr     error
	direct      *inOrder // the export written as records come, while they come in order; nil once one did not

	mu      sync.Mutex // guards m's counts, acc, periods and err
	err     error      // the first failed money operation: the run fails
	m       *Manifest
	acc     *totals
	periods map[string]bool // the periods of the rows written
}

// encode turns one outcome into its sort record: the key (subject and
// period), then the payroll rows and their explanations.
func (r *payrollRun) encode(o *evaluator.Outcome, buf []byte) []byte {
	rp := r.rp
	s := o.Snapshot
	keyAt := len(buf)
	buf = binary.AppendUvarint(buf, uint64(len(s.Subject)+1+len(s.Period.Label)))
	buf = append(buf, s.Subject...)
	buf = append(buf, 0)
	buf = append(buf, s.Period.Label...)
	lenAt := len(buf)
	buf = append(buf, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) // the lengths of the record, the rows and the explanations, filled in below
	start, end := s.Period.StartDate(), s.Period.EndDate()
	var lines [8]payrollLine
	rows := lines[:0]
	for i := range o.Incentives {
		in := &o.Incentives[i]
		ln := payrollLine{res: in, lineID: lineID(rp.Name, s.Subject, s.Period.Label, in.Incentive.Name), kind: "original", status: in.Status.String()}
		if in.Amount != nil {
			ln.amount = in.Amount
		}
		if pl := r.prev[ln.lineID]; pl != nil {
			pl.seen.Store(true)
			ln.prev = pl
			if in.Status == evaluator.IncentiveNoData {
				ln.skip = "needs_review"
			} else {
				diff := new(apd.Decimal)
				if err := money.Sub(diff, in.Amount, &pl.paid); err != nil {
					r.setErr(err)
				}
				if diff.IsZero() {
					ln.skip = "unchanged"
				} else {
					ln.kind, ln.amount = "adjustment", diff
					ln.lineID = shortHash("rubric-adjustment", ln.lineID, r.runID)
				}
			}
		}
		rows = append(rows, ln)
	}
	var extras []byte // the extra columns' cells, each with its comma
	for _, a := range r.extras {
		extras = append(extras, ',')
		if v := s.Values[a.Decl.Slot]; v.Has() {
			text := v.Str
			if v.Kind != evaluator.String {
				text = v.String()
			}
			extras = textenc.AppendCell(extras, text)
		}
	}
	rowsAt := len(buf)
	for i := range rows {
		ln := &rows[i]
		if ln.skip != "" {
			continue
		}
		buf = append(buf, ln.lineID...)
		var amount, paid string
		if ln.amount != nil {
			amount = ln.amount.Text('f')
		}
		if ln.kind == "adjustment" {
			paid = ln.prev.paid.Text('f')
		}
		for _, f := range [...]string{r.runID, s.Subject, s.Period.Label, start, end, ln.res.Incentive.Name, ln.res.Incentive.Code,
			ln.status, amount} {
			buf = append(buf, ',')
			buf = textenc.AppendCell(buf, f)
		}
		buf = append(buf, r.policyCells...) // currency, policy, policy_version, policy_digest
		for _, f := range [...]string{ln.kind, paid} {
			buf = append(buf, ',')
			buf = textenc.AppendCell(buf, f)
		}
		buf = append(buf, extras...)
		buf = append(buf, '\n')
	}
	csvLen := len(buf) - rowsAt
	w := textenc.JSON{B: buf}
	var sum money.Total
	nrows := 0
	for i := range rows {
		ln := &rows[i]
		if ln.skip != "" {
			continue
		}
		encodeExplanation(&w, s, ln)
		w.B = append(w.B, '\n')
		if ln.amount != nil {
			sum.Add(ln.amount)
		}
		nrows++
	}
	buf = w.B
	review := false
	for i := range rows {
		review = review || rows[i].res.Status == evaluator.IncentiveNoData
	}
	if csvLen == 0 && !review {
		buf = buf[:keyAt] // nothing to write for this snapshot
	} else {
		exLen := len(buf) - rowsAt - csvLen
		// The subject's share of totals.csv: subject NUL amount NUL rows,
		// NUL its import.csv lines, then NUL and its review.csv lines.
		buf = append(buf, s.Subject...)
		buf = append(buf, 0)
		buf = append(buf, sum.Decimal().Text('f')...)
		if err := sum.Err(); err != nil {
			r.setErr(err)
		}
		buf = append(buf, 0)
		buf = strconv.AppendInt(buf, int64(nrows), 10)
		buf = append(buf, 0)
		for i := range rows { // import.csv's lines: the rows to pay
			ln := &rows[i]
			if ln.skip != "" || ln.amount == nil || ln.amount.IsZero() {
				continue
			}
			buf = append(buf, ln.lineID...)
			for _, f := range [...]string{s.Subject, s.Period.Label, start, end, ln.res.Incentive.Name, ln.res.Incentive.Code, ln.kind, ln.amount.Text('f'), rp.Currency} {
				buf = append(buf, ',')
				buf = textenc.AppendCell(buf, f)
			}
			buf = append(buf, extras...)
			buf = append(buf, r.payDateCell...)
		}
		buf = append(buf, 0)
		for i := range rows {
			if ln := &rows[i]; ln.res.Status == evaluator.IncentiveNoData {
				id := lineID(rp.Name, s.Subject, s.Period.Label, ln.res.Incentive.Name)
				buf = textenc.AppendCSVLine(buf, s.Subject, s.Period.Label, ln.res.Incentive.Name, id, ln.res.Why())
			}
		}
		binary.LittleEndian.PutUint32(buf[lenAt:], uint32(len(buf)-lenAt-4))
		binary.LittleEndian.PutUint32(buf[lenAt+4:], uint32(csvLen))
		binary.LittleEndian.PutUint32(buf[lenAt+8:], uint32(exLen))
	}
	r.mu.Lock()
	for i := range rows {
		r.count(&rows[i])
	}
	if csvLen > 0 {
		if r.periods == nil {
			r.periods = map[string]bool{}
		}
		r.periods[s.Period.Label] = true
	}
	r.mu.Unlock()
	return buf
}

// payrollLine is one line computed now, with what becomes of it.
type payrollLine struct {
	res    *evaluator.IncentiveResult
	lineID string
	kind   string // original or adjustment
	status string
	amount *apd.Decimal // the row's amount: the whole amount, or the difference
	prev   *prevLine
	skip   string // "", "unchanged" or "needs_review": no row
}

func (r *payrollRun) count(ln *payrollLine) {
	m := r.m
	if ln.res.Status == evaluator.IncentiveNoData {
		m.NeedsReview++
	}
	switch ln.skip {
	case "unchanged":
		m.Unchanged++
		return
	case "needs_review":
		return
	}
	if ln.kind == "adjustment" {
		m.Adjustment++
	} else {
		m.Original++
	}
	r.acc.count(m, ln.res.Incentive.Name, ln.res.Incentive.Code, r.rp.Currency, ln.status, ln.kind, ln.amount)
}

// encodeExplanation writes one line of explanations.ndjson.
func encodeExplanation(w *textenc.JSON, s *evaluator.Snapshot, ln *payrollLine) {
	in := ln.res
	w.Raw("{")
	w.Key("line_id")
	w.Str(ln.lineID)
	w.Key("kind")
	w.Str(ln.kind)
	w.Key("subject")
	w.Str(s.Subject)
	w.Key("period")
	w.Str(s.Period.Label)
	w.Key("incentive")
	w.Str(in.Incentive.Name)
	w.Key("status")
	w.Str(ln.status)
	w.Key("amount")
	if ln.amount != nil {
		w.Str(ln.amount.Text('f'))
	} else {
		w.Raw("null")
	}
	if ln.kind == "adjustment" {
		w.Key("paid_before")
		w.Str(ln.prev.paid.Text('f'))
		w.Key("new_amount")
		w.Str(in.Amount.Text('f'))
	}
	w.Key("tier")
	w.StrOrNull(in.Tier)
	w.Key("why")
	w.Why(in)
	w.Key("steps")
	textenc.Steps(w, in.Steps)
	if ln.kind == "adjustment" {
		w.Key("was")
		w.Raw("{")
		w.Key("status")
		w.Str(ln.prev.status)
		w.Key("amount")
		w.StrOrNull(ln.prev.amount)
		w.Key("why")
		w.StrOrNull(ln.prev.why)
		w.Raw("}")
	}
	w.Raw("}")
}

// add takes a batch of sort records from the stream.
func (r *payrollRun) add(b []byte) error {
	for len(b) > 0 {
		kl, n := binary.Uvarint(b)
		key := b[n : n+int(kl)]
		b = b[n+int(kl):]
		vl := int(binary.LittleEndian.Uint32(b))
		val := b[4 : 4+vl]
		b = b[4+vl:]
		if err := r.addRecord(key, val); err != nil {
			r.sortErr = err
			return err
		}
	}
	return nil
}

// addRecord writes one record to the export while records come in order
// of subject and period, and keeps it in the sort once one has not (with
// every record written before it).
func (r *payrollRun) addRecord(key, val []byte) error {
	if d := r.direct; d != nil {
		if d.accepts(key) {
			return d.write(key, val)
		}
		r.direct = nil
		if err := d.replay(r.sorter.Add); err != nil {
			return err
		}
	}
	return r.sorter.Add(key, val)
}

// writeFiles finishes the export's files: those written in order as the
// records came, or, when they did not come in order, all of them from the
// sort.
func (r *payrollRun) writeFiles(dir string) error {
	if d := r.direct; d != nil {
		r.direct = nil
		defer d.discardIndex()
		return d.w.finish(r.m)
	}
	w, err := newExportWriter(dir, r.columns(), importColumns(r.m.ExtraColumns), r.rp.Currency, r.rp.MinorUnit)
	if err != nil {
		return err
	}
	if err := r.sorter.Each(w.write); err != nil {
		w.abort()
		return fmt.Errorf("writing the export: %w", err)
	}
	return w.finish(r.m)
}

// columns are payroll.csv's columns: the standard ones and the extras.
func (r *payrollRun) columns() []string {
	return append(slices.Clone(payrollColumns), r.m.ExtraColumns...)
}

// discard stops and removes what a run that does not finish has written.
func (r *payrollRun) discard() {
	if r.direct != nil {
		r.direct.discard()
		r.direct = nil
	}
}

// totals accumulates per incentive and currency, in first-seen order of
// the policy's incentives.
type totals struct {
	order []totalKey
	by    map[totalKey]*totalAcc
}

type totalKey struct{ incentive, currency string }

type totalAcc struct {
	t                      ManifestTotal
	sum, orig, plus, minus money.Total
}

func newTotals() *totals { return &totals{by: map[totalKey]*totalAcc{}} }

// count adds one payroll row to the counts of m and the totals.
func (t *totals) count(m *Manifest, incentive, code, currency, status, kind string, amount *apd.Decimal) {
	m.Rows++
	m.StatusCounts[status]++
	key := totalKey{incentive, currency}
	acc := t.by[key]
	if acc == nil {
		acc = &totalAcc{t: ManifestTotal{Incentive: incentive, Code: code, Currency: currency}}
		t.by[key] = acc
		t.order = append(t.order, key)
	}
	acc.t.Rows++
	if amount == nil {
		return
	}
	acc.sum.Add(amount)
	switch {
	case kind != "adjustment":
		acc.orig.Add(amount)
	case amount.Sign() > 0:
		acc.plus.Add(amount)
	default:
		acc.minus.Add(amount)
	}
}

// err is the first failed operation of any total.
func (t *totals) err() error {
	for _, acc := range t.by {
		for _, tot := range []*money.Total{&acc.sum, &acc.orig, &acc.plus, &acc.minus} {
			if err := tot.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// setErr records the first failed money operation of the run.
func (r *payrollRun) setErr(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
}

// moneyErr is the first failed money operation of the run, or nil.
func (r *payrollRun) moneyErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	return r.acc.err()
}

// list returns the totals sorted by incentive and currency; the split
// sums are written with the currency's minor digits.
func (t *totals) list(minor int) []ManifestTotal {
	keys := slices.Clone(t.order)
	slices.SortFunc(keys, func(a, b totalKey) int {
		return cmp.Or(strings.Compare(a.incentive, b.incentive), strings.Compare(a.currency, b.currency))
	})
	out := make([]ManifestTotal, 0, len(keys))
	for _, k := range keys {
		acc := t.by[k]
		tt := acc.t
		tt.Amount = acc.sum.Format(minor)
		tt.Original, tt.Positive, tt.Negative, tt.Net = acc.orig.Format(minor), acc.plus.Format(minor), acc.minus.Format(minor), acc.sum.Format(minor)
		out = append(out, tt)
	}
	return out
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// ManifestInput is one file of an input of several.
type ManifestInput struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// inputDigest is the SHA-256 of one input file; for several, the SHA-256
// of their digests (hex, one a line, in order), with each file's.
func inputDigest(files []string) (string, []ManifestInput, error) {
	if len(files) == 1 {
		sum, err := fileSHA256(files[0])
		return sum, nil, err
	}
	h := sha256.New()
	inputs := make([]ManifestInput, len(files))
	for i, f := range files {
		sum, err := fileSHA256(f)
		if err != nil {
			return "", nil, err
		}
		inputs[i] = ManifestInput{Name: filepath.Base(f), SHA256: sum}
		io.WriteString(h, sum+"\n")
	}
	return hex.EncodeToString(h.Sum(nil)), inputs, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
