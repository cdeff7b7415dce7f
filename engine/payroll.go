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
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/engine/internal/extsort"
	"github.com/rubric-dev/rubric/evaluator"
)

// PayrollColumns are the columns of payroll.csv (SPEC §7).
var PayrollColumns = []string{"line_id", "run_id", "subject", "period", "coverage_start", "coverage_end",
	"incentive", "code", "status", "amount", "currency", "policy", "policy_version", "policy_digest"}

// ManifestFormat names the manifest's format.
const ManifestFormat = "rubric-payroll/1"

// Manifest describes a payroll export. It holds no wall-clock time, so the
// same inputs give the same bytes.
type Manifest struct {
	Format        string          `json:"format"`
	RunID         string          `json:"run_id"`
	EngineVersion string          `json:"engine_version"`
	Policy        ManifestPolicy  `json:"policy"`
	InputSHA256   string          `json:"input_sha256"`
	Snapshots     int             `json:"snapshots"`
	Rows          int             `json:"rows"`
	StatusCounts  map[string]int  `json:"status_counts"`
	NeedsReview   int             `json:"needs_review"`
	Totals        []ManifestTotal `json:"totals"`
	Rejected      *ManifestReject `json:"rejected,omitempty"`
	PayrollCSV    ManifestFile    `json:"payroll_csv"`
}

// ManifestPolicy identifies the policy text that produced the export.
type ManifestPolicy struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Digest  string `json:"digest"`
}

