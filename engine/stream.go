package engine

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"

	"github.com/rubric-dev/rubric/engine/internal/extsort"
	"github.com/rubric-dev/rubric/engine/internal/fsutil"
	"github.com/rubric-dev/rubric/engine/internal/input"
	"github.com/rubric-dev/rubric/engine/internal/pipeline"
	"github.com/rubric-dev/rubric/engine/internal/teamstats"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/evaluator/lang"
	"github.com/rubric-dev/rubric/rules"
)

// Input names where snapshots come from.
type Input struct {
	Name   string    // a file path, or "-" for Stdin
	Format string    // csv, json or ndjson; "" picks by extension
	Stdin  io.Reader // read when Name is "-"
	// Periods selects the periods written out (or paid): labels or
	// FROM..TO ranges, inclusive. Every snapshot is still read, checked,
	// and used as history and for team.* and all.*. Empty: all.
	Periods []string
	// Names, when set, are several files read as one input, in order
	// (SPEC §5): a duplicate across them is a duplicate, every error names
	// its file; Name is then ignored. Each file's format is Format, or its
	// own by its name.
	Names []string
	// AllowEmpty accepts a selection that holds no snapshot; otherwise
	// Stream returns an *EmptySelectionError (SPEC §10) before the caller
	// writes anything.
	AllowEmpty bool
}

// EmptySelectionError is a period selection that holds no snapshot: the
// run wrote nothing.
type EmptySelectionError struct{ Periods []string }

func (e *EmptySelectionError) Error() string {
	return "no snapshot in " + strings.Join(e.Periods, ", ") + " (use --allow-empty if that is expected)"
}

// StreamOptions control reading and evaluation.
type StreamOptions struct {
	Explain bool // fill why and steps
	// Lang is the language of renderings for people (explain's report;
	// nil: English). Outcomes, JSON and files are not affected.
	Lang           *lang.Locale
	IncentivesOnly bool   // compute only what incentives depend on (payroll)
	SkipInvalid    string // write rejected rows here and go on; "" fails on bad input
	Workers        int    // 0: every core
	MaxErrors      int    // bad-input errors kept for the report; 0: 100
	// Progress, when set, counts the bytes and rows read (the main pass).
	Progress *Progress
	// Context stops the run when it is done (a request's deadline, a
	// client that went away): reading and evaluation end promptly and
	// Stream returns its error. nil: never.
	Context context.Context
	// InKeyOrder evaluates the snapshots, and passes their bytes to write,
	// in order of subject and period (bytes of subject NUL period) rather
	// than input order: a payroll export is written in that order. An
	// input file already in that order is read and evaluated as it comes
	// (a first pass over its keys tells); otherwise the snapshots are
	// sorted as read, after every row is checked, and evaluation starts
	// once the input is read. A policy with history evaluates subject by
	// subject whatever it says, and sorts its outcomes by key instead of
	// back into input order.
	InKeyOrder bool
	// TempDir is where the key order's sort spills ("": the system's
	// temporary directory); payroll spills beside its export.
	TempDir string
	// EncodeAll passes every snapshot's outcome to encode, also those of
	// periods not selected and history-only ones (explain and trend show
	// them); Snapshot.HistoryOnly and Selection.Has tell them apart.
	EncodeAll bool
}

// StreamResult says what a run read.
type StreamResult struct {
	Evaluated int
	// Selected counts the good snapshots of the selected periods (all
	// periods when none is selected), history-only ones left out.
	Selected   int
	Rejected   int           // rows written to the rejects file
	Errors     []*InputError // bad input, up to MaxErrors
	ErrorCount int           // all bad input, also beyond MaxErrors
	Warnings   []string
	// HistoryOnly counts snapshots before effective_from read only as
	// history (policies with history).
	HistoryOnly int
	// Rows counts the input's records, good or bad.
	Rows int
	// LeftOut lists the teams and periods whose team.* and all.* figures
	// were computed without rows rejected under SkipInvalid (set only when
	// the policy uses those figures).
	LeftOut []string
	// HistoryLeftOut lists the rejected rows (subject in period) that fall
	// in the history window of a snapshot written out: the names looking
	// back on them have no result there (SPEC §10).
	HistoryLeftOut []string
	// ThinHistory, when set, says that the policy looks back before the
	// input's first period (SPEC §10, Thin history).
	ThinHistory string

	leftOut  map[string]bool
	rejected map[string][]string // subject -> the periods of its rejected rows
}

