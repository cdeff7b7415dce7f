package engine

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"

	"golang.org/x/sys/unix"

	"github.com/rubric-dev/rubric/engine/internal/extsort"
	"github.com/rubric-dev/rubric/engine/internal/fsutil"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// payrollColumns are the columns of payroll.csv (docs/payroll.md).
var payrollColumns = []string{"line_id", "run_id", "subject", "period", "coverage_start", "coverage_end",
	"incentive", "code", "status", "amount", "currency", "policy", "policy_version", "policy_digest", "kind", "paid_before"}

// PayrollColumns returns the columns of payroll.csv.
func PayrollColumns() []string { return slices.Clone(payrollColumns) }

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
)

var exportFiles = []string{explanationsFile, manifestFile, payrollFile, totalsFile}

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
	// ExtraColumns are the attributes marked payroll = true, exported after
	// the fixed columns of payroll.csv, in declaration order.
	ExtraColumns []string     `json:"extra_columns"`
	PayrollCSV   ManifestFile `json:"payroll_csv"`
	Explanations ManifestFile `json:"explanations"`
	TotalsCSV    ManifestFile `json:"totals_csv"`
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

// PayrollOptions control Payroll.
type PayrollOptions struct {
	Dir         string    // the export directory
	Force       bool      // replace an existing, different export
	SkipInvalid string    // rejects file; "" fails on bad input
	Against     []string  // earlier exports: write a correction (docs/payroll.md)
	Strict      bool      // fail, writing nothing, when any line is no_data
	Progress    *Progress // counts what is read, for a progress display
	Workers     int
	SortMemory  int // bytes of rows sorted in memory before spilling; 0: 8 MiB
}

// PayrollResult says what Payroll did.
type PayrollResult struct {
	*StreamResult
	Manifest  *Manifest
	Unchanged bool // the same export was already in Dir; nothing was written
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

// ErrPayroll is a payroll run refused for a reason of the payroll itself:
// an earlier export that does not verify or belongs to another policy, a
// strict run with lines to review, a concurrent run. Nothing was written.
type ErrPayroll struct{ Msg string }

func (e *ErrPayroll) Error() string { return e.Msg }

// payrollWriterHook wraps the payroll.csv writer; tests use it to simulate
// a failing disk.
var payrollWriterHook = func(w io.Writer) io.Writer { return w }

// Payroll evaluates in and writes payroll.csv, explanations.ndjson and
// manifest.json into opts.Dir, atomically: into a temporary directory
// beside it, renamed into place when complete. With opts.Against it writes
// a correction: the differences against what the earlier exports paid.
func (p *Policy) Payroll(in Input, opts PayrollOptions) (*PayrollResult, error) {
	if opts.Dir == "" {
		return nil, errors.New("payroll: no output directory")
	}
	if opts.SortMemory <= 0 {
		opts.SortMemory = 8 << 20
	}
	// The input is read from a file so that its digest is known: standard
	// input is spooled first.
	if in.Name == "-" {
		if in.Format == "" {
			return nil, errors.New("reading standard input needs an input format")
		}
		path, cleanup, err := spool(in)
		if err != nil {
			return nil, err
		}
		defer cleanup()
		in = Input{Name: path, Format: in.Format, Periods: in.Periods}
	}
	inputSum, err := fileSHA256(in.Name)
	if err != nil {
		return nil, err
	}
	rp := p.Rules
	prev, against, err := loadAgainst(opts.Against, rp)
	if err != nil {
		return nil, err
	}
	if against == nil {
		against = []ManifestAgainst{}
	}
	version := Version()
	runParts := []string{"rubric-run", rp.Digest, inputSum, version}
	if len(in.Periods) > 0 {
		runParts = append(runParts, "periods", strings.Join(in.Periods, ","))
	}
	for _, a := range against {
		runParts = append(runParts, a.RunID, a.ManifestSHA256)
	}
	runID := shortHash(runParts...)

	clean := filepath.Clean(opts.Dir)
	parent := filepath.Dir(clean)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	unlock, err := lockExport(clean)
	if err != nil {
		return nil, err
	}
	defer unlock()
	tmp, err := fsutil.MkdirTemp(parent, "."+filepath.Base(clean)+".tmp-*")
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
			Against:      against,
			ExtraColumns: extras,
			Periods:      in.Periods,
			StatusCounts: map[string]int{"earned": 0, "not_earned": 0, "ineligible": 0, "no_data": 0},
		},
		sorter: extsort.New(tmp, opts.SortMemory),
	}
	defer run.sorter.Close()
	if run.spool, err = os.Create(filepath.Join(tmp, ".in-order")); err != nil {
		return nil, err
	}
	defer run.spool.Close()
	run.spoolW, run.inOrder = bufio.NewWriterSize(run.spool, 1<<16), true
	sopts := StreamOptions{SkipInvalid: opts.SkipInvalid, Workers: opts.Workers, IncentivesOnly: true, Explain: true, Progress: opts.Progress}
	if opts.SkipInvalid != "" {
		// The rejects file is written beside the export, moved to where it
		// was asked once the export is whole.
		sopts.SkipInvalid = filepath.Join(tmp, ".rejects.csv")
	}
	res, err := p.Stream(in, sopts, run.encode, run.add)
	if err != nil {
		return nil, err
	}
	out := &PayrollResult{StreamResult: res}
	if res.Failed() {
		return out, nil
	}
	if run.sortErr != nil {
		return nil, run.sortErr
	}
	m := run.m
	m.Snapshots = res.Evaluated
	for _, pl := range prev {
		if !pl.seen.Load() {
			m.NotInInput++
		}
	}
	if opts.Strict && m.NeedsReview > 0 {
		return nil, &ErrPayroll{Msg: fmt.Sprintf("%d line(s) are no_data and need review; a strict run writes nothing until they have data", m.NeedsReview)}
	}
	if err := run.writeFiles(tmp); err != nil {
		return nil, err
	}
	m.Totals = run.acc.list(rp.MinorUnit)
	if opts.SkipInvalid != "" {
		sum, err := fileSHA256(sopts.SkipInvalid)
		if err != nil {
			return nil, err
		}
		m.Rejected = &ManifestReject{Rows: res.Rejected, SHA256: sum}
	}
	mb, err := manifestBytes(m)
	if err != nil {
		return nil, err
	}
	if err := writeFileSync(filepath.Join(tmp, manifestFile), mb); err != nil {
		return nil, err
	}
	out.Manifest = m

	// Into place.
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
	run.sorter.Close()
	run.spool.Close()
	if err := os.Remove(run.spool.Name()); err != nil { // the export holds its own files only
		return nil, err
	}
	if err := os.Chmod(tmp, fsutil.DirMode()); err != nil { // MkdirTemp makes it private
		return nil, err
	}
	for _, f := range exportFiles {
		if err := os.Chmod(filepath.Join(tmp, f), fsutil.FileMode()); err != nil {
			return nil, err
		}
	}
	if err := replaceDir(tmp, clean); err != nil {
		return nil, err
	}
	fsutil.Forget(tmp)
	committed = true
	return out, nil
}

