// Package rollup counts a policy's input metrics from interaction rows,
// one row per call, chat or ticket, as its rollup block says (SPEC §14):
// each row is read and checked, filtered and turned into its share of
// every measure, sorted on disk by period and subject (memory stays flat
// at any number of rows, subjects and periods), and each (subject,
// period) becomes one snapshot.
package rollup

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/extsort"
	"github.com/rubric-dev/rubric/engine/internal/input"
	"github.com/rubric-dev/rubric/engine/internal/textenc"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// Options control a rollup.
type Options struct {
	Format      string // csv (the default) or ndjson
	SkipInvalid string // write rejected rows here and go on; "" fails on bad input
	MaxErrors   int    // bad-input errors kept; 0: 100
	SortMemory  int    // bytes sorted in memory before spilling; 0: 32 MiB
}

// Result says what a rollup read and wrote.
type Result struct {
	Rows       int // interaction rows read, good or bad
	Counted    int // rows that passed the rollup's where
	Rejected   int // rows written to the rejects file
	Snapshots  int
	Errors     []*engine.InputError
	ErrorCount int
	Warnings   []string
	// Skipped counts, per measure, the rows left out because one of its
	// expressions read a missing value, in block order (none: absent).
	Skipped []Skip
}

// Skip is how many rows a measure left out.
type Skip struct {
	Measure string
	Rows    int
}

// Failed reports whether bad input failed the run (nothing was written).
func (r *Result) Failed() bool { return r.ErrorCount > 0 }

