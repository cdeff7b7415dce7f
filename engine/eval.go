package engine

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/engine/internal/encode"
	"github.com/rubric-dev/rubric/engine/internal/fsutil"
	"github.com/rubric-dev/rubric/engine/internal/textenc"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/evaluator/money"
)

// Output is where eval writes: a file (written aside and renamed into place
// when complete) or a writer (fed only once the whole run succeeded).
type Output struct {
	Path string
	W    io.Writer
	// Direct writes straight to W, without a temporary file: for a caller
	// that holds W in memory and discards it when the run fails (the
	// service).
	Direct bool
}

// EvalOptions control Eval.
type EvalOptions struct {
	StreamOptions
	Format string // ndjson (default), json, csv or table
}

// Eval evaluates every snapshot of in and writes the outcomes. On bad input
// (unless SkipInvalid) nothing is written and the result lists every bad
// row; the error return is for input or output that cannot be used at all.
func (p *Policy) Eval(in Input, out Output, opts EvalOptions) (*StreamResult, error) {
	format := opts.Format
	if format == "" {
		format = OutNDJSON
	}
	switch format {
	case OutNDJSON, OutJSON, OutCSV, OutTable:
	default:
		return nil, fmt.Errorf("unknown output format %q (ndjson, json, csv or table)", format)
	}
	opts.Explain = format == OutNDJSON || format == OutJSON
	var sink io.Writer
	var tmp *os.File
	committed := false
	size := 1 << 16
	if f, off, ok := regularFileAt(out, out.Path == "" && !out.Direct); ok {
		// Standard output redirected to a file is written once, directly,
		// and cut back to where it was if the run fails: nothing written.
		sink = f
		defer func() {
			if !committed {
				f.Truncate(off)
				f.Seek(off, io.SeekStart)
			}
		}()
	} else if out.Direct && out.Path == "" {
		sink = out.W
		size = 4096 // W is memory already
	} else {
		var err error
		if out.Path != "" {
			tmp, err = fsutil.TempFor(out.Path)
		} else {
			tmp, err = fsutil.CreateTemp("", ".rubric-out-*")
		}
		if err != nil {
			return nil, err
		}
		defer func() {
			if !committed {
				tmp.Close()
				fsutil.Remove(tmp.Name())
			}
		}()
		sink = tmp
	}
	bw := bufio.NewWriterSize(sink, size)
	rp := p.Rules()
	var encodeFn func(o *evaluator.Outcome, buf []byte) []byte
	var totals []*apd.Decimal // table: each incentive's total
	var totalsMu sync.Mutex
	var totalsErr error // the first failed addition of a total (under totalsMu)
	// A table is aligned in blocks of at least tableBlock rows, written as
	// each block completes: a large input streams instead of being held
	// whole for alignment.
	const tableBlock = 1000
	tw := encode.NewTable(bw)
	tableRows := 0
	first := true
	write := func(b []byte) error { _, err := bw.Write(b); return err }
	switch format {
	case OutNDJSON:
		encodeFn = func(o *evaluator.Outcome, buf []byte) []byte {
			w := textenc.JSON{B: buf}
			encode.Outcome(&w, rp, o, true)
			return append(w.B, '\n')
		}
	case OutJSON:
		bw.WriteString("[")
		encodeFn = func(o *evaluator.Outcome, buf []byte) []byte {
			w := textenc.JSON{B: buf}
			w.Raw("\n")
			encode.Outcome(&w, rp, o, true)
			w.Raw(",")
			return w.B
		}
		// A batch arrives as "\n{...},\n{...},": drop its last comma and
		// put one between batches instead.
		write = func(b []byte) error {
			if !first {
				bw.WriteString(",")
			}
			first = false
			_, err := bw.Write(bytes.TrimSuffix(b, []byte(",")))
			return err
		}
	case OutCSV:
		bw.Write(textenc.CSVLine(encode.CSVHeader(rp)))
		encodeFn = func(o *evaluator.Outcome, buf []byte) []byte {
			return encode.AppendCSVRow(buf, rp, o)
		}
	case OutTable:
		fmt.Fprintln(tw, strings.Join(encode.TableHeader(rp, opts.Lang), "\t"))
		for range rp.Incentives {
			totals = append(totals, new(apd.Decimal))
		}
		encodeFn = func(o *evaluator.Outcome, buf []byte) []byte {
			totalsMu.Lock()
			for i := range o.Incentives {
				if a := o.Incentives[i].Amount; a != nil {
					if err := money.Add(totals[i], totals[i], a); err != nil && totalsErr == nil {
						totalsErr = err
					}
				}
			}
			totalsMu.Unlock()
			return append(buf, strings.Join(encode.TableRow(rp, o, opts.Lang), "\t")+"\n"...)
		}
		write = func(b []byte) error {
			if _, err := tw.Write(b); err != nil {
				return err
			}
			if tableRows += bytes.Count(b, []byte("\n")); tableRows >= tableBlock {
				tableRows = 0
				return tw.Flush()
			}
			return nil
		}
	}
	res, err := p.Stream(in, opts.StreamOptions, encodeFn, write)
	if err != nil || res.Failed() {
		return res, err
	}
	switch format {
	case OutJSON:
		if first {
			bw.WriteString("]\n")
		} else {
			bw.WriteString("\n]\n")
		}
	case OutTable:
		if totalsErr != nil {
			return nil, totalsErr
		}
		if len(rp.Incentives) > 0 {
			fmt.Fprintln(tw, strings.Join(encode.TableTotals(rp, totals, opts.Lang), "\t"))
		}
		if err := tw.Flush(); err != nil {
			return nil, err
		}
		if len(rp.Targets) > 0 {
			fmt.Fprintf(bw, "\n%s\n", encode.Legend(opts.Lang))
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	if tmp == nil {
		committed = true
		return res, nil
	}
	if out.Path != "" {
		// Atomically replaced when it is a regular file, written through
		// when it is a symlink or a device, with the umask's mode.
		err := fsutil.Place(tmp, out.Path)
		tmp.Close()
		committed = true
		if err != nil {
			return nil, &OutputError{Path: out.Path, Err: err}
		}
		return res, nil
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	if _, err := io.Copy(out.W, tmp); err != nil {
		return nil, &OutputError{Path: "standard output", Err: err}
	}
	return res, nil
}

// regularFileAt reports whether out.W is to be written directly (when
// eligible: no path, not Direct): a regular file positioned at its end,
// and that position: the point a failed run cuts it back to. A file
// positioned elsewhere (opened for appending, whose offset says nothing of
// where writes go, or opened for update) is not written directly: cutting
// it back could lose what it held.
func regularFileAt(out Output, eligible bool) (*os.File, int64, bool) {
	f, ok := out.W.(*os.File)
	if !eligible || !ok {
		return nil, 0, false
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil, 0, false
	}
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil || off != st.Size() {
		return nil, 0, false
	}
	return f, off, true
}

// OutputError is a failure to write the output (a full disk, a closed
// pipe): not a problem of the input or the policy.
type OutputError struct {
	Path string
	Err  error
}

func (e *OutputError) Error() string { return fmt.Sprintf("writing %s: %v", e.Path, e.Err) }
func (e *OutputError) Unwrap() error { return e.Err }