// payrollRun is the state of one export while snapshots stream through.
type payrollRun struct {
	rp    *rules.Policy
	runID string
	prev  map[string]*prevLine // by original line_id; nil without --against
	// Records in key order so far go to spool; the first out of order
	// moves them all into sorter.
	inOrder bool
	lastKey []byte
	spool   *os.File
	spoolW  *bufio.Writer
	hdr     [binary.MaxVarintLen64]byte
	extras  []*rules.Attribute // payroll = true attributes: extra columns
	sorter  *extsort.Sorter
	sortErr error

	mu  sync.Mutex // guards m's counts and acc
	m   *Manifest
	acc *totals
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
				exactDec.Sub(diff, in.Amount, &pl.paid)
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
			ln.status, amount, rp.Currency, rp.Name, rp.Version, rp.Digest, ln.kind, paid} {
			buf = append(buf, ',')
			buf = appendCSVCell(buf, f)
		}
		for _, a := range r.extras {
			buf = append(buf, ',')
			if v := s.Values[a.Decl.Slot]; v.Has() {
				text := v.Str
				if v.Kind != evaluator.String {
					text = v.String()
				}
				buf = appendCSVCell(buf, text)
			}
		}
		buf = append(buf, '\n')
	}
	csvLen := len(buf) - rowsAt
	w := jsonBuf{b: buf}
	var sum apd.Decimal
	nrows := 0
	for i := range rows {
		ln := &rows[i]
		if ln.skip != "" {
			continue
		}
		encodeExplanation(&w, s, ln)
		w.b = append(w.b, '\n')
		if ln.amount != nil {
			exactDec.Add(&sum, &sum, ln.amount)
		}
		nrows++
	}
	buf = w.b
	if csvLen == 0 {
		buf = buf[:keyAt] // nothing to write for this snapshot
	} else {
		exLen := len(buf) - rowsAt - csvLen
		// The subject's share of totals.csv: subject NUL amount NUL rows.
		buf = append(buf, s.Subject...)
		buf = append(buf, 0)
		buf = append(buf, sum.Text('f')...)
		buf = append(buf, 0)
		buf = strconv.AppendInt(buf, int64(nrows), 10)
		binary.LittleEndian.PutUint32(buf[lenAt:], uint32(len(buf)-lenAt-4))
		binary.LittleEndian.PutUint32(buf[lenAt+4:], uint32(csvLen))
		binary.LittleEndian.PutUint32(buf[lenAt+8:], uint32(exLen))
	}
	r.mu.Lock()
	for i := range rows {
		r.count(&rows[i])
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
func encodeExplanation(w *jsonBuf, s *evaluator.Snapshot, ln *payrollLine) {
	in := ln.res
	w.raw("{")
	w.key("line_id")
	w.str(ln.lineID)
	w.key("kind")
	w.str(ln.kind)
	w.key("subject")
	w.str(s.Subject)
	w.key("period")
	w.str(s.Period.Label)
	w.key("incentive")
	w.str(in.Incentive.Name)
	w.key("status")
	w.str(ln.status)
	w.key("amount")
	if ln.amount != nil {
		w.str(ln.amount.Text('f'))
	} else {
		w.raw("null")
	}
	if ln.kind == "adjustment" {
		w.key("paid_before")
		w.str(ln.prev.paid.Text('f'))
		w.key("new_amount")
		w.str(in.Amount.Text('f'))
	}
	w.key("tier")
	w.strOrNull(in.Tier)
	w.key("why")
	w.str(in.Why)
	w.key("steps")
	encodeSteps(w, in.Steps)
	if ln.kind == "adjustment" {
		w.key("was")
		w.raw("{")
		w.key("status")
		w.str(ln.prev.status)
		w.key("amount")
		w.strOrNull(ln.prev.amount)
		w.key("why")
		w.strOrNull(ln.prev.why)
		w.raw("}")
	}
	w.raw("}")
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

// addRecord keeps one record. Exports usually arrive sorted by subject and
// period: while they do, records are appended to a plain spool file, which
// is already in the order payroll.csv needs (no sorting, no merging); the
// first record out of order moves everything into the external sort.
func (r *payrollRun) addRecord(key, val []byte) error {
	if r.inOrder {
		if bytes.Compare(key, r.lastKey) > 0 {
			r.lastKey = append(r.lastKey[:0], key...)
			r.spoolW.Write(binary.AppendUvarint(r.hdr[:0], uint64(len(key))))
			r.spoolW.Write(key)
			r.spoolW.Write(binary.AppendUvarint(r.hdr[:0], uint64(len(val))))
			_, err := r.spoolW.Write(val)
			return err
		}
		if err := r.unspool(); err != nil {
			return err
		}
	}
	return r.sorter.Add(string(key), val)
}

// unspool moves the records kept in order into the external sort.
func (r *payrollRun) unspool() error {
	r.inOrder = false
	return r.eachSpooled(func(key, val []byte) error { return r.sorter.Add(string(key), val) })
}

// eachSpooled reads the in-order spool from its start.
func (r *payrollRun) eachSpooled(fn func(key, val []byte) error) error {
	if err := r.spoolW.Flush(); err != nil {
		return err
	}
	if _, err := r.spool.Seek(0, io.SeekStart); err != nil {
		return err
	}
	br := bufio.NewReaderSize(r.spool, 1<<16)
	var key, val []byte
	for {
		kl, err := binary.ReadUvarint(br)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		key = slices.Grow(key[:0], int(kl))[:kl]
		if _, err := io.ReadFull(br, key); err != nil {
			return err
		}
		vl, err := binary.ReadUvarint(br)
		if err != nil {
			return err
		}
		val = slices.Grow(val[:0], int(vl))[:vl]
		if _, err := io.ReadFull(br, val); err != nil {
			return err
		}
		if err := fn(key, val); err != nil {
			return err
		}
	}
}

// each calls fn with every record's value in key order.
func (r *payrollRun) each(fn func(val []byte) error) error {
	if r.inOrder {
		return r.eachSpooled(func(_, val []byte) error { return fn(val) })
	}
	return r.sorter.Each(fn)
}

// writeFiles writes payroll.csv, explanations.ndjson and totals.csv from
// the sorted records, and their digests into the manifest.
func (r *payrollRun) writeFiles(dir string) error {
	var files [3]*os.File
	for i, name := range []string{payrollFile, explanationsFile, totalsFile} {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		files[i] = f
	}
	sums := [3]hash.Hash{sha256.New(), sha256.New(), sha256.New()}
	counts := [3]*countWriter{{}, {}, {}}
	var ws [3]*bufio.Writer
	for i := range files {
		var w io.Writer = files[i]
		if i == 0 {
			w = payrollWriterHook(w)
		}
		ws[i] = bufio.NewWriterSize(io.MultiWriter(w, sums[i], counts[i]), 1<<16)
	}
	ws[0].Write(encodeCSV(append(slices.Clone(payrollColumns), r.m.ExtraColumns...)))
	ws[2].Write(encodeCSV(totalsColumns))
	// Records come sorted by subject: a subject's total is complete when
	// the next subject begins.
	var subject string
	var total apd.Decimal
	rows, started := 0, false
	flushSubject := func() error {
		if !started {
			return nil
		}
		_, err := ws[2].Write(encodeCSV([]string{subject, r.rp.Currency, money(&total, r.rp.MinorUnit), strconv.Itoa(rows)}))
		return err
	}
	err := r.each(func(rec []byte) error {
		csvLen := int(binary.LittleEndian.Uint32(rec))
		exLen := int(binary.LittleEndian.Uint32(rec[4:]))
		body := rec[8:]
		if _, err := ws[0].Write(body[:csvLen]); err != nil {
			return err
		}
		if _, err := ws[1].Write(body[csvLen : csvLen+exLen]); err != nil {
			return err
		}
		parts := bytes.SplitN(body[csvLen+exLen:], []byte{0}, 3)
		if !started || string(parts[0]) != subject {
			if err := flushSubject(); err != nil {
				return err
			}
			subject, total, rows, started = string(parts[0]), apd.Decimal{}, 0, true
		}
		d, _, err := apd.NewFromString(string(parts[1]))
		if err != nil {
			return err
		}
		exactDec.Add(&total, &total, d)
		n, _ := strconv.Atoi(string(parts[2]))
		rows += n
		return nil
	})
	if err == nil {
		err = flushSubject()
	}
	for i := range files {
		if err == nil {
			err = ws[i].Flush()
		}
		if err == nil {
			err = files[i].Sync()
		}
		if cerr := files[i].Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("writing the export: %w", err)
	}
	file := func(name string, i int) ManifestFile {
		return ManifestFile{Name: name, SHA256: hex.EncodeToString(sums[i].Sum(nil)), Bytes: counts[i].n}
	}
	r.m.PayrollCSV, r.m.Explanations, r.m.TotalsCSV = file(payrollFile, 0), file(explanationsFile, 1), file(totalsFile, 2)
	return nil
}

// money writes a sum with the currency's minor digits.
func money(d *apd.Decimal, minor int) string {
	var q apd.Decimal
	c := apd.BaseContext.WithPrecision(60)
	c.Quantize(&q, d, -int32(minor))
	if q.IsZero() {
		q.Negative = false
	}
	return q.Text('f')
}

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
		if !slices.Contains(exportFiles, e.Name()) || !e.Type().IsRegular() {
			return false, &ErrExportExists{Dir: dir, NotExport: fmt.Sprintf("it holds %s", e.Name())}
		}
	}
	existing, err := readBounded(filepath.Join(dir, manifestFile), maxManifest)
	if err != nil {
		return false, &ErrExportExists{Dir: dir, NotExport: "its manifest.json cannot be read: " + err.Error()}
	}
	probs, verr := VerifyPayroll(dir)
	intact := verr == nil && len(probs) == 0
	if bytes.Equal(existing, manifest) && intact {
		return true, nil
	}
	if force {
		return false, nil
	}
	var old Manifest
	if err := json.Unmarshal(existing, &old); err != nil || old.RunID == "" {
		return false, &ErrExportExists{Dir: dir}
	}
	if old.RunID == runID && !intact {
		return false, &ErrPayroll{Msg: fmt.Sprintf("%s holds this run's export (run %s), but it was changed after it was written (%s); refusing to overwrite it unless forced", dir, runID, firstOr(probs, verr))}
	}
	return false, &ErrExportExists{Dir: dir, Have: old.RunID, Want: runID}
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
	path := filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, &ErrPayroll{Msg: fmt.Sprintf("another rubric payroll is writing %s; try again when it has finished", dir)}
	}
	fsutil.Track(path)
	return func() {
		fsutil.Remove(path)
		unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	}, nil
}