// Run reads in's interaction rows through p's rollup and writes one
// snapshot per subject and period to w: subject, period, team, then the
// measures in block order, sorted by period then subject.
func Run(p *engine.Policy, in engine.Input, w io.Writer, opts Options) (*Result, error) {
	rp := p.Rules()
	ru := rp.Rollup
	if ru == nil {
		return nil, fmt.Errorf("policy %s has no rollup block: its input is snapshots, not interaction rows", rp.Name)
	}
	switch opts.Format {
	case "":
		opts.Format = "csv"
	case "csv", "ndjson":
	default:
		return nil, fmt.Errorf("unknown rollup format %q (csv or ndjson)", opts.Format)
	}
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = 100
	}
	if opts.SortMemory <= 0 {
		opts.SortMemory = 32 << 20
	}
	need := input.Columns{Names: []string{ru.Subject, ru.Time}, Why: fmt.Sprintf("rollup %s reads the subject from %q and the time from %q", ru.Name, ru.Subject, ru.Time)}
	rr, files, done, err := in.Records(need)
	if err != nil {
		return nil, err
	}
	defer done()
	var rejects *engine.Rejects
	if opts.SkipInvalid != "" {
		if rejects, err = engine.NewRejects(opts.SkipInvalid); err != nil {
			return nil, err
		}
		defer rejects.Abort()
	}
	conv := input.NewRowConverter(rp, files[0])
	conv.SetFiles(files)
	sorter := extsort.New("", opts.SortMemory)
	defer sorter.Close()

	res := &Result{}
	skipped := make([]int, len(ru.Measures))
	failing := false
	addErr := func(e *engine.InputError) {
		res.ErrorCount++
		if len(res.Errors) < opts.MaxErrors {
			res.Errors = append(res.Errors, e)
		}
	}
	re := evaluator.NewRowEval()
	var row input.Row
	var key, val []byte
	var seq uint64
	for {
		rec, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var ie *engine.InputError
			if !errors.As(err, &ie) {
				return nil, err
			}
			res.Rows++
			if ie.Raw() != "" && rejects != nil {
				res.Rejected++
				if err := rejects.Write(ie); err != nil {
					return nil, err
				}
				continue
			}
			addErr(ie)
			failing = true
			if ie.Raw() == "" {
				break // the input cannot be read further
			}
			continue
		}
		res.Rows++
		if errs := conv.Convert(rec, &row); len(errs) > 0 {
			if rejects != nil {
				res.Rejected++
				if err := rejects.Write(errs...); err != nil {
					return nil, err
				}
				continue
			}
			failing = true
			for _, e := range errs {
				addErr(e)
			}
			continue
		}
		if failing {
			continue // reading on only to report every bad row
		}
		if ru.Where != nil {
			if v, ok := re.Eval(ru.Where, row.Values); !ok || !v.Bool {
				continue
			}
		}
		res.Counted++
		key = binary.BigEndian.AppendUint64(key[:0], uint64(int64(row.Period.Index()))^(1<<63))
		key = append(append(key, row.Subject...), 0)
		key = binary.BigEndian.AppendUint64(key, seq)
		seq++
		val = encodeRow(val[:0], ru, re, &row, skipped)
		if err := sorter.Add(key, val); err != nil {
			return nil, err
		}
	}
	res.Warnings = conv.Warnings()
	for i, m := range ru.Measures {
		if skipped[i] > 0 {
			res.Skipped = append(res.Skipped, Skip{m.Name, skipped[i]})
		}
	}
	if failing {
		return res, nil
	}
	out := newWriter(w, rp, opts.Format)
	conflicts := 0
	var g *group
	flush := func() error {
		if g == nil {
			return nil
		}
		if len(g.teams) > 1 {
			conflicts++
		}
		res.Snapshots++
		return out.write(g)
	}
	err = sorter.Each(func(v []byte) error {
		r, err := decodeRow(v, ru)
		if err != nil {
			return err
		}
		if g == nil || r.period != g.period || r.subject != g.subject {
			if err := flush(); err != nil {
				return err
			}
			g = newGroup(ru, r.period, r.subject)
		}
		g.add(r)
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err == nil {
		err = out.close()
	}
	if err != nil {
		return nil, err
	}
	if conflicts > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d subject-period(s) have rows in more than one team; each is given the team of its latest row", conflicts))
	}
	if rejects != nil {
		if err := rejects.Commit(); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// A row's record: subject, period index, time, team, then per measure a
// state byte (0: does not count, 1: counts, with its payload).
const (
	stNone  = 0
	stValue = 1
)

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// encodeRow evaluates every measure over a row and encodes its shares.
func encodeRow(b []byte, ru *rules.Rollup, re *evaluator.RowEval, row *input.Row, skipped []int) []byte {
	b = appendString(b, row.Subject)
	b = binary.AppendVarint(b, int64(row.Period.Index()))
	b = binary.AppendVarint(b, row.Time.UnixNano())
	if row.HasTeam {
		b = appendString(append(b, 1), row.Team)
	} else {
		b = append(b, 0)
	}
	for i, m := range ru.Measures {
		if m.Where != nil {
			v, ok := re.Eval(m.Where, row.Values)
			if !ok {
				skipped[i]++
				b = append(b, stNone)
				continue
			}
			if !v.Bool {
				b = append(b, stNone)
				continue
			}
		}
		if m.Kind == rules.MeasureCount && m.Expr == nil {
			b = append(b, stValue, 1)
			continue
		}
		v, ok := re.Eval(m.Expr, row.Values)
		if !ok {
			skipped[i]++
			b = append(b, stNone)
			continue
		}
		switch m.Kind {
		case rules.MeasureCount:
			c := byte(0)
			if v.Bool {
				c = 1
			}
			b = append(b, stValue, c)
		case rules.MeasureSum, rules.MeasureMin, rules.MeasureMax, rules.MeasureAvg:
			text := ""
			if m.Column != nil {
				text = row.Exact[m.Column.Decl.Slot]
			}
			if text == "" {
				d, ok := evaluator.FromFloat(v.Num)
				if !ok {
					skipped[i]++
					b = append(b, stNone)
					continue
				}
				text = d.Text('f')
			}
			b = appendString(append(b, stValue), text)
		case rules.MeasureQuantile:
			b = binary.BigEndian.AppendUint64(append(b, stValue), math.Float64bits(v.Num))
		case rules.MeasureDistinct:
			b = appendString(append(b, stValue), v.String())
		}
	}
	return b
}

// share is one row's decoded record.
type share struct {
	subject string
	period  int
	time    int64
	team    string
	hasTeam bool
	vals    [][]byte // per measure: nil when the row does not count, else its payload
}

func readString(b []byte) (string, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return "", nil, errors.New("rollup: a sorted record is corrupt")
	}
	return string(b[k : k+int(n)]), b[k+int(n):], nil
}

func decodeRow(b []byte, ru *rules.Rollup) (*share, error) {
	var s share
	var err error
	corrupt := errors.New("rollup: a sorted record is corrupt")
	if s.subject, b, err = readString(b); err != nil {
		return nil, err
	}
	p, k := binary.Varint(b)
	if k <= 0 {
		return nil, corrupt
	}
	s.period, b = int(p), b[k:]
	if s.time, k = binary.Varint(b); k <= 0 {
		return nil, corrupt
	}
	b = b[k:]
	if len(b) == 0 {
		return nil, corrupt
	}
	if s.hasTeam, b = b[0] == 1, b[1:]; s.hasTeam {
		if s.team, b, err = readString(b); err != nil {
			return nil, err
		}
	}
	s.vals = make([][]byte, len(ru.Measures))
	for i, m := range ru.Measures {
		if len(b) == 0 {
			return nil, corrupt
		}
		st := b[0]
		b = b[1:]
		if st == stNone {
			continue
		}
		switch m.Kind {
		case rules.MeasureCount:
			s.vals[i], b = b[:1], b[1:]
		case rules.MeasureQuantile:
			if len(b) < 8 {
				return nil, corrupt
			}
			s.vals[i], b = b[:8], b[8:]
		default:
			var t string
			if t, b, err = readString(b); err != nil {
				return nil, err
			}
			s.vals[i] = []byte(t)
		}
	}
	return &s, nil
}

// group aggregates one subject's rows in one period.
type group struct {
	ru       *rules.Rollup
	period   int
	subject  string
	team     string
	hasTeam  bool
	latest   int64
	teams    map[string]bool
	count    []int64
	sum      []apd.Decimal
	n        []int64
	has      []bool
	ext      []apd.Decimal // min or max so far
	quantile [][]float64
	distinct []map[string]bool
}

func newGroup(ru *rules.Rollup, period int, subject string) *group {
	k := len(ru.Measures)
	g := &group{ru: ru, period: period, subject: subject, latest: math.MinInt64, teams: map[string]bool{},
		count: make([]int64, k), sum: make([]apd.Decimal, k), n: make([]int64, k), has: make([]bool, k),
		ext: make([]apd.Decimal, k), quantile: make([][]float64, k), distinct: make([]map[string]bool, k)}
	return g
}

// exact adds and compares decimals exactly (the sum of a month of calls
// needs no rounding).
var exact = apd.BaseContext

func (g *group) add(s *share) {
	if s.hasTeam {
		g.teams[s.team] = true
		if s.time >= g.latest { // rows come in input order within a time: the later wins
			g.team, g.hasTeam, g.latest = s.team, true, s.time
		}
	}
	for i, m := range g.ru.Measures {
		v := s.vals[i]
		if v == nil {
			continue
		}
		g.has[i] = true
		switch m.Kind {
		case rules.MeasureCount:
			g.count[i] += int64(v[0])
		case rules.MeasureQuantile:
			g.quantile[i] = append(g.quantile[i], math.Float64frombits(binary.BigEndian.Uint64(v)))
		case rules.MeasureDistinct:
			if g.distinct[i] == nil {
				g.distinct[i] = map[string]bool{}
			}
			g.distinct[i][string(v)] = true
		default:
			var d apd.Decimal
			if _, _, err := d.SetString(string(v)); err != nil {
				continue // written by encodeRow from a valid decimal: cannot happen
			}
			switch m.Kind {
			case rules.MeasureSum, rules.MeasureAvg:
				exact.Add(&g.sum[i], &g.sum[i], &d)
				g.n[i]++
			case rules.MeasureMin:
				if g.n[i] == 0 || d.Cmp(&g.ext[i]) < 0 {
					g.ext[i].Set(&d)
				}
				g.n[i]++
			case rules.MeasureMax:
				if g.n[i] == 0 || d.Cmp(&g.ext[i]) > 0 {
					g.ext[i].Set(&d)
				}
				g.n[i]++
			}
		}
	}
}

// avgCtx divides to 34 significant digits, half to even (SPEC §4).
var avgCtx = func() *apd.Context {
	c := apd.BaseContext.WithPrecision(34)
	c.Rounding = apd.RoundHalfEven
	return c
}()

// value is measure i's value as text, "" when it has none: counts are 0
// when no row counted, the others have no value without a row.
func (g *group) value(i int) string {
	m := g.ru.Measures[i]
	switch m.Kind {
	case rules.MeasureCount:
		return strconv.FormatInt(g.count[i], 10)
	case rules.MeasureDistinct:
		return strconv.Itoa(len(g.distinct[i]))
	}
	if !g.has[i] {
		return ""
	}
	switch m.Kind {
	case rules.MeasureSum:
		return g.sum[i].Text('f')
	case rules.MeasureMin, rules.MeasureMax:
		return g.ext[i].Text('f')
	case rules.MeasureAvg:
		var q apd.Decimal
		avgCtx.Quo(&q, &g.sum[i], apd.New(g.n[i], 0))
		q.Reduce(&q)
		return q.Text('f')
	case rules.MeasureQuantile:
		return strconv.FormatFloat(quantile(g.quantile[i], m.Quantile), 'f', -1, 64)
	}
	return ""
}

// quantile is the q-quantile of xs by linear interpolation between the
// closest ranks (SPEC §11: rank q·(n−1)).
func quantile(xs []float64, q float64) float64 {
	slices.Sort(xs)
	if len(xs) == 1 {
		return xs[0]
	}
	r := q * float64(len(xs)-1)
	lo := int(math.Floor(r))
	if lo >= len(xs)-1 {
		return xs[len(xs)-1]
	}
	return xs[lo] + (r-float64(lo))*(xs[lo+1]-xs[lo])
}

// writer writes the snapshots as CSV or NDJSON.
type writer struct {
	w      io.Writer
	rp     *rules.Policy
	format string
	buf    bytes.Buffer
	err    error
}

func newWriter(w io.Writer, rp *rules.Policy, format string) *writer {
	out := &writer{w: w, rp: rp, format: format}
	if format == "csv" {
		head := []string{"subject", "period", "team"}
		for _, m := range rp.Rollup.Measures {
			head = append(head, m.Name)
		}
		out.buf.Write(textenc.CSVLine(head))
	}
	return out
}

func (o *writer) write(g *group) error {
	label := rules.PeriodAt(o.rp.Period, g.period).Label
	team := ""
	if g.hasTeam {
		team = g.team
	}
	if o.format == "csv" {
		cells := []string{g.subject, label, team}
		for i := range o.rp.Rollup.Measures {
			cells = append(cells, g.value(i))
		}
		o.buf.Write(textenc.CSVLine(cells))
	} else {
		j := textenc.JSON{B: o.buf.AvailableBuffer()}
		j.Raw("{")
		j.Key("subject")
		j.Str(g.subject)
		j.Key("period")
		j.Str(label)
		j.Key("team")
		if g.hasTeam {
			j.Str(team)
		} else {
			j.Raw("null")
		}
		for i, m := range o.rp.Rollup.Measures {
			j.Key(m.Name)
			if v := g.value(i); v == "" {
				j.Raw("null")
			} else {
				j.Raw(v)
			}
		}
		j.Raw("}\n")
		o.buf.Write(j.B)
	}
	if o.buf.Len() >= 64<<10 {
		return o.flush()
	}
	return nil
}

func (o *writer) flush() error {
	if o.err == nil && o.buf.Len() > 0 {
		_, o.err = o.w.Write(o.buf.Bytes())
	}
	o.buf.Reset()
	return o.err
}

func (o *writer) close() error { return o.flush() }
