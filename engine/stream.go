package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/rubric-dev/rubric/engine/internal/fsutil"
	"github.com/rubric-dev/rubric/engine/internal/input"
	"github.com/rubric-dev/rubric/engine/internal/pool"
	"github.com/rubric-dev/rubric/engine/internal/reading"
	"github.com/rubric-dev/rubric/engine/internal/teamstats"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/evaluator/lang"
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
	// than input order: a payroll export is written in that order. The
	// snapshots are sorted as read (reading.KeyOrder: an input already in
	// that order makes one run), after every row is checked, and
	// evaluation starts once the input is read. A policy with history
	// evaluates subject by subject whatever it says, and sorts its
	// outcomes by key instead of back into input order.
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
}

// take adds what reading counted; statsUsed says whether the policy uses
// team.* and all.* figures (LeftOut is set only then).
func (r *StreamResult) take(t *reading.Tally, statsUsed bool) {
	r.Rows, r.Rejected, r.HistoryOnly = t.Rows, t.Rejected, t.HistoryOnly
	r.Errors, r.ErrorCount = t.Errors, t.ErrorCount
	if statsUsed {
		r.LeftOut = t.LeftOut()
	}
}

// Failed reports whether bad input failed the run.
func (r *StreamResult) Failed() bool { return r.ErrorCount > 0 }

// memKeys is the number of (subject, period) keys a run that fails on bad
// input checks for duplicates in memory (about 3 MiB) before the check
// moves to disk. A variable for tests.
var memKeys = 1 << 16

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

	var rejects *input.Rejects
	if opts.SkipInvalid != "" {
		rejects, err = input.NewRejects(opts.SkipInvalid)
		if err != nil {
			return nil, err
		}
		defer rejects.Abort()
	}
	ropts := reading.Options{MaxErrors: opts.MaxErrors, Rejects: rejects}
	if opts.Progress != nil {
		ropts.Rows = &opts.Progress.rows
	}
	tally := &reading.Tally{}

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
		return p.streamHistory(ctx, in, ev, rr, conv, ropts, tally, res, opts, sel, workers, encode, write)
	}
	var evaluated *atomic.Int64
	if opts.Progress != nil {
		evaluated = &opts.Progress.evaluated
	}
	pl := pool.Start(ctx, workers, files[0], evaluated, func(o *evaluator.Outcome, s *evaluator.Snapshot, out []byte) []byte {
		return encode(ev.EvaluateInto(o, s, stats), out)
	}, write)
	cur := pl.Snapshots()
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
		if cur = append(cur, snap); len(cur) == pool.BatchSize {
			pl.Send(cur)
			cur = pl.Snapshots()
		}
	}
	var byKey *reading.KeyOrder
	if opts.InKeyOrder {
		byKey = reading.NewKeyOrder(p.Rules(), opts.TempDir)
		defer byKey.Close()
		alloc = byKey.Alloc
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
			byKey.Add(snap, bin)
			return
		}
		push(snap)
	}
	var failing bool
	var readErr error
	if byKey != nil && workers > 1 {
		// Nothing is evaluated until every row is read: convert on every core.
		failing, readErr = reading.Parallel(ctx, p.Rules(), rr, conv, ropts, tally, workers, emit)
	} else {
		failing, readErr = reading.Serial(ctx, rr, conv, ropts, tally, alloc, func(s *evaluator.Snapshot) { emit(s, nil) })
	}
	if byKey != nil && readErr == nil && !failing {
		readErr = byKey.Each(ctx, func() *evaluator.Snapshot {
			if n := len(cur); cur[:n+1][n] != nil {
				return cur[:n+1][n] // recycled, empty
			}
			return evaluator.NewSnapshot(p.Rules())
		}, push)
	}
	if len(cur) > 0 && !failing {
		pl.Send(cur)
	}
	panicErr, werr := pl.Close()
	res.Warnings = conv.Warnings()
	res.take(tally, ev.NeedsStats())
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
	if err := commitRejects(rejects); err != nil {
		return nil, err
	}
	return res, nil
}

// commitRejects puts a run's rejects file (nil: none) in place.
func commitRejects(r *input.Rejects) error {
	if r == nil {
		return nil
	}
	flushErr, placeErr := r.Commit()
	if placeErr != nil {
		return &OutputError{Path: r.Path(), Err: placeErr}
	}
	return flushErr
}

// checkSelection refuses a selection that holds no snapshot.
func checkSelection(in Input, res *StreamResult) error {
	if len(in.Periods) > 0 && res.Selected == 0 && !in.AllowEmpty && res.Rows > 0 {
		return &EmptySelectionError{Periods: in.Periods}
	}
	return nil
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
	var err error
	in.Stdin, in.Format, err = input.Sniff(stdin)
	return in, err
}

// Files are the input's files, in order: Names when given, else Name.
func (in Input) Files() []string {
	if len(in.Names) > 0 {
		return in.Names
	}
	return []string{in.Name}
}

// teamStats is the first pass for team.* and all.* (teamstats.Pass).
func teamStats(ctx context.Context, s *input.Source, p *Policy, ev *evaluator.Evaluator, workers int, exactDups bool) (*evaluator.Stats, error) {
	return teamstats.Pass(ctx, p.Rules(), ev, func() (input.Reader, func(), error) { return s.Reader(false) }, s.Files()[0], workers, exactDups)
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
