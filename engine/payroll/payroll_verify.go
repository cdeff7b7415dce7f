package payroll

// Verifying an export without trusting it.

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/engine/internal/textenc"
	"github.com/rubric-dev/rubric/evaluator/money"
	"github.com/rubric-dev/rubric/rules"
)

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

// Verify checks an export without trusting it: the exact set of
// regular files, the manifest's digests, sizes, counts and totals, every
// line_id and the run_id recomputed, unique line_ids, each row's status
// and amount consistent and written with the currency's minor digits,
// and explanations.ndjson line for line with payroll.csv. It returns the
// differences; none means the export is intact and consistent. It cannot
// prove who wrote the export (docs/payroll.md).
func Verify(dir string) ([]string, error) {
	probs, _, _, err := verifyExport(dir, nil)
	return probs, err
}

// verifyExport is Verify; each row, when visit is set, is passed to
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
		case !slices.Contains(exportFiles, e.Name()) && e.Name() != signatureFile:
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
		sum  money.Total
		rows int
	}
	// import.csv: the rows to pay, with the pay date, rebuilt as rows come.
	importSum, importBytes := sha256.New(), int64(0)
	importLine := func(b []byte) {
		importSum.Write(b)
		importBytes += int64(len(b))
	}
	importLine(textenc.CSVLine(importColumns(m.ExtraColumns)))
	bySubject := map[string]*subjectTotal{}
	var subjects []string
	seen := make(map[string]int, min(max(m.Rows, 0), 1<<22)) // sized by the manifest, within reason
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
			lineID, w, err := explanationHead(ex.Bytes())
			if err != nil {
				add("explanations.ndjson line %d: %v", line-1, err)
			} else if lineID != rec[pcLineID] {
				add("explanations.ndjson line %d is about line %s; payroll.csv line %d is %s", line-1, lineID, line, rec[pcLineID])
			}
			why = w
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
		if amount != nil && !amount.IsZero() {
			importLine(textenc.CSVLine(importRow(rec, m.PayDate)))
		}
		st := bySubject[rec[pcSubject]]
		if st == nil {
			st = &subjectTotal{}
			bySubject[rec[pcSubject]] = st
			subjects = append(subjects, rec[pcSubject])
		}
		st.rows++
		st.sum.Add(amount)
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
		// Not what was written: say which lines are not JSON at all,
		// which explanationHead reads past.
		probs = append(probs, invalidExplanations(filepath.Join(dir, explanationsFile))...)
	}
	// totals.csv: what each subject is paid, recomputed from the rows.
	var wantTotals strings.Builder
	wantTotals.Write(textenc.CSVLine(totalsColumns))
	for _, subj := range subjects {
		st := bySubject[subj]
		wantTotals.Write(textenc.CSVLine([]string{subj, m.Currency, st.sum.Format(minor), strconv.Itoa(st.rows)}))
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
	// listed reads a file the manifest lists and checks its name, size and
	// digest; ok is false, the problem said, when they are not the
	// manifest's.
	listed := func(mf *ManifestFile, name string) (b []byte, ok bool) {
		if mf.Name != name {
			add("manifest.json names the file %q", mf.Name)
			return nil, false
		}
		b, err := readBounded(filepath.Join(dir, name), mf.Bytes+1)
		if err != nil {
			add("%s: %v", name, err)
			return nil, false
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != mf.SHA256 || int64(len(b)) != mf.Bytes {
			add("%s: SHA-256 %s over %d bytes, the manifest says %s over %d", name, hex.EncodeToString(sum[:]), len(b), mf.SHA256, mf.Bytes)
			return nil, false
		}
		return b, true
	}
	if rv := m.ReviewCSV; rv != nil {
		// review.csv: one row per line to review.
		if rb, ok := listed(rv, reviewFile); ok {
			rows, err := csv.NewReader(bytes.NewReader(rb)).ReadAll()
			switch {
			case err != nil || len(rows) == 0 || strings.Join(rows[0], ",") != strings.Join(reviewColumns, ","):
				add("review.csv is not a CSV file with the columns %s", strings.Join(reviewColumns, ","))
			case len(rows)-1 != m.NeedsReview:
				add("review.csv: %d rows, the manifest says %d lines need review", len(rows)-1, m.NeedsReview)
			}
		}
	}
	if im := m.ImportCSV; im != nil {
		// import.csv: the rows of payroll.csv to pay.
		if _, ok := listed(im, importFile); ok && (hex.EncodeToString(importSum.Sum(nil)) != im.SHA256 || importBytes != im.Bytes) {
			add("import.csv does not hold the rows of payroll.csv to pay (amount not 0.00 nor empty) with the pay date %q", m.PayDate)
		}
	}
	if m.PayDate != "" {
		if _, err := time.Parse(time.DateOnly, m.PayDate); err != nil {
			add("manifest.json: pay_date %q is not a date (YYYY-MM-DD)", m.PayDate)
		}
	}
	if dp := m.DataPackage; dp != nil {
		// datapackage.json: the schema of these columns.
		want, _ := dataPackageBytes(&m)
		if b, ok := listed(dp, dataPackageFile); ok && !bytes.Equal(b, want) {
			add("%s does not describe this export's columns", dataPackageFile)
		}
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
		if !textenc.EqualDecimal(w.Amount, t.Amount) || w.Rows != t.Rows || w.Original != t.Original || w.Positive != t.Positive || w.Negative != t.Negative || w.Net != t.Net {
			add("total %s %s: %s over %d rows, the manifest says %s over %d", t.Incentive, t.Currency, t.Amount, t.Rows, w.Amount, w.Rows)
		}
	}
	for _, w := range want {
		add("total %s %s: in the manifest (%s) but no rows", w.Incentive, w.Currency, w.Amount)
	}
	return probs, &m, mb, nil
}

// explanationHead returns the line_id and why of a line of
// explanations.ndjson. A line as rubric writes it begins with its line_id
// and has one why, which are read straight from the bytes; any other line
// goes through encoding/json, which says what is wrong with it. Whether
// the rest of the line is JSON is left to the file's SHA-256 (when that
// differs from the manifest's, invalidExplanations checks every line).
func explanationHead(line []byte) (lineID, why string, err error) {
	if id, w, ok := fastExplanationHead(line); ok {
		return id, w, nil
	}
	var e struct {
		LineID string `json:"line_id"`
		Why    string `json:"why"`
	}
	err = json.Unmarshal(line, &e)
	return e.LineID, e.Why, err
}

func fastExplanationHead(line []byte) (string, string, bool) {
	if !bytes.HasPrefix(line, []byte(`{"line_id":"`)) || !bytes.HasSuffix(line, []byte("}")) {
		return "", "", false
	}
	// One walk over the line, outside strings, noting the top-level keys:
	// as in encoding/json, the last line_id and why win, and a key in
	// another case would count (such a line goes to encoding/json).
	var id, why []byte
	var whyEscaped bool
	depth := 0
	for i := 0; i < len(line); i++ {
		switch c := line[i]; c {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ' ', '\t', '\r', '\n': // rubric writes none: keys could hide behind it
			return "", "", false
		case '"':
			end, escaped, ok := stringEnd(line, i)
			if !ok {
				return "", "", false
			}
			if depth == 1 && (line[i-1] == '{' || line[i-1] == ',') { // a key
				key := line[i+1 : end]
				if escaped || end+2 >= len(line) || line[end+1] != ':' {
					return "", "", false
				}
				if bytes.EqualFold(key, []byte("line_id")) || bytes.EqualFold(key, []byte("why")) {
					if line[end+2] != '"' {
						return "", "", false
					}
					vend, vesc, ok := stringEnd(line, end+2)
					if !ok {
						return "", "", false
					}
					switch string(key) {
					case "line_id":
						id = line[end+3 : vend]
						if vesc {
							return "", "", false
						}
					case "why":
						why, whyEscaped = line[end+2:vend+1], vesc
					default: // another case of the same word
						return "", "", false
					}
					end = vend
				}
			}
			i = end
		}
	}
	if depth != 0 {
		return "", "", false
	}
	if why == nil {
		return string(id), "", true
	}
	if !whyEscaped {
		if !utf8.Valid(why) {
			return "", "", false // encoding/json would replace the bad bytes
		}
		return string(id), string(why[1 : len(why)-1]), true
	}
	var w string
	if json.Unmarshal(why, &w) != nil {
		return "", "", false
	}
	return string(id), w, true
}

// stringEnd returns the index of the quote that closes the JSON string
// opening at b[start], whether the string holds an escape, and false for
// a string not closed. (A control character inside, which JSON forbids,
// is left to the file's digest, as the rest of the line is.)
func stringEnd(b []byte, start int) (int, bool, bool) {
	q := bytes.IndexByte(b[start+1:], '"')
	if q < 0 {
		return 0, false, false
	}
	end := start + 1 + q
	if bytes.IndexByte(b[start+1:end], '\\') < 0 {
		return end, false, true // no escape: the first quote closes it
	}
	for i := start + 1; i < len(b); i++ {
		switch b[i] {
		case '"':
			return i, true, true
		case '\\':
			i++
		}
	}
	return 0, false, false
}

// invalidExplanations lists the lines of an explanations.ndjson that are
// not JSON objects.
func invalidExplanations(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return []string{fmt.Sprintf("explanations.ndjson: %v", err)}
	}
	defer f.Close()
	var probs []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), maxExplanation)
	for n := 1; sc.Scan(); n++ {
		var e map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			probs = append(probs, fmt.Sprintf("explanations.ndjson line %d: %v", n, err))
			if len(probs) == 20 {
				return append(probs, "explanations.ndjson: more lines are not JSON; the first 20 are listed")
			}
		}
	}
	return probs
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
		if err := money.Add(now, paid, amount); err != nil {
			add("%v", err)
			break
		}
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