// replaceDir moves the directory tmp to dir, replacing dir if it exists:
// the old directory is moved aside first and restored if the move fails.
// The final rename never replaces a directory that appeared meanwhile.
func replaceDir(tmp, dir string) error {
	if err := renameNoReplace(tmp, dir); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrExist) && !errors.Is(err, unix.EEXIST) && !errors.Is(err, unix.ENOTEMPTY) {
		return err
	}
	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil {
		return fmt.Errorf("moving the old export aside: %w", err)
	}
	if err := renameNoReplace(tmp, dir); err != nil {
		os.Rename(old, dir)
		return err
	}
	if err := os.RemoveAll(old); err != nil {
		// A read-only old export: make it writable, then remove it.
		filepath.WalkDir(old, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o700)
			}
			return nil
		})
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("the new export is in place, but the old one could not be removed from %s: %w", old, err)
		}
	}
	return nil
}

// renameNoReplace renames src to dst unless dst exists
// (renameat2(RENAME_NOREPLACE) where the system has it).
func renameNoReplace(src, dst string) error {
	err := unix.Renameat2(unix.AT_FDCWD, src, unix.AT_FDCWD, dst, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) {
		if _, serr := os.Lstat(dst); serr == nil {
			return os.ErrExist
		}
		return os.Rename(src, dst)
	}
	return err
}