// noteRejected records the subject and period of a rejected row, for the
// history windows that reach it.
func (r *StreamResult) noteRejected(e *InputError) {
	if e.Subject == "" || e.Period == "" {
		return
	}
	if r.rejected == nil {
		r.rejected = map[string][]string{}
	}
	r.rejected[e.Subject] = append(r.rejected[e.Subject], e.Period)
}

func (r *StreamResult) noteLeftOut(e *InputError) {
	if r.leftOut == nil {
		r.leftOut = map[string]bool{}
	}
	key := "period " + e.Period
	if e.Team != "" {
		key = "team " + e.Team + " in " + e.Period
	}
	r.leftOut[key] = true
}

// finishLeftOut fills LeftOut when the figures are used.
func (r *StreamResult) finishLeftOut(statsUsed bool) {
	if !statsUsed {
		return
	}
	for k := range r.leftOut {
		r.LeftOut = append(r.LeftOut, k)
	}
	sort.Strings(r.LeftOut)
}

// Failed reports whether bad input failed the run.
func (r *StreamResult) Failed() bool { return r.ErrorCount > 0 }

const batchSize = 256

// memKeys is the number of (subject, period) keys a run that fails on bad
// input checks for duplicates in memory (about 3 MiB) before the check
// moves to disk. A variable for tests.
var memKeys = 1 << 16

// evalBatch is a batch of snapshots on its way through the evaluation
// pipe, and the bytes its outcomes became.
type evalBatch struct {
	snaps   []*evaluator.Snapshot
	out     []byte              // kept from round to round: a run reuses a few buffers
	current *evaluator.Snapshot // the snapshot being evaluated, for error messages
	err     error               // a panic while evaluating it (a bug)
}

// pool evaluates batches of snapshots on every core (a pipeline.Pipe)
// and hands their bytes to write, from one goroutine, in the order the
// batches were sent.
type pool struct {
	pipe *pipeline.Pipe[evalBatch]
	// Snapshots go round: a worker empties those of a batch it has
	// evaluated, and the reader fills them with the next rows.
	snaps    chan []*evaluator.Snapshot
	panicErr error // set by take; read after close
	writeErr error
}

// startPool starts workers goroutines that run eval on each snapshot of a
// batch (appending its bytes), and the ordered writer. file names the
// input in the error a panic becomes; progress, when not nil, counts the
// snapshots evaluated.
func startPool(ctx context.Context, workers int, file string, progress *Progress, eval func(o *evaluator.Outcome, s *evaluator.Snapshot, out []byte) []byte, write func([]byte) error) *pool {
	pl := &pool{snaps: make(chan []*evaluator.Snapshot, workers*4+4)}
	pl.pipe = pipeline.Start(workers, workers*4, false, func() func(*evalBatch) {
		var o evaluator.Outcome // reused: encode must not keep it
		return func(b *evalBatch) {
			evaluate(ctx, file, b, &o, eval)
			if progress != nil {
				progress.evaluated.Add(int64(len(b.snaps)))
			}
			snaps := b.snaps
			b.snaps, b.current = nil, nil
			pl.recycle(snaps)
		}
	}, func(b *evalBatch, panicked any) bool {
		if panicked != nil && b.err == nil {
			b.err = fmt.Errorf("internal error while evaluating %s: %v (please report this with the policy and the input)", file, panicked)
		}
		if b.err != nil && pl.panicErr == nil {
			pl.panicErr = b.err
		}
		// After a failed write or a panic, later batches are taken unwritten.
		if pl.writeErr == nil && pl.panicErr == nil && len(b.out) > 0 {
			pl.writeErr = write(b.out)
		}
		b.err = nil
		return true
	})
	return pl
}

