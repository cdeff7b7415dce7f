package payroll

// Writing the export's files: straight from the stream while its records
// arrive in key order (subject, period), through the external sort once
// they do not.

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/engine/internal/fsutil"
	"github.com/rubric-dev/rubric/engine/internal/textenc"
	"github.com/rubric-dev/rubric/evaluator/money"
)

// A sort record's value is [csvLen u32][exLen u32], the snapshot's
// payroll.csv rows, its explanations.ndjson lines, then its share of
// totals.csv, its import.csv lines and its review.csv lines: subject NUL
// amount NUL rows NUL import lines NUL review lines (see
// payrollRun.encode).
const recordHead = 8

// splitRecord returns a sort record's parts: its rows, its explanations
// and its share of the totals.
func splitRecord(rec []byte) (rows, explanations, tail []byte) {
	csvLen := int(binary.LittleEndian.Uint32(rec))
	exLen := int(binary.LittleEndian.Uint32(rec[4:]))
	body := rec[recordHead:]
	return body[:csvLen], body[csvLen : csvLen+exLen], body[csvLen+exLen:]
}

// exportWriter writes payroll.csv, explanations.ndjson and totals.csv from
// records in key order, hashing and counting each file. Each file is
// hashed and written by a goroutine of its own (fsutil.AsyncWriter) while
// records keep coming.
type exportWriter struct {
	dir    string
	files  [5]*os.File
	ws     [5]*fsutil.AsyncWriter
	sums   [5]hash.Hash
	counts [5]countWriter
	header int // the bytes of payroll.csv's header

	currency string
	minor    int
	// Records come sorted by subject: a subject's total is complete when
	// the next subject begins.
	subject string
	total   money.Total
	rows    int
	started bool
	closed  bool
	line    []byte // a totals.csv line being written
}

var exportWriterFiles = [5]string{payrollFile, explanationsFile, totalsFile, reviewFile, importFile}

func newExportWriter(dir string, columns, importColumns []string, currency string, minor int) (*exportWriter, error) {
	e := &exportWriter{dir: dir, currency: currency, minor: minor}
	for i, name := range exportWriterFiles {
		f, err := fsutil.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
		if err != nil {
			e.abort()
			return nil, err
		}
		e.files[i] = f
		e.sums[i] = sha256.New()
		var w io.Writer = f
		if i == 0 {
			w = payrollWriterHook(w)
		}
		e.ws[i] = fsutil.NewAsyncWriter(io.MultiWriter(w, e.sums[i], &e.counts[i]), 1<<18)
	}
	header := textenc.CSVLine(columns)
	e.header = len(header)
	e.ws[0].Write(header)
	e.ws[2].Write(textenc.CSVLine(totalsColumns))
	e.ws[3].Write(textenc.CSVLine(reviewColumns))
	e.ws[4].Write(textenc.CSVLine(importColumns))
	return e, nil
}

// write writes one record's rows, explanations and share of the totals.
func (e *exportWriter) write(rec []byte) error {
	rows, explanations, tail := splitRecord(rec)
	if _, err := e.ws[0].Write(rows); err != nil {
		return err
	}
	if _, err := e.ws[1].Write(explanations); err != nil {
		return err
	}
	i := bytes.IndexByte(tail, 0)
	j := i + 1 + bytes.IndexByte(tail[i+1:], 0)
	k := j + 1 + bytes.IndexByte(tail[j+1:], 0)
	l := k + 1 + bytes.IndexByte(tail[k+1:], 0)
	subject, amount, count, pay, review := tail[:i], tail[i+1:j], tail[j+1:k], tail[k+1:l], tail[l+1:]
	if _, err := e.ws[3].Write(review); err != nil {
		return err
	}
	if _, err := e.ws[4].Write(pay); err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil // lines to review only: nothing paid, no total
	}
	if !e.started || string(subject) != e.subject {
		if err := e.flushSubject(); err != nil {
			return err
		}
		e.subject, e.total, e.rows, e.started = string(subject), money.Total{}, 0, true
	}
	var d apd.Decimal
	if _, _, err := d.SetString(string(amount)); err != nil {
		return err
	}
	e.total.Add(&d)
	n, err := strconv.Atoi(string(count))
	if err != nil {
		return err
	}
	e.rows += n
	return nil
}

func (e *exportWriter) flushSubject() error {
	if !e.started {
		return nil
	}
	// One line a subject, on the writing goroutine: built in a buffer of
	// the writer's, which Write copies.
	var total [64]byte
	if err := e.total.Err(); err != nil {
		return err
	}
	e.line = textenc.AppendCSVLine(e.line[:0], e.subject, e.currency, string(money.AppendFormat(total[:0], e.total.Decimal(), e.minor)), strconv.Itoa(e.rows))
	_, err := e.ws[2].Write(e.line)
	return err
}

// finish writes the last subject's total, flushes and syncs the files and
// records their digests and sizes in m.
func (e *exportWriter) finish(m *Manifest) error {
	err := e.flushSubject()
	if cerr := e.close(true); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing the export: %w", err)
	}
	file := func(i int) ManifestFile {
		return ManifestFile{Name: exportWriterFiles[i], SHA256: hex.EncodeToString(e.sums[i].Sum(nil)), Bytes: e.counts[i].n}
	}
	m.PayrollCSV, m.Explanations, m.TotalsCSV = file(0), file(1), file(2)
	rv, im := file(3), file(4)
	m.ReviewCSV, m.ImportCSV = &rv, &im
	return nil
}