func manifestBytes(m *Manifest) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func writeFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
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

// exactDec does exact decimal sums and differences of amounts.
var exactDec = apd.BaseContext

// totals accumulates per incentive and currency, in first-seen order of
// the policy's incentives.
type totals struct {
	order []string
	by    map[string]*totalAcc
}

type totalAcc struct {
	t                      ManifestTotal
	sum, orig, plus, minus apd.Decimal
}

func newTotals() *totals { return &totals{by: map[string]*totalAcc{}} }

// count adds one payroll row to the counts of m and the totals.
func (t *totals) count(m *Manifest, incentive, code, currency, status, kind string, amount *apd.Decimal) {
	m.Rows++
	m.StatusCounts[status]++
	key := incentive + "\x00" + currency
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
	exactDec.Add(&acc.sum, &acc.sum, amount)
	switch {
	case kind != "adjustment":
		exactDec.Add(&acc.orig, &acc.orig, amount)
	case amount.Sign() > 0:
		exactDec.Add(&acc.plus, &acc.plus, amount)
	default:
		exactDec.Add(&acc.minus, &acc.minus, amount)
	}
}

// list returns the totals sorted by incentive and currency; the split
// sums are written with the currency's minor digits.
func (t *totals) list(minor int) []ManifestTotal {
	keys := append([]string(nil), t.order...)
	sort.Strings(keys)
	out := make([]ManifestTotal, 0, len(keys))
	for _, k := range keys {
		acc := t.by[k]
		tt := acc.t
		tt.Amount = acc.sum.Text('f')
		tt.Original, tt.Positive, tt.Negative, tt.Net = money(&acc.orig, minor), money(&acc.plus, minor), money(&acc.minus, minor), money(&acc.sum, minor)
		out = append(out, tt)
	}
	return out
}