// evaluate runs one batch. A panic here is a bug in rubric. It must not
// take the process down half-way through a file: it fails the run with
// the snapshot that caused it, and nothing is written.
func evaluate(ctx context.Context, file string, b *evalBatch, o *evaluator.Outcome, eval func(o *evaluator.Outcome, s *evaluator.Snapshot, out []byte) []byte) {
	defer func() {
		if r := recover(); r != nil {
			s := b.current
			b.err = fmt.Errorf("internal error while evaluating %s line %d (%s %s): %v (please report this with the policy and the row)", file, s.Line, s.Subject, s.Period.Label, r)
			b.out = b.out[:0]
		}
	}()
	if ctx.Err() != nil {
		b.out = b.out[:0] // cancelled: nothing more is evaluated
		return
	}
	for _, s := range b.snaps {
		b.current = s
		b.out = eval(o, s, b.out)
	}
}

// recycle empties the snapshots of an evaluated batch for the reader.
func (pl *pool) recycle(snaps []*evaluator.Snapshot) {
	for _, s := range snaps {
		s.Reset()
	}
	select {
	case pl.snaps <- snaps[:0]:
	default:
	}
}

// snapshots returns an empty slice of snapshots to fill (up to batchSize),
// recycled when one is free.
func (pl *pool) snapshots() []*evaluator.Snapshot {
	select {
	case s := <-pl.snaps:
		return s
	default:
		return make([]*evaluator.Snapshot, 0, batchSize)
	}
}

// send queues snaps as the next batch.
func (pl *pool) send(snaps []*evaluator.Snapshot) {
	pl.pipe.Send(func(b *evalBatch) bool {
		b.snaps, b.out = snaps, b.out[:0]
		return true
	})
}

// close waits for every batch to be evaluated and written, and returns
// the error of a panic or of write.
func (pl *pool) close() (panicErr, writeErr error) {
	pl.pipe.Close()
	return pl.panicErr, pl.writeErr
}