// ManifestTotal is the sum of the rounded amounts of one incentive in one
// currency.
type ManifestTotal struct {
	Incentive string `json:"incentive"`
	Code      string `json:"code"`
	Currency  string `json:"currency"`
	Amount    string `json:"amount"`
	Rows      int    `json:"rows"`
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
	Dir         string // the export directory
	Force       bool   // replace an existing, different export
	SkipInvalid string // rejects file; "" fails on bad input
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
// is not set.
type ErrExportExists struct{ Dir, Have, Want string }

func (e *ErrExportExists) Error() string {
	if e.Have == "" {
		return fmt.Sprintf("%s exists and is not an empty directory or a rubric export; refusing to replace it (use --force)", e.Dir)
	}
	return fmt.Sprintf("%s holds a different export (run %s; this run is %s); refusing to overwrite it (use --force)", e.Dir, e.Have, e.Want)
}

// payrollWriterHook wraps the payroll.csv writer; tests use it to simulate
// a failing disk.
var payrollWriterHook = func(w io.Writer) io.Writer { return w }

// Payroll evaluates in and writes payroll.csv and manifest.json into
// opts.Dir, atomically: into a temporary directory beside it, renamed into
// place when complete.
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
		path, cleanup, err := spool(in)
		if err != nil {
			return nil, err
		}
		defer cleanup()
		in = Input{Name: path, Format: in.Format}
		if in.Format == "" {
			return nil, errors.New("reading standard input needs an input format")
		}
	}
	inputSum, err := fileSHA256(in.Name)
	if err != nil {
		return nil, err
	}
	rp := p.Rules
	version := Version()
	runID := shortHash("rubric-run", rp.Digest, inputSum, version)

	parent := filepath.Dir(filepath.Clean(opts.Dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(filepath.Clean(opts.Dir))+".tmp-*")
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			os.RemoveAll(tmp)
		}
	}()

	sorter := extsort.New(tmp, opts.SortMemory)
	defer sorter.Close()
	sopts := StreamOptions{SkipInvalid: opts.SkipInvalid, Workers: opts.Workers, IncentivesOnly: true}
	if opts.SkipInvalid != "" {
		// The rejects file goes with the export.
		sopts.SkipInvalid = filepath.Join(tmp, ".rejects.csv")
	}
	var sortErr error
	acc := newTotals()
	var accMu sync.Mutex
	m := &Manifest{
		Format: ManifestFormat, RunID: runID, EngineVersion: version,
		Policy:       ManifestPolicy{Name: rp.Name, Version: rp.Version, Digest: rp.Digest},
		InputSHA256:  inputSum,
		StatusCounts: map[string]int{"earned": 0, "not_earned": 0, "ineligible": 0, "no_data": 0},
	}
	res, err := p.Stream(in, sopts, func(o *evaluator.Outcome, buf []byte) []byte {
		s := o.Snapshot
		buf = binary.AppendUvarint(buf, uint64(len(s.Subject)+1+len(s.Period.Label)))
		buf = append(buf, s.Subject...)
		buf = append(buf, 0)
		buf = append(buf, s.Period.Label...)
		lenAt := len(buf)
		buf = append(buf, 0, 0, 0, 0) // the rows' length, filled in below
		start, end := s.Period.StartDate(), s.Period.EndDate()
		for i := range o.Incentives {
			in := &o.Incentives[i]
			var amount string
			if in.Amount != nil {
				amount = in.Amount.Text('f')
			}
			buf = appendLineID(buf, rp.Name, s.Subject, s.Period.Label, in.Incentive.Name)
			for _, f := range [...]string{runID, s.Subject, s.Period.Label, start, end, in.Incentive.Name, in.Incentive.Code,
				in.Status.String(), amount, rp.Currency, rp.Name, rp.Version, rp.Digest} {
				buf = append(buf, ',')
				buf = appendCSVField(buf, f)
			}
			buf = append(buf, '\n')
		}
		binary.LittleEndian.PutUint32(buf[lenAt:], uint32(len(buf)-lenAt-4))
		accMu.Lock()
		for i := range o.Incentives {
			in := &o.Incentives[i]
			acc.count(m, in.Incentive.Name, in.Incentive.Code, rp.Currency, in.Status.String(), in.Amount)
		}
		accMu.Unlock()
		return buf
	}, func(b []byte) error {
		for len(b) > 0 {
			kl, n := binary.Uvarint(b)
			key := string(b[n : n+int(kl)])
			b = b[n+int(kl):]
			vl := int(binary.LittleEndian.Uint32(b))
			if err := sorter.Add(key, b[4:4+vl]); err != nil {
				sortErr = err
				return err
			}
			b = b[4+vl:]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &PayrollResult{StreamResult: res}
	if res.Failed() {
		return out, nil
	}
	if sortErr != nil {
		return nil, sortErr
	}

	m.Snapshots = res.Evaluated
	csvPath := filepath.Join(tmp, "payroll.csv")
	f, err := os.OpenFile(csvPath, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	counter := &countWriter{}
	bw := bufio.NewWriterSize(payrollWriterHook(io.MultiWriter(f, h, counter)), 1<<16)
	bw.Write(encodeCSV(PayrollColumns))
	err = sorter.Each(func(rows []byte) error {
		_, err := bw.Write(rows)
		return err
	})
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("writing payroll.csv: %w", err)
	}
	m.Totals = acc.list()
	m.NeedsReview = m.StatusCounts["no_data"]
	m.PayrollCSV = ManifestFile{Name: "payroll.csv", SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: counter.n}
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
	if err := writeFileSync(filepath.Join(tmp, "manifest.json"), mb); err != nil {
		return nil, err
	}
	out.Manifest = m

	// Into place.
	if existing, err := os.ReadFile(filepath.Join(opts.Dir, "manifest.json")); err == nil {
		if bytes.Equal(existing, mb) {
			if probs, err := VerifyPayroll(opts.Dir); err == nil && len(probs) == 0 {
				out.Unchanged = true
				return out, nil
			}
		}
		if !opts.Force {
			var old Manifest
			json.Unmarshal(existing, &old)
			return nil, &ErrExportExists{Dir: opts.Dir, Have: old.RunID, Want: runID}
		}
	} else if entries, err := os.ReadDir(opts.Dir); err == nil && len(entries) > 0 && !opts.Force {
		return nil, &ErrExportExists{Dir: opts.Dir}
	} else if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	if opts.SkipInvalid != "" {
		// The rejects file is written where asked, once the export is whole.
		if err := os.Rename(sopts.SkipInvalid, opts.SkipInvalid); err != nil {
			b, rerr := os.ReadFile(sopts.SkipInvalid)
			if rerr != nil {
				return nil, err
			}
			if err := os.WriteFile(opts.SkipInvalid, b, 0o644); err != nil {
				return nil, err
			}
		}
	}
	sorter.Close()
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp makes it private
		return nil, err
	}
	if err := replaceDir(tmp, opts.Dir); err != nil {
		return nil, err
	}
	committed = true
	return out, nil
}

// replaceDir moves the directory tmp to dir, replacing dir if it exists:
// the old directory is moved aside first and restored if the move fails.
func replaceDir(tmp, dir string) error {
	if err := os.Rename(tmp, dir); err == nil {
		return nil
	}
	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.Rename(old, dir)
		return err
	}
	return os.RemoveAll(old)
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

// totals accumulates per incentive and currency, in first-seen order of
// the policy's incentives.
type totals struct {
	order []string
	by    map[string]*totalAcc
}

type totalAcc struct {
	t   ManifestTotal
	sum apd.Decimal
}

func newTotals() *totals { return &totals{by: map[string]*totalAcc{}} }

func (t *totals) add(rec []string, m *Manifest) error {
	var d *apd.Decimal
	if rec[9] != "" {
		var err error
		if d, _, err = apd.NewFromString(rec[9]); err != nil {
			return fmt.Errorf("amount %q: %v", rec[9], err)
		}
	}
	t.count(m, rec[6], rec[7], rec[10], rec[8], d)
	return nil
}

var sumCtx = apd.BaseContext.WithPrecision(60)

// count adds one payroll row to the counts of m and the totals.
func (t *totals) count(m *Manifest, incentive, code, currency, status string, amount *apd.Decimal) {
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
	if amount != nil {
		sumCtx.Add(&acc.sum, &acc.sum, amount)
	}
}

func (t *totals) list() []ManifestTotal {
	keys := append([]string(nil), t.order...)
	sort.Strings(keys)
	out := make([]ManifestTotal, 0, len(keys))
	for _, k := range keys {
		acc := t.by[k]
		tt := acc.t
		tt.Amount = acc.sum.Text('f')
		out = append(out, tt)
	}
	return out
}

// VerifyPayroll recomputes an export's digest, row count, status counts and
// totals and compares them with its manifest. It returns the differences;
// none means the export is intact.
func VerifyPayroll(dir string) ([]string, error) {
	mb, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return []string{fmt.Sprintf("manifest.json is not valid JSON: %v", err)}, nil
	}
	f, err := os.Open(filepath.Join(dir, "payroll.csv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var probs []string
	h := sha256.New()
	counter := &countWriter{}
	r := csv.NewReader(io.TeeReader(f, io.MultiWriter(h, counter)))
	got := &Manifest{StatusCounts: map[string]int{"earned": 0, "not_earned": 0, "ineligible": 0, "no_data": 0}}
	acc := newTotals()
	header, err := r.Read()
	if err != nil {
		return append(probs, fmt.Sprintf("payroll.csv: %v", err)), nil
	}
	if fmt.Sprint(header) != fmt.Sprint(PayrollColumns) {
		probs = append(probs, fmt.Sprintf("payroll.csv: the header is %v, want %v", header, PayrollColumns))
	}
	r.FieldsPerRecord = len(PayrollColumns)
	line := 1
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			probs = append(probs, fmt.Sprintf("payroll.csv: %v", err))
			break
		}
		if rec[1] != m.RunID {
			probs = append(probs, fmt.Sprintf("payroll.csv line %d: run_id %s, the manifest says %s", line, rec[1], m.RunID))
		}
		if rec[13] != m.Policy.Digest {
			probs = append(probs, fmt.Sprintf("payroll.csv line %d: policy_digest %s, the manifest says %s", line, rec[13], m.Policy.Digest))
		}
		if err := acc.add(rec, got); err != nil {
			probs = append(probs, fmt.Sprintf("payroll.csv line %d: %v", line, err))
		}
	}
	io.Copy(io.Discard, io.TeeReader(f, io.MultiWriter(h, counter)))
	if sum := hex.EncodeToString(h.Sum(nil)); sum != m.PayrollCSV.SHA256 {
		probs = append(probs, fmt.Sprintf("payroll.csv: SHA-256 %s, the manifest says %s", sum, m.PayrollCSV.SHA256))
	}
	if counter.n != m.PayrollCSV.Bytes {
		probs = append(probs, fmt.Sprintf("payroll.csv: %d bytes, the manifest says %d", counter.n, m.PayrollCSV.Bytes))
	}
	if got.Rows != m.Rows {
		probs = append(probs, fmt.Sprintf("payroll.csv: %d rows, the manifest says %d", got.Rows, m.Rows))
	}
	for _, s := range []string{"earned", "not_earned", "ineligible", "no_data"} {
		if got.StatusCounts[s] != m.StatusCounts[s] {
			probs = append(probs, fmt.Sprintf("status %s: %d rows, the manifest says %d", s, got.StatusCounts[s], m.StatusCounts[s]))
		}
	}
	want := map[string]ManifestTotal{}
	for _, t := range m.Totals {
		want[t.Incentive+"\x00"+t.Currency] = t
	}
	for _, t := range acc.list() {
		w, ok := want[t.Incentive+"\x00"+t.Currency]
		delete(want, t.Incentive+"\x00"+t.Currency)
		if !ok {
			probs = append(probs, fmt.Sprintf("total %s %s: %s, not in the manifest", t.Incentive, t.Currency, t.Amount))
			continue
		}
		if !decimalEqual(w.Amount, t.Amount) || w.Rows != t.Rows {
			probs = append(probs, fmt.Sprintf("total %s %s: %s over %d rows, the manifest says %s over %d", t.Incentive, t.Currency, t.Amount, t.Rows, w.Amount, w.Rows))
		}
	}
	for _, w := range want {
		probs = append(probs, fmt.Sprintf("total %s %s: in the manifest (%s) but no rows", w.Incentive, w.Currency, w.Amount))
	}
	return probs, nil
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
	f, err := os.CreateTemp("", "rubric-stdin-*")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	if _, err := io.Copy(f, src); err != nil {
		cleanup()
		return "", nil, err
	}
	return f.Name(), cleanup, nil
}