// close flushes the writers and closes the files (syncing them first when
// asked), returning the first error.
func (e *exportWriter) close(durable bool) error {
	if e.closed {
		return nil
	}
	e.closed = true
	var errs [5]error
	for i, f := range e.files {
		if f == nil {
			continue
		}
		if e.ws[i] != nil {
			errs[i] = e.ws[i].Close()
		}
	}
	if durable && errors.Join(errs[:]...) == nil {
		// The files are synced together: their journal commits can be one.
		var wg sync.WaitGroup
		for i, f := range e.files {
			if f != nil {
				wg.Go(func() { errs[i] = f.Sync() })
			}
		}
		wg.Wait()
	}
	for i, f := range e.files {
		if f == nil {
			continue
		}
		if cerr := f.Close(); errs[i] == nil {
			errs[i] = cerr
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// abort closes and removes the files.
func (e *exportWriter) abort() {
	e.close(false)
	for _, f := range e.files {
		if f != nil {
			fsutil.Remove(f.Name())
		}
	}
}

// inOrder is the export written straight from the stream while records
// arrive in key order, which is how exports usually come (an HR system's
// extract by agent and month): no sort, no spill, no merge. Beside the
// files it keeps an index (each record's key and everything but its rows
// and explanations), so that if a record does come out of order, the ones
// already written are read back into the external sort and the run goes
// on as if it had sorted from the start.
type inOrder struct {
	w       *exportWriter
	index   *os.File
	ix      *bufio.Writer
	lastKey []byte
	started bool
	hdr     [binary.MaxVarintLen64 * 2]byte
}

func newInOrder(w *exportWriter) (*inOrder, error) {
	f, err := fsutil.CreateTemp(w.dir, ".rubric-index-*")
	if err != nil {
		return nil, err
	}
	return &inOrder{w: w, index: f, ix: bufio.NewWriterSize(f, 64<<10)}, nil
}

// accepts reports whether key may be written straight away: it is not
// before the last key written.
func (o *inOrder) accepts(key []byte) bool {
	return !o.started || bytes.Compare(key, o.lastKey) >= 0
}

// write writes the record to the export and its index entry.
func (o *inOrder) write(key, val []byte) error {
	o.lastKey = append(o.lastKey[:0], key...)
	o.started = true
	if err := o.w.write(val); err != nil {
		return err
	}
	_, _, rest := splitRecord(val)
	n := binary.PutUvarint(o.hdr[:], uint64(len(key)))
	n += binary.PutUvarint(o.hdr[n:], uint64(len(rest)))
	o.ix.Write(o.hdr[:n])
	o.ix.Write(key)
	o.ix.Write(val[:recordHead])
	_, err := o.ix.Write(rest)
	return err
}

// replay closes the export written so far and passes each of its records,
// in order, to add; then removes its files. The export's writer is gone
// after it, whatever the outcome.
func (o *inOrder) replay(add func(key, val []byte) error) error {
	defer o.discard()
	if err := o.w.close(false); err != nil {
		return fmt.Errorf("writing the export: %w", err)
	}
	if err := o.ix.Flush(); err != nil {
		return err
	}
	if _, err := o.index.Seek(0, io.SeekStart); err != nil {
		return err
	}
	var readers [2]*bufio.Reader
	for i, name := range exportWriterFiles[:2] {
		f, err := os.Open(filepath.Join(o.w.dir, name))
		if err != nil {
			return err
		}
		defer f.Close()
		readers[i] = bufio.NewReaderSize(f, 256<<10)
	}
	if _, err := readers[0].Discard(o.w.header); err != nil {
		return err
	}
	ix := bufio.NewReaderSize(o.index, 64<<10)
	var key, val []byte
	for {
		kl, err := binary.ReadUvarint(ix)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		rl, err := binary.ReadUvarint(ix)
		if err != nil {
			return err
		}
		key = slices.Grow(key[:0], int(kl))[:kl]
		if _, err := io.ReadFull(ix, key); err != nil {
			return err
		}
		var head [recordHead]byte
		if _, err := io.ReadFull(ix, head[:]); err != nil {
			return err
		}
		size := recordHead + int(binary.LittleEndian.Uint32(head[:])) + int(binary.LittleEndian.Uint32(head[4:])) + int(rl)
		val = slices.Grow(val[:0], size)[:size]
		copy(val, head[:])
		rows, explanations, tail := splitRecord(val)
		parts := [3][]byte{rows, explanations, tail}
		for i, r := range [3]io.Reader{readers[0], readers[1], ix} {
			if _, err := io.ReadFull(r, parts[i]); err != nil {
				return fmt.Errorf("reading back the export: %w", err)
			}
		}
		if err := add(key, val); err != nil {
			return err
		}
	}
}

// discard removes the export's files and the index.
func (o *inOrder) discard() {
	o.w.abort()
	o.discardIndex()
}

// discardIndex removes the index (which is not part of the export).
func (o *inOrder) discardIndex() {
	if o.index != nil {
		o.index.Close()
		fsutil.Remove(o.index.Name())
		o.index = nil
	}
}