// Bounds on what verification reads.
const (
	maxManifest    = 4 << 20
	maxExplanation = 4 << 20 // one line of explanations.ndjson
)

// readBounded reads a regular file (not a symlink) of at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", filepath.Base(path))
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", filepath.Base(path), limit)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}

// exportRow is a row of an export's payroll.csv with its explanation.
type exportRow struct {
	rec []string
	why string
}

// VerifyPayroll checks an export without trusting it: the exact set of
// regular files, the manifest's digests, sizes, counts and totals, every
// line_id and the run_id recomputed, unique line_ids, each row's status
// and amount consistent and written with the currency's minor digits,
// and explanations.ndjson line for line with payroll.csv. It returns the
// differences; none means the export is intact and consistent. It cannot
// prove who wrote the export (docs/payroll.md).
func VerifyPayroll(dir string) ([]string, error) {
	probs, _, _, err := verifyExport(dir, nil)
	return probs, err
}

// verifyExport is VerifyPayroll; each row, when visit is set, is passed to
// it with its explanation's why.
func verifyExport(dir string, visit func(exportRow)) ([]string, *Manifest, []byte, error) {
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	if !fi.IsDir() {
		return nil, nil, nil, fmt.Errorf("%s is not a directory", dir)
	}
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, e := range entries {
		switch {
		case !slices.Contains(exportFiles, e.Name()):
			add("%s is not a file of an export", e.Name())
		case !e.Type().IsRegular():
			add("%s is not a regular file", e.Name())
		}
	}
	mb, err := readBounded(filepath.Join(dir, manifestFile), maxManifest)
	if err != nil {
		return nil, nil, nil, err
	}
	var m Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return append(probs, fmt.Sprintf("manifest.json is not valid JSON: %v", err)), nil, mb, nil
	}
	if m.Format != ManifestFormat {
		add("manifest.json: format %q, want %q", m.Format, ManifestFormat)
	}
	minor, ok := rules.MinorUnit(m.Currency)
	if !ok {
		add("manifest.json: currency %q is not an ISO 4217 code", m.Currency)
	}
	runParts := []string{"rubric-run", m.Policy.Digest, m.InputSHA256, m.EngineVersion}
	if len(m.Periods) > 0 {
		runParts = append(runParts, "periods", strings.Join(m.Periods, ","))
	}
	for _, a := range m.Against {
		runParts = append(runParts, a.RunID, a.ManifestSHA256)
	}
	if want := shortHash(runParts...); m.RunID != want {
		add("manifest.json: run_id %s is not the one its policy, input, engine and earlier exports give (%s)", m.RunID, want)
	}
	for _, f := range []ManifestFile{m.PayrollCSV, m.Explanations, m.TotalsCSV} {
		fi, err := os.Lstat(filepath.Join(dir, f.Name))
		switch {
		case f.Name != payrollFile && f.Name != explanationsFile && f.Name != totalsFile:
			add("manifest.json names the file %q", f.Name)
			return probs, &m, mb, nil
		case err != nil:
			add("%s: %v", f.Name, err)
			return probs, &m, mb, nil
		case !fi.Mode().IsRegular():
			return probs, &m, mb, nil // reported above
		case fi.Size() != f.Bytes:
			add("%s: %d bytes, the manifest says %d", f.Name, fi.Size(), f.Bytes)
			if fi.Size() > f.Bytes+16<<20 {
				return probs, &m, mb, nil // far from what was written: not worth reading
			}
		}
	}
	csvF, err := os.Open(filepath.Join(dir, payrollFile))
	if err != nil {
		return nil, nil, nil, err
	}
	defer csvF.Close()
	exF, err := os.Open(filepath.Join(dir, explanationsFile))
	if err != nil {
		return nil, nil, nil, err
	}
	defer exF.Close()
	csvSum, exSum := sha256.New(), sha256.New()
	r := csv.NewReader(io.TeeReader(csvF, csvSum))
	r.ReuseRecord = false
	ex := bufio.NewScanner(io.TeeReader(exF, exSum))
	ex.Buffer(make([]byte, 64<<10), maxExplanation)
	got := &Manifest{StatusCounts: map[string]int{"earned": 0, "not_earned": 0, "ineligible": 0, "no_data": 0}}
	acc := newTotals()
	header, err := r.Read()
	if err != nil {
		return append(probs, fmt.Sprintf("payroll.csv: %v", err)), &m, mb, nil
	}
	wantHeader := append(slices.Clone(payrollColumns), m.ExtraColumns...)
	if !slices.Equal(header, wantHeader) {
		add("payroll.csv: the header is %v, want %v", header, wantHeader)
		return probs, &m, mb, nil
	}
	r.FieldsPerRecord = len(wantHeader)
	type subjectTotal struct {
		sum  apd.Decimal
		rows int
	}
	bySubject := map[string]*subjectTotal{}
	var subjects []string
	seen := map[string]int{}
	line := 1
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			add("payroll.csv: %v", err)
			break
		}
		why := ""
		if !ex.Scan() {
			add("explanations.ndjson has fewer lines than payroll.csv has rows (%d)", line-1)
		} else {
			var e struct {
				LineID string `json:"line_id"`
				Why    string `json:"why"`
			}
			if err := json.Unmarshal(ex.Bytes(), &e); err != nil {
				add("explanations.ndjson line %d: %v", line-1, err)
			} else if e.LineID != rec[pcLineID] {
				add("explanations.ndjson line %d is about line %s; payroll.csv line %d is %s", line-1, e.LineID, line, rec[pcLineID])
			}
			why = e.Why
		}
		for _, p := range checkRow(rec, &m, minor) {
			add("payroll.csv line %d: %s", line, p)
		}
		if first, dup := seen[rec[pcLineID]]; dup {
			add("payroll.csv line %d: line_id %s is already at line %d", line, rec[pcLineID], first)
		} else {
			seen[rec[pcLineID]] = line
		}
		amount, err := parseAmount(rec[pcAmount])
		if err != nil {
			add("payroll.csv line %d: %v", line, err)
		}
		acc.count(got, rec[pcIncentive], rec[pcCode], rec[pcCurrency], rec[pcStatus], rec[pcKind], amount)
		st := bySubject[rec[pcSubject]]
		if st == nil {
			st = &subjectTotal{}
			bySubject[rec[pcSubject]] = st
			subjects = append(subjects, rec[pcSubject])
		}
		st.rows++
		if amount != nil {
			exactDec.Add(&st.sum, &st.sum, amount)
		}
		if visit != nil {
			visit(exportRow{rec: rec, why: why})
		}
	}
	io.Copy(csvSum, csvF)
	for ex.Scan() {
		add("explanations.ndjson has more lines than payroll.csv has rows")
		break
	}
	if err := ex.Err(); err != nil {
		add("explanations.ndjson: %v", err)
	}
	io.Copy(exSum, exF)
	if sum := hex.EncodeToString(csvSum.Sum(nil)); sum != m.PayrollCSV.SHA256 {
		add("payroll.csv: SHA-256 %s, the manifest says %s", sum, m.PayrollCSV.SHA256)
	}
	if sum := hex.EncodeToString(exSum.Sum(nil)); sum != m.Explanations.SHA256 {
		add("explanations.ndjson: SHA-256 %s, the manifest says %s", sum, m.Explanations.SHA256)
	}
	// totals.csv: what each subject is paid, recomputed from the rows.
	var wantTotals strings.Builder
	wantTotals.Write(encodeCSV(totalsColumns))
	for _, subj := range subjects {
		st := bySubject[subj]
		wantTotals.Write(encodeCSV([]string{subj, m.Currency, money(&st.sum, minor), strconv.Itoa(st.rows)}))
	}
	if tb, err := readBounded(filepath.Join(dir, totalsFile), m.TotalsCSV.Bytes+1); err != nil {
		add("totals.csv: %v", err)
	} else {
		if sum := sha256.Sum256(tb); hex.EncodeToString(sum[:]) != m.TotalsCSV.SHA256 {
			add("totals.csv: SHA-256 %s, the manifest says %s", hex.EncodeToString(sum[:]), m.TotalsCSV.SHA256)
		}
		if string(tb) != wantTotals.String() {
			add("totals.csv does not hold the totals per subject of payroll.csv")
		}
	}
	if got.Rows != m.Rows {
		add("payroll.csv: %d rows, the manifest says %d", got.Rows, m.Rows)
	}
	for _, s := range []string{"earned", "not_earned", "ineligible", "no_data"} {
		if got.StatusCounts[s] != m.StatusCounts[s] {
			add("status %s: %d rows, the manifest says %d", s, got.StatusCounts[s], m.StatusCounts[s])
		}
	}
	want := map[string]ManifestTotal{}
	for _, t := range m.Totals {
		want[t.Incentive+"\x00"+t.Currency] = t
	}
	for _, t := range acc.list(minor) {
		w, ok := want[t.Incentive+"\x00"+t.Currency]
		delete(want, t.Incentive+"\x00"+t.Currency)
		if !ok {
			add("total %s %s: %s, not in the manifest", t.Incentive, t.Currency, t.Amount)
			continue
		}
		if !decimalEqual(w.Amount, t.Amount) || w.Rows != t.Rows || w.Original != t.Original || w.Positive != t.Positive || w.Negative != t.Negative || w.Net != t.Net {
			add("total %s %s: %s over %d rows, the manifest says %s over %d", t.Incentive, t.Currency, t.Amount, t.Rows, w.Amount, w.Rows)
		}
	}
	for _, w := range want {
		add("total %s %s: in the manifest (%s) but no rows", w.Incentive, w.Currency, w.Amount)
	}
	return probs, &m, mb, nil
}