// Stream reads and checks every snapshot of in and evaluates the good ones
// on every core. encode runs in the workers and appends an outcome's bytes
// (the outcome is reused after encode returns: Clone it to keep it), and
// write must not keep the bytes it is given (the buffer is reused);
// write receives those bytes in input order, from one goroutine. When bad
// input fails the run (no SkipInvalid), evaluation stops at the first bad
// row but reading goes on, so every bad row is reported; the caller must
// then discard what write received. A returned error means the input could
// not be read at all. A nil write makes encode a visitor on the workers,
// for a caller that counts in any order (calibrate); one that wants the
// outcomes in order uses Outcomes.
func (p *Policy) Stream(in Input, opts StreamOptions, encode func(o *evaluator.Outcome, buf []byte) []byte, write func([]byte) error) (*StreamResult, error) {
	if write == nil {
		write = func([]byte) error { return nil } // encode visits; nothing is written
	}
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = 100
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	in, err := in.detected()
	if err != nil {
		return nil, err
	}
	files := in.Files()
	format := in.Format
	if format == "" {
		format = InputFormat(files[0])
	}
	if format == "" {
		return nil, fmt.Errorf("%s: cannot tell the input format from the name (csv, json or ndjson)", files[0])
	}
	ctx := opts.Context
	if ctx == nil {
		ctx = context.Background()
	}
	sel, err := parseSelection(in.Periods, p.Rules().Period)
	if err != nil {
		return nil, err
	}
	ev := p.evaluator(evaluator.Options{Explain: opts.Explain, IncentivesOnly: opts.IncentivesOnly})
	src, err := openInput(in, format, ev.NeedsStats(), opts.Progress)
	if err != nil {
		return nil, err
	}
	defer src.Cleanup()

	res := &StreamResult{}
	var stats *evaluator.Stats
	if ev.NeedsStats() && p.Rules().History == 0 {
		stats, err = teamStats(ctx, src, p, ev, workers, opts.SkipInvalid != "")
		if err != nil {
			return nil, err
		}
	}

	var rejects *rejectWriter
	if opts.SkipInvalid != "" {
		rejects, err = newRejectWriter(opts.SkipInvalid)
		if err != nil {
			return nil, err
		}
		defer rejects.abort()
	}

	rr, done, err := src.Reader(true)
	if err != nil {
		var ie *InputError
		if errors.As(err, &ie) {
			res.Errors, res.ErrorCount = []*InputError{ie}, 1
			return res, nil
		}
		return nil, err
	}
	defer done()
	conv := input.NewConverter(p.Rules(), files[0])
	conv.SetFiles(files)
	defer conv.Close()
	if opts.SkipInvalid == "" {
		// A duplicate fails the run, so it may be found at the end: the
		// check moves to disk past memKeys keys and memory stays flat.
		conv.SpillDuplicates(memKeys)
	}

	if p.Rules().History > 0 {
		return p.streamHistory(ctx, in, ev, rr, conv, rejects, res, opts, sel, workers, encode, write)
	}
	pl := startPool(ctx, workers, files[0], opts.Progress, func(o *evaluator.Outcome, s *evaluator.Snapshot, out []byte) []byte {
		return encode(ev.EvaluateInto(o, s, stats), out)
	}, write)
	cur := pl.snapshots()
	var lent *evaluator.Snapshot // handed out for a row; reset if it comes back unused
	alloc := func() *evaluator.Snapshot {
		n := len(cur)
		if n == cap(cur) || cur[:n+1][n] == nil {
			return nil
		}
		s := cur[:n+1][n]
		if s == lent {
			s.Reset()
		}
		lent = s
		return s
	}
	push := func(snap *evaluator.Snapshot) {
		if cur = append(cur, snap); len(cur) == batchSize {
			pl.send(cur)
			cur = pl.snapshots()
		}
	}
	var byKey *keyOrder
	if opts.InKeyOrder && (len(files) > 1 || !arrivesInKeyOrder(in, format)) {
		byKey = newKeyOrder(p.Rules(), opts.TempDir)
		defer byKey.close()
		alloc = byKey.alloc
	}
	// emit takes a good snapshot (and its encoding, when a parallel read
	// made it) in input order.
	emit := func(snap *evaluator.Snapshot, bin []byte) {
		if sel.has(snap.Period) {
			res.Selected++
		} else if !opts.EncodeAll {
			return
		}
		res.Evaluated++
		if byKey != nil {
			byKey.add(snap, bin)
			return
		}
		push(snap)
	}
	var failing bool
	var readErr error
	if byKey != nil && workers > 1 {
		// Nothing is evaluated until every row is read: convert on every core.
		failing, readErr = readInParallel(ctx, p.Rules(), rr, conv, rejects, res, opts, workers, emit)
	} else {
		failing, readErr = readSnapshots(ctx, rr, conv, rejects, res, opts, alloc, func(s *evaluator.Snapshot) { emit(s, nil) })
	}
	if byKey != nil && readErr == nil && !failing {
		readErr = byKey.each(ctx, func() *evaluator.Snapshot {
			if n := len(cur); cur[:n+1][n] != nil {
				return cur[:n+1][n] // recycled, empty
			}
			return evaluator.NewSnapshot(p.Rules())
		}, push)
	}
	if len(cur) > 0 && !failing {
		pl.send(cur)
	}
	panicErr, werr := pl.close()
	res.Warnings = conv.Warnings()
	res.finishLeftOut(ev.NeedsStats())
	if panicErr != nil {
		return nil, panicErr
	}
	if readErr != nil {
		return nil, readErr
	}
	if werr != nil {
		return nil, werr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if failing {
		res.Evaluated = 0
		return res, nil
	}
	if err := checkSelection(in, res); err != nil {
		return nil, err
	}
	if rejects != nil {
		if err := rejects.commit(); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// checkSelection refuses a selection that holds no snapshot.
func checkSelection(in Input, res *StreamResult) error {
	if len(in.Periods) > 0 && res.Selected == 0 && !in.AllowEmpty && res.Rows > 0 {
		return &EmptySelectionError{Periods: in.Periods}
	}
	return nil
}

// arrivesInKeyOrder reports whether in is a regular file whose records
// already come in key order (input.InKeyOrder): a stream in key order then
// reads and evaluates them as they come, evaluation overlapping reading,
// instead of sorting them first. A file read by this pass and changed
// before the next cannot break the order of an export: payroll checks it
// and sorts what comes out of order.
func arrivesInKeyOrder(in Input, format string) bool {
	if in.Name == "-" {
		return false
	}
	if fi, err := os.Stat(in.Name); err != nil || !fi.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(in.Name)
	if err != nil {
		return false
	}
	defer f.Close()
	rr, err := input.NewReader(f, in.Name, format)
	if err != nil {
		return false
	}
	return input.InKeyOrder(rr)
}

// keyOrder sorts a run's good snapshots by subject and period (the bytes
// of subject NUL period), on disk past 8 MiB, for a stream that evaluates
// them in that order (StreamOptions.InKeyOrder). Sorting the snapshots as
// read (about 150 bytes each) costs a fraction of sorting what is written
// from them: a payroll line and its explanation are over 1 KB.
type keyOrder struct {
	sorter   *extsort.Sorter
	err      error
	key, val []byte
	scratch  *evaluator.Snapshot // each row is converted into it, then added
	dec      evaluator.SnapshotDecoder
}

func newKeyOrder(p *rules.Policy, dir string) *keyOrder {
	return &keyOrder{sorter: extsort.New(dir, 8<<20), scratch: evaluator.NewSnapshot(p)}
}

func (k *keyOrder) alloc() *evaluator.Snapshot {
	k.scratch.Reset()
	return k.scratch
}

// add adds s, whose AppendBinary is bin (nil: encoded here).
func (k *keyOrder) add(s *evaluator.Snapshot, bin []byte) {
	if bin == nil {
		k.val = s.AppendBinary(k.val[:0])
		bin = k.val
	}
	k.key = append(append(append(k.key[:0], s.Subject...), 0), s.Period.Label...)
	if err := k.sorter.Add(k.key, bin); err != nil && k.err == nil {
		k.err = err
	}
}

// each decodes the snapshots in key order, each into an empty one from
// next, and passes it to push.
func (k *keyOrder) each(ctx context.Context, next func() *evaluator.Snapshot, push func(*evaluator.Snapshot)) error {
	if k.err != nil {
		return k.err
	}
	n := 0
	return k.sorter.Each(func(val []byte) error {
		if n++; n%batchSize == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		s := next()
		if err := k.dec.DecodeInto(s, val); err != nil {
			return err
		}
		push(s)
		return nil
	})
}

func (k *keyOrder) close() { k.sorter.Close() }

// readSnapshots reads every record, checks it and passes each good
// snapshot to emit. Bad rows are rejected (with a rejects file) or
// reported; once bad input fails the run, reading goes on to report every
// bad row but nothing more is emitted.
//
// alloc, when not nil, offers an empty snapshot to convert into (nil: a
// new one).
func readSnapshots(ctx context.Context, rr input.Reader, conv *input.Converter, rejects *rejectWriter, res *StreamResult, opts StreamOptions, alloc func() *evaluator.Snapshot, emit func(*evaluator.Snapshot)) (failing bool, readErr error) {
	r := &reading{conv: conv, rejects: rejects, res: res, opts: opts, emit: emit}
	for {
		if res.Rows%256 == 0 {
			if err := ctx.Err(); err != nil {
				return r.failing, err
			}
		}
		rec, err := rr.Next()
		if err == io.EOF {
			break
		}
		if !r.record(rec, err, func() (*evaluator.Snapshot, []*InputError) {
			var into *evaluator.Snapshot
			if alloc != nil {
				into = alloc()
			}
			return conv.ConvertInto(rec, into)
		}) {
			break
		}
	}
	return r.finish()
}

// reading is what readSnapshots and readInParallel do with each record,
// in input order.
type reading struct {
	conv    *input.Converter
	rejects *rejectWriter
	res     *StreamResult
	opts    StreamOptions
	emit    func(*evaluator.Snapshot)
	failing bool
	err     error // reading cannot go on
}

func (r *reading) addError(e *InputError) {
	r.res.ErrorCount++
	if len(r.res.Errors) < r.opts.MaxErrors {
		r.res.Errors = append(r.res.Errors, e)
	}
}

// readError takes the error reading a record (record's part: a variable
// that errors.As is given escapes, and must not cost every row).
func (r *reading) readError(err error) bool {
	var ie *InputError
	if errors.As(err, &ie) && ie.Raw() != "" && r.rejects != nil {
		// A row that cannot be read as a record (a wrong field count,
		// a broken NDJSON line) is still a row: reject it and go on.
		r.res.Rejected++
		if werr := r.rejects.write(ie); werr != nil {
			r.err = werr
			return false
		}
		return true
	}
	if ie != nil {
		r.addError(ie)
		r.failing = true
		return ie.Raw() != ""
	}
	r.err = err
	return false
}

// record takes the next record, or the error reading it: convert gives
// its snapshot or what is wrong with it. It reports whether reading goes
// on.
func (r *reading) record(rec *input.Record, err error, convert func() (*evaluator.Snapshot, []*InputError)) bool {
	r.res.Rows++
	if r.opts.Progress != nil {
		r.opts.Progress.rows.Add(1)
	}
	if err != nil {
		return r.readError(err)
	}
	snap, errs := convert()
	if len(errs) > 0 {
		if r.rejects != nil {
			r.res.Rejected++
			r.res.noteLeftOut(errs[0])
			r.res.noteRejected(errs[0])
			if werr := r.rejects.write(errs...); werr != nil {
				r.err = werr
				return false
			}
			return true
		}
		r.failing = true
		for _, e := range errs {
			r.addError(e)
		}
		return true
	}
	if r.failing {
		return true
	}
	if snap.HistoryOnly {
		r.res.HistoryOnly++
	}
	r.emit(snap)
	return true
}

// finish adds the duplicates found only at the end of the input
// (Converter.SpillDuplicates) to the errors, in line order.
func (r *reading) finish() (failing bool, err error) {
	if r.err != nil {
		return r.failing, r.err
	}
	late, err := r.conv.LateDuplicates()
	if err != nil {
		return r.failing, err
	}
	if len(late) > 0 {
		r.failing = true
		r.res.ErrorCount += len(late)
		r.res.Errors = mergeByLine(r.res.Errors, late, r.opts.MaxErrors)
	}
	return r.failing, nil
}

// mergeByLine merges two lists of errors in line order, an error of a
// keeps its place before one of b on the same line, and keeps the first
// max.
func mergeByLine(a, b []*InputError, max int) []*InputError {
	out := make([]*InputError, 0, min(len(a)+len(b), max))
	for len(out) < max && (len(a) > 0 || len(b) > 0) {
		if len(b) == 0 || (len(a) > 0 && a[0].Line <= b[0].Line) {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return out
}

// detected is in with the format of standard input told from its first
// byte when no format is given (SPEC §5): '[' is JSON, '{' NDJSON, and
// anything else CSV (a byte order mark and white space before it are
// skipped). Other inputs are returned as they are.
func (in Input) detected() (Input, error) {
	if in.Format != "" || len(in.Names) > 0 || in.Name != "-" {
		return in, nil
	}
	stdin := in.Stdin
	if stdin == nil {
		stdin = os.Stdin
	}
	br := bufio.NewReaderSize(stdin, 64<<10)
	in.Stdin, in.Format = br, FormatCSV
	for i := 1; ; i++ {
		b, err := br.Peek(i)
		if len(b) < i {
			if err != nil && err != io.EOF {
				return in, err
			}
			return in, nil // empty, or only white space: CSV's own message
		}
		c := b[i-1]
		if i <= 3 && bytes.HasPrefix([]byte("\xef\xbb\xbf"), b) {
			continue
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			if i >= 64<<10 {
				return in, nil
			}
			continue
		case '[':
			in.Format = FormatJSON
		case '{':
			in.Format = FormatNDJSON
		case 0x1f:
			return in, errors.New("standard input is gzip-compressed: say --input-format csv, json or ndjson")
		}
		return in, nil
	}
}

// Files are the input's files, in order: Names when given, else Name.
func (in Input) Files() []string {
	if len(in.Names) > 0 {
		return in.Names
	}
	return []string{in.Name}
}

// teamStats is the first pass for team.* and all.*: over one CSV file in
// chunks on every core, else over the records.
func teamStats(ctx context.Context, s *input.Source, p *Policy, ev *evaluator.Evaluator, workers int, exactDups bool) (*evaluator.Stats, error) {
	files := s.Files()
	if len(files) == 1 {
		return teamstats.Pass(ctx, p.Rules(), ev, func() (io.ReadCloser, error) { return s.Open(0) }, files[0], s.FormatOf(0), workers, exactDups)
	}
	return teamstats.Records(ctx, p.Rules(), ev, func() (input.Reader, func(), error) { return s.Reader(false) }, files[0], workers, exactDups)
}

// openInput opens in's files as a source (twice: for two passes),
// counting the bytes read into progress.
func openInput(in Input, format string, twice bool, progress *Progress) (*input.Source, error) {
	var count func(int64)
	if progress != nil {
		count = func(n int64) { progress.bytes.Add(n) }
	}
	return input.OpenSource(in.Files(), in.Stdin, in.Format, format, twice, count)
}

// rejectWriter is the rejects file of a run (SkipInvalid).
type rejectWriter struct{ *input.Rejects }

func newRejectWriter(path string) (*rejectWriter, error) {
	r, err := input.NewRejects(path)
	if err != nil {
		return nil, err
	}
	return &rejectWriter{r}, nil
}

func (r *rejectWriter) write(errs ...*InputError) error { return r.Write(errs...) }

func (r *rejectWriter) commit() error {
	flushErr, placeErr := r.Commit()
	if placeErr != nil {
		return &OutputError{Path: r.Path(), Err: placeErr}
	}
	return flushErr
}

func (r *rejectWriter) abort() { r.Abort() }

// Rewindable returns an input that can be read more than once: standard
// input ("-") is copied to a temporary file first, and release removes
// it; any other input is returned as it is, with a release that does
// nothing. Payroll reads its input twice (a digest, then the run); diff
// runs two policies over it.
func (in Input) Rewindable() (out Input, release func(), err error) {
	if len(in.Names) > 0 || in.Name != "-" {
		return in, func() {}, nil
	}
	if in, err = in.detected(); err != nil {
		return Input{}, nil, err
	}
	src := in.Stdin
	if src == nil {
		src = os.Stdin
	}
	f, err := fsutil.CreateTemp("", "rubric-stdin-*")
	if err != nil {
		return Input{}, nil, err
	}
	release = func() { f.Close(); fsutil.Remove(f.Name()) }
	if _, err := io.Copy(f, src); err != nil {
		release()
		return Input{}, nil, err
	}
	out = in
	out.Name, out.Stdin = f.Name(), nil
	return out, release, nil
}
