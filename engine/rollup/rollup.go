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
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/extsort"
	"github.com/rubric-dev/rubric/engine/internal/input"
	"github.com/rubric-dev/rubric/engine/internal/textenc"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/evaluator/money"
	"github.com/rubric-dev/rubric/rules"
)

// Options control a rollup.
type Options struct {
	Format      string // csv (the default) or ndjson
	SkipInvalid string // write rejected rows here and go on; "" fails on bad input
	MaxErrors   int    // bad-input errors kept; 0: 100
	SortMemory  int    // bytes of groups held in memory before they spill to disk; 0: 32 MiB
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
	sorter := extsort.New("", 8<<20) // partial groups, when the groups outgrow their memory
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
	agg := newAggregator(ru, sorter, opts.SortMemory)
	var row input.Row
	var sh share
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
		rowShare(&sh, ru, re, &row, skipped)
		if err := agg.add(&sh); err != nil {
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
	err = agg.each(func(g *group) error {
		if g.err != nil {
			return fmt.Errorf("%s %s: %w", g.subject, rules.PeriodAt(rp.Period, g.period).Label, g.err)
		}
		if len(g.teams) > 1 {
			conflicts++
		}
		res.Snapshots++
		return out.write(g)
	})
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

// share is one row's part of every measure: nil where the row does not
// count, else its payload (a count's 0 or 1; a decimal's text; a
// quantile's float bits; a distinct value's text). Reused row by row.
type share struct {
	subject string
	period  int
	time    int64
	team    string
	hasTeam bool
	vals    [][]byte
	buf     []byte
	ends    []int
}

// rowShare evaluates every measure over a row.
func rowShare(sh *share, ru *rules.Rollup, re *evaluator.RowEval, row *input.Row, skipped []int) {
	sh.subject, sh.period, sh.time = row.Subject, row.Period.Index(), row.Time.UnixNano()
	sh.team, sh.hasTeam = row.Team, row.HasTeam
	if sh.vals == nil {
		sh.vals = make([][]byte, len(ru.Measures))
	}
	sh.buf = sh.buf[:0]
	ends := sh.ends[:0]
	defer func() { sh.ends = ends }()
	for i, m := range ru.Measures {
		sh.vals[i] = nil
		if m.Where != nil {
			v, ok := re.Eval(m.Where, row.Values)
			if !ok {
				skipped[i]++
			}
			if !ok || !v.Bool {
				ends = append(ends, -1)
				continue
			}
		}
		start := len(sh.buf)
		if m.Kind == rules.MeasureCount && m.Expr == nil {
			sh.buf = append(sh.buf, 1)
			ends = append(ends, start)
			continue
		}
		v, ok := re.Eval(m.Expr, row.Values)
		if !ok {
			skipped[i]++
			ends = append(ends, -1)
			continue
		}
		switch m.Kind {
		case rules.MeasureCount:
			c := byte(0)
			if v.Bool {
				c = 1
			}
			sh.buf = append(sh.buf, c)
		case rules.MeasureSum, rules.MeasureMin, rules.MeasureMax, rules.MeasureAvg:
			text := ""
			if m.Column != nil {
				text = row.Exact[m.Column.Decl.Slot]
			}
			if text == "" {
				d, ok := evaluator.FromFloat(v.Num)
				if !ok {
					skipped[i]++
					ends = append(ends, -1)
					continue
				}
				text = d.Text('f')
			}
			sh.buf = append(sh.buf, text...)
		case rules.MeasureQuantile:
			sh.buf = binary.BigEndian.AppendUint64(sh.buf, math.Float64bits(v.Num))
		case rules.MeasureDistinct:
			sh.buf = append(sh.buf, v.String()...)
		}
		ends = append(ends, start)
	}
	// The payloads are cut from buf once it has stopped growing.
	for i := range ru.Measures {
		if ends[i] < 0 {
			continue
		}
		end := len(sh.buf)
		for j := i + 1; j < len(ends); j++ {
			if ends[j] >= 0 {
				end = ends[j]
				break
			}
		}
		sh.vals[i] = sh.buf[ends[i]:end:end]
	}
}

// aggregator holds the groups of (period, subject) being counted. Past
// maxGroups groups, or past the memory its quantiles and distinct values
// may hold, the partial groups are written to the sorter and the map
// starts again; at the end the partials of a group are merged in key
// order. An export of a year of calls of a few thousand agents never
// spills.
type aggregator struct {
	ru      *rules.Rollup
	sorter  *extsort.Sorter
	groups  map[groupKey]*group
	held    int // bytes of quantile and distinct values held
	limit   int
	spilled bool
	seq     uint64
}

type groupKey struct {
	period  int
	subject string
}

// maxGroups is how many groups are held before the partial groups spill.
const maxGroups = 200_000

// groupBytes estimates a group's own memory: its map entry and, per
// measure, a count, a sum and an extreme (apd decimals) and their slices.
func groupBytes(measures int) int { return 256 + 200*measures }

func newAggregator(ru *rules.Rollup, sorter *extsort.Sorter, limit int) *aggregator {
	return &aggregator{ru: ru, sorter: sorter, groups: map[groupKey]*group{}, limit: limit}
}

func (a *aggregator) add(sh *share) error {
	k := groupKey{sh.period, sh.subject}
	g := a.groups[k]
	if g == nil {
		if len(a.groups) >= maxGroups || a.held >= a.limit {
			if err := a.spill(); err != nil {
				return err
			}
		}
		g = newGroup(a.ru, sh.period, sh.subject)
		a.groups[k] = g
		a.held += groupBytes(len(a.ru.Measures))
	}
	a.held += g.add(sh)
	return nil
}

// sortedKeys are the groups' keys in output order: period, then subject.
func (a *aggregator) sortedKeys() []groupKey {
	keys := make([]groupKey, 0, len(a.groups))
	for k := range a.groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y groupKey) int {
		if x.period != y.period {
			return x.period - y.period
		}
		return strings.Compare(x.subject, y.subject)
	})
	return keys
}