func parseAmount(s string) (*apd.Decimal, error) {
	if s == "" {
		return nil, nil
	}
	d, _, err := apd.NewFromString(s)
	if err != nil || d.Form != apd.Finite {
		return nil, fmt.Errorf("amount %q is not a decimal", s)
	}
	return d, nil
}

// checkRow checks one row's identity and its status, kind and amount.
func checkRow(rec []string, m *Manifest, minor int) []string {
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	if rec[pcRunID] != m.RunID {
		add("run_id %s, the manifest says %s", rec[pcRunID], m.RunID)
	}
	if rec[pcPolicy] != m.Policy.Name || rec[pcVersion] != m.Policy.Version || rec[pcDigest] != m.Policy.Digest {
		add("policy %s %s %s, the manifest says %s %s %s", rec[pcPolicy], rec[pcVersion], rec[pcDigest], m.Policy.Name, m.Policy.Version, m.Policy.Digest)
	}
	if rec[pcCurrency] != m.Currency {
		add("currency %s, the manifest says %s", rec[pcCurrency], m.Currency)
	}
	orig := lineID(rec[pcPolicy], rec[pcSubject], rec[pcPeriod], rec[pcIncentive])
	amount, err := parseAmount(rec[pcAmount])
	if err != nil {
		return append(probs, err.Error())
	}
	if amount != nil && amount.Exponent != -int32(minor) {
		add("amount %s does not have the %d minor digits of %s", rec[pcAmount], minor, m.Currency)
	}
	status := rec[pcStatus]
	switch rec[pcKind] {
	case "original":
		if rec[pcLineID] != orig {
			add("line_id %s is not the one its policy, subject, period and incentive give (%s)", rec[pcLineID], orig)
		}
		if rec[pcPaidBefore] != "" {
			add("an original row has paid_before %q", rec[pcPaidBefore])
		}
		switch {
		case status == "no_data" && amount != nil:
			add("a no_data row has the amount %s", rec[pcAmount])
		case status != "no_data" && amount == nil:
			add("a %s row has no amount", status)
		case (status == "ineligible" || status == "not_earned") && !amount.IsZero():
			add("a %s row has the amount %s", status, rec[pcAmount])
		case status == "earned" && amount.Sign() <= 0:
			add("an earned row has the amount %s", rec[pcAmount])
		case status != "earned" && status != "not_earned" && status != "ineligible" && status != "no_data":
			add("unknown status %q", status)
		}
	case "adjustment":
		if want := shortHash("rubric-adjustment", orig, m.RunID); rec[pcLineID] != want {
			add("line_id %s is not the adjustment id of line %s in run %s", rec[pcLineID], orig, m.RunID)
		}
		paid, err := parseAmount(rec[pcPaidBefore])
		if err != nil || paid == nil {
			add("an adjustment needs paid_before, not %q", rec[pcPaidBefore])
			break
		}
		if amount == nil || amount.IsZero() {
			add("an adjustment with no difference")
			break
		}
		now := new(apd.Decimal)
		exactDec.Add(now, paid, amount)
		switch {
		case status == "earned" && now.Sign() <= 0, (status == "ineligible" || status == "not_earned") && !now.IsZero():
			add("a %s adjustment brings the line to %s", status, now.Text('f'))
		case status != "earned" && status != "not_earned" && status != "ineligible":
			add("an adjustment has the status %q", status)
		}
	default:
		add("kind %q is neither original nor adjustment", rec[pcKind])
	}
	return probs
}

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
				exactDec.Add(&pl.paid, &pl.paid, amount)
			}
			pl.status, pl.why = rec[pcStatus], row.why
			pl.amount = ""
			if rec[pcStatus] != "no_data" {
				pl.amount = pl.paid.Text('f')
			}
		})
		switch {
		case err != nil:
			return nil, nil, &ErrPayroll{Msg: fmt.Sprintf("earlier export %s: %v", dir, err)}
		case len(probs) > 0:
			return nil, nil, &ErrPayroll{Msg: fmt.Sprintf("earlier export %s does not verify (%d problem(s); the first: %s); nothing was written", dir, len(probs), probs[0])}
		case m.Policy.Name != rp.Name || m.Currency != rp.Currency:
			return nil, nil, &ErrPayroll{Msg: fmt.Sprintf("earlier export %s is an export of policy %s in %s; this run is policy %s in %s; nothing was written", dir, m.Policy.Name, m.Currency, rp.Name, rp.Currency)}
		case rowErr != "":
			return nil, nil, &ErrPayroll{Msg: fmt.Sprintf("earlier export %s: %s; nothing was written", dir, rowErr)}
		}
		sum := sha256.Sum256(mb)
		a := ManifestAgainst{RunID: m.RunID, ManifestSHA256: hex.EncodeToString(sum[:])}
		if other, dup := seenRun[a.ManifestSHA256]; dup {
			return nil, nil, &ErrPayroll{Msg: fmt.Sprintf("earlier export %s is the same export as %s; each earlier export counts once", dir, other)}
		}
		seenRun[a.ManifestSHA256] = dir
		against = append(against, a)
	}
	for _, pl := range lines { // written with the currency's minor digits: 0.00, not 0
		c := apd.BaseContext.WithPrecision(60)
		c.Quantize(&pl.paid, &pl.paid, -int32(rp.MinorUnit))
	}
	// The run's identity does not depend on the order PREVs are named in.
	sort.Slice(against, func(i, j int) bool { return against[i].ManifestSHA256 < against[j].ManifestSHA256 })
	return lines, against, nil
}

func decimalEqual(a, b string) bool {
	x, _, err1 := apd.NewFromString(a)
	y, _, err2 := apd.NewFromString(b)
	return err1 == nil && err2 == nil && x.Cmp(y) == 0
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

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

// lineID is the stable id of one subject's incentive in one period.
func lineID(policy, subject, period, incentive string) string {
	return string(appendLineID(nil, policy, subject, period, incentive))
}

// appendCSVCell appends a CSV field that a spreadsheet will not run as a
// formula: text beginning with =, +, @, a tab or a carriage return, or
// with - not followed by a digit, is prefixed with ' (the OWASP rule);
// numbers, negative ones included, are written as they are.
func appendCSVCell(buf []byte, f string) []byte {
	if formulaLike(f) {
		return appendCSVField(buf, "'"+f)
	}
	return appendCSVField(buf, f)
}

func formulaLike(f string) bool {
	if f == "" {
		return false
	}
	switch f[0] {
	case '=', '+', '@', '\t', '\r':
		return true
	case '-':
		return len(f) == 1 || f[1] < '0' || f[1] > '9'
	}
	return false
}

// appendLineID appends the line id: shortHash("rubric-line", parts...),
// without allocating.
func appendLineID(buf []byte, policy, subject, period, incentive string) []byte {
	var tmp [512]byte
	b := append(tmp[:0], "rubric-line"...)
	for _, p := range [...]string{policy, subject, period, incentive} {
		b = append(b, 0)
		b = append(b, p...)
	}
	sum := sha256.Sum256(b)
	return hex.AppendEncode(buf, sum[:16])
}

// appendCSVField appends one CSV field, quoted when it must be (RFC 4180,
// as encoding/csv writes it).
func appendCSVField(buf []byte, f string) []byte {
	if !fieldNeedsQuotes(f) {
		return append(buf, f...)
	}
	buf = append(buf, '"')
	for i := 0; i < len(f); i++ {
		if f[i] == '"' {
			buf = append(buf, '"')
		}
		buf = append(buf, f[i])
	}
	return append(buf, '"')
}

// fieldNeedsQuotes is encoding/csv's rule.
func fieldNeedsQuotes(f string) bool {
	if f == "" {
		return false
	}
	if f == `\.` || strings.ContainsAny(f, ",\"\r\n") {
		return true
	}
	r, _ := utf8.DecodeRuneInString(f)
	return unicode.IsSpace(r)
}

// shortHash is 128 bits of SHA-256 over parts joined with NUL, in hex.
func shortHash(parts ...string) string {
	h := sha256.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func spool(in Input) (string, func(), error) {
	src := in.Stdin
	if src == nil {
		src = os.Stdin
	}
	f, err := fsutil.CreateTemp("", "rubric-stdin-*")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { f.Close(); fsutil.Remove(f.Name()) }
	if _, err := io.Copy(f, src); err != nil {
		cleanup()
		return "", nil, err
	}
	return f.Name(), cleanup, nil
}

// SafeCell returns a CSV text cell that a spreadsheet will not run as a
// formula (see appendCSVCell).
func SafeCell(s string) string {
	if formulaLike(s) {
		return "'" + s
	}
	return s
}