func sortKey(b []byte, period int, subject string, seq uint64) []byte {
	b = binary.BigEndian.AppendUint64(b[:0], uint64(int64(period))^(1<<63))
	b = append(append(b, subject...), 0)
	return binary.BigEndian.AppendUint64(b, seq)
}

// spill writes the partial groups to the sorter and empties the map.
func (a *aggregator) spill() error {
	var key, val []byte
	for _, k := range a.sortedKeys() {
		key = sortKey(key, k.period, k.subject, a.seq)
		a.seq++
		val = a.groups[k].encode(val[:0])
		if err := a.sorter.Add(key, val); err != nil {
			return err
		}
	}
	clear(a.groups)
	a.held, a.spilled = 0, true
	return nil
}

// each calls fn with every group, complete, in period then subject order.
func (a *aggregator) each(fn func(*group) error) error {
	if !a.spilled {
		for _, k := range a.sortedKeys() {
			if err := fn(a.groups[k]); err != nil {
				return err
			}
		}
		return nil
	}
	if err := a.spill(); err != nil {
		return err
	}
	var cur *group
	err := a.sorter.Each(func(v []byte) error {
		g, err := decodeGroup(v, a.ru)
		if err != nil {
			return err
		}
		if cur != nil && cur.period == g.period && cur.subject == g.subject {
			cur.merge(g)
			return nil
		}
		if cur != nil {
			if err := fn(cur); err != nil {
				return err
			}
		}
		cur = g
		return nil
	})
	if err == nil && cur != nil {
		err = fn(cur)
	}
	return err
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
	err      error // the first failed addition
}

func newGroup(ru *rules.Rollup, period int, subject string) *group {
	k := len(ru.Measures)
	g := &group{ru: ru, period: period, subject: subject, latest: math.MinInt64, teams: map[string]bool{},
		count: make([]int64, k), sum: make([]apd.Decimal, k), n: make([]int64, k), has: make([]bool, k),
		ext: make([]apd.Decimal, k), quantile: make([][]float64, k), distinct: make([]map[string]bool, k)}
	return g
}

// check keeps the group's first failed addition: the run fails rather
// than write a wrong sum.
func (g *group) check(err error) {
	if err != nil && g.err == nil {
		g.err = err
	}
}

// add counts a row's share; it returns the bytes of values it keeps.
func (g *group) add(s *share) int {
	held := 0
	if s.hasTeam {
		if !g.teams[s.team] {
			g.teams[s.team] = true
		}
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
			held += 16 // with the slice's room to grow
		case rules.MeasureDistinct:
			if g.distinct[i] == nil {
				g.distinct[i] = map[string]bool{}
			}
			if !g.distinct[i][string(v)] {
				g.distinct[i][string(v)] = true
				held += len(v) + 48 // a map entry and its string
			}
		default:
			var d apd.Decimal
			if _, _, err := d.SetString(string(v)); err != nil {
				continue // written by encodeRow from a valid decimal: cannot happen
			}
			switch m.Kind {
			case rules.MeasureSum, rules.MeasureAvg:
				g.check(money.Add(&g.sum[i], &g.sum[i], &d))
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
	return held
}

// merge adds another partial count of the same group.
func (g *group) merge(o *group) {
	for t := range o.teams {
		g.teams[t] = true
	}
	if o.hasTeam && o.latest >= g.latest {
		g.team, g.hasTeam, g.latest = o.team, true, o.latest
	}
	for i, m := range g.ru.Measures {
		if !o.has[i] {
			continue
		}
		first := !g.has[i]
		g.has[i] = true
		g.count[i] += o.count[i]
		switch m.Kind {
		case rules.MeasureSum, rules.MeasureAvg:
			g.check(money.Add(&g.sum[i], &g.sum[i], &o.sum[i]))
		case rules.MeasureMin:
			if first || g.n[i] == 0 || o.ext[i].Cmp(&g.ext[i]) < 0 {
				g.ext[i].Set(&o.ext[i])
			}
		case rules.MeasureMax:
			if first || g.n[i] == 0 || o.ext[i].Cmp(&g.ext[i]) > 0 {
				g.ext[i].Set(&o.ext[i])
			}
		case rules.MeasureQuantile:
			g.quantile[i] = append(g.quantile[i], o.quantile[i]...)
		case rules.MeasureDistinct:
			if g.distinct[i] == nil {
				g.distinct[i] = map[string]bool{}
			}
			for v := range o.distinct[i] {
				g.distinct[i][v] = true
			}
		}
		g.n[i] += o.n[i]
	}
}

// encode writes a partial group for the sorter.
func (g *group) encode(b []byte) []byte {
	b = appendString(b, g.subject)
	b = binary.AppendVarint(b, int64(g.period))
	b = binary.AppendVarint(b, g.latest)
	if g.hasTeam {
		b = appendString(append(b, 1), g.team)
	} else {
		b = append(b, 0)
	}
	teams := make([]string, 0, len(g.teams))
	for t := range g.teams {
		teams = append(teams, t)
	}
	slices.Sort(teams)
	b = binary.AppendUvarint(b, uint64(len(teams)))
	for _, t := range teams {
		b = appendString(b, t)
	}
	for i := range g.ru.Measures {
		if !g.has[i] {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		b = binary.AppendVarint(b, g.count[i])
		b = binary.AppendVarint(b, g.n[i])
		b = appendString(b, g.sum[i].Text('f'))
		b = appendString(b, g.ext[i].Text('f'))
		b = binary.AppendUvarint(b, uint64(len(g.quantile[i])))
		for _, q := range g.quantile[i] {
			b = binary.BigEndian.AppendUint64(b, math.Float64bits(q))
		}
		vals := make([]string, 0, len(g.distinct[i]))
		for v := range g.distinct[i] {
			vals = append(vals, v)
		}
		slices.Sort(vals)
		b = binary.AppendUvarint(b, uint64(len(vals)))
		for _, v := range vals {
			b = appendString(b, v)
		}
	}
	return b
}

// decodeGroup reads a partial group written by encode.
func decodeGroup(b []byte, ru *rules.Rollup) (*group, error) {
	corrupt := errors.New("rollup: a sorted record is corrupt")
	var err error
	var subject string
	if subject, b, err = readString(b); err != nil {
		return nil, err
	}
	p, k := binary.Varint(b)
	if k <= 0 {
		return nil, corrupt
	}
	b = b[k:]
	g := newGroup(ru, int(p), subject)
	if g.latest, k = binary.Varint(b); k <= 0 {
		return nil, corrupt
	}
	b = b[k:]
	if len(b) == 0 {
		return nil, corrupt
	}
	if g.hasTeam, b = b[0] == 1, b[1:]; g.hasTeam {
		if g.team, b, err = readString(b); err != nil {
			return nil, err
		}
	}
	uv := func() (uint64, error) {
		v, k := binary.Uvarint(b)
		if k <= 0 {
			return 0, corrupt
		}
		b = b[k:]
		return v, nil
	}
	sv := func() (int64, error) {
		v, k := binary.Varint(b)
		if k <= 0 {
			return 0, corrupt
		}
		b = b[k:]
		return v, nil
	}
	nt, err := uv()
	if err != nil {
		return nil, err
	}
	for range nt {
		var t string
		if t, b, err = readString(b); err != nil {
			return nil, err
		}
		g.teams[t] = true
	}
	for i := range ru.Measures {
		if len(b) == 0 {
			return nil, corrupt
		}
		has := b[0] == 1
		b = b[1:]
		if !has {
			continue
		}
		g.has[i] = true
		if g.count[i], err = sv(); err != nil {
			return nil, err
		}
		if g.n[i], err = sv(); err != nil {
			return nil, err
		}
		var t string
		if t, b, err = readString(b); err != nil {
			return nil, err
		}
		if _, _, err := g.sum[i].SetString(t); err != nil {
			return nil, corrupt
		}
		if t, b, err = readString(b); err != nil {
			return nil, err
		}
		if _, _, err := g.ext[i].SetString(t); err != nil {
			return nil, corrupt
		}
		nq, err := uv()
		if err != nil || uint64(len(b)) < nq*8 {
			return nil, corrupt
		}
		for range nq {
			g.quantile[i] = append(g.quantile[i], math.Float64frombits(binary.BigEndian.Uint64(b)))
			b = b[8:]
		}
		nd, err := uv()
		if err != nil {
			return nil, err
		}
		for range nd {
			if t, b, err = readString(b); err != nil {
				return nil, err
			}
			if g.distinct[i] == nil {
				g.distinct[i] = map[string]bool{}
			}
			g.distinct[i][t] = true
		}
	}
	return g, nil
}

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
		g.check(money.Ratio(&q, &g.sum[i], apd.New(g.n[i], 0))) // 34 digits, half even (SPEC §4)
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

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func readString(b []byte) (string, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return "", nil, errors.New("rollup: a sorted record is corrupt")
	}
	return string(b[k : k+int(n)]), b[k+int(n):], nil
}
