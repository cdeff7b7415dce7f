// Package tally counts interaction rows into groups of (period,
// subject) by a rollup's measures (SPEC §14): each worker into groups of
// its own, held compactly and spilled to disk past a memory budget, the
// groups of every worker merged at the end, in period then subject order.
// engine/rollup reads rows from files through it; policy tests count the
// rows they are given.
package tally

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/engine/internal/extsort"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/evaluator/money"
	"github.com/rubric-dev/rubric/rules"
)

// layout places each measure's state in a group: measure i keeps its
// state at slot[i] of the slice of its kind (a count needs only n).
type layout struct {
	ru                        *rules.Rollup
	slot                      []int
	sums, exts, quants, dists int
}

func newLayout(ru *rules.Rollup) *layout {
	l := &layout{ru: ru, slot: make([]int, len(ru.Measures))}
	for i, m := range ru.Measures {
		switch m.Kind {
		case rules.MeasureSum, rules.MeasureAvg:
			l.slot[i], l.sums = l.sums, l.sums+1
		case rules.MeasureMin, rules.MeasureMax:
			l.slot[i], l.exts = l.exts, l.exts+1
		case rules.MeasureQuantile:
			l.slot[i], l.quants = l.quants, l.quants+1
		case rules.MeasureDistinct:
			l.slot[i], l.dists = l.dists, l.dists+1
		}
	}
	return l
}

// groupBytes estimates a group's own memory: its map entry, the group and
// its slices.
func (l *layout) groupBytes() int {
	return 200 + 9*len(l.ru.Measures) + 40*l.sums + 48*l.exts + 24*l.quants + 40*l.dists
}

// group aggregates one subject's rows in one period. Its distinct values
// are ids of its aggregator's names.
type group struct {
	period  int
	subject string
	team    string
	hasTeam bool
	latest  int64    // the time of the row that gave team
	seq     int64    // and its place in the input: the later row wins a tie
	teams   []string // every team of its rows
	has     []bool   // measure i counted a row
	n       []int64  // a count's rows counted; the others' values
	rows    int64    // rows counted into the group (past the rollup's where)
	seen    []int64  // per measure: rows its where let through
	miss    []int64  // per measure: rows left out, an expression reading a missing value
	sums    []decSum
	exts    []apd.Decimal // min or max so far
	quants  [][]float64
	dists   []idset
	err     error // the first failed addition
}

func (l *layout) newGroup(period int, subject string) *group {
	k := len(l.ru.Measures)
	g := &group{period: period, subject: subject, latest: math.MinInt64, seq: -1, has: make([]bool, k)}
	counts := make([]int64, 3*k) // one allocation: n, seen, miss
	g.n, g.seen, g.miss = counts[:k:k], counts[k:2*k:2*k], counts[2*k:]
	if l.sums > 0 {
		g.sums = make([]decSum, l.sums)
	}
	if l.exts > 0 {
		g.exts = make([]apd.Decimal, l.exts)
	}
	if l.quants > 0 {
		g.quants = make([][]float64, l.quants)
	}
	if l.dists > 0 {
		g.dists = make([]idset, l.dists)
	}
	return g
}

// check keeps the group's first failed addition: the run fails rather
// than write a wrong sum.
func (g *group) check(err error) {
	if err != nil && g.err == nil {
		g.err = err
	}
}

// setTeam notes a row's team at time t, place seq.
func (g *group) setTeam(team string, t, seq int64) {
	if !slices.Contains(g.teams, team) {
		g.teams = append(g.teams, team)
	}
	if t > g.latest || t == g.latest && seq > g.seq {
		g.team, g.hasTeam, g.latest, g.seq = team, true, t, seq
	}
}

// extreme keeps d if it is beyond measure i's min or max so far.
func (g *group) extreme(l *layout, i int, d *apd.Decimal) {
	e := &g.exts[l.slot[i]]
	c := d.Cmp(e)
	if g.n[i] == 0 || l.ru.Measures[i].Kind == rules.MeasureMin && c < 0 || l.ru.Measures[i].Kind == rules.MeasureMax && c > 0 {
		e.Set(d)
	}
}

// idset is a set of ids: a bitset of the first ids (an export's days,
// queues, channels: a few hundred values), a map past that.
type idset struct {
	bits []uint64
	big  map[uint32]struct{}
	n    int
}

// bitsetIDs is how many ids the bitset holds.
const bitsetIDs = 4096

// add adds id and reports whether it is new.
func (s *idset) add(id uint32) bool {
	if id < bitsetIDs {
		w, bit := id/64, uint64(1)<<(id%64)
		if int(w) >= len(s.bits) {
			s.bits = append(s.bits, make([]uint64, int(w)+1-len(s.bits))...)
		}
		if s.bits[w]&bit != 0 {
			return false
		}
		s.bits[w] |= bit
		s.n++
		return true
	}
	if _, ok := s.big[id]; ok {
		return false
	}
	if s.big == nil {
		s.big = map[uint32]struct{}{}
	}
	s.big[id] = struct{}{}
	s.n++
	return true
}

func (s *idset) len() int { return s.n }

func (s *idset) each(fn func(uint32)) {
	for w, word := range s.bits {
		for ; word != 0; word &= word - 1 {
			fn(uint32(w*64 + bits.TrailingZeros64(word)))
		}
	}
	for v := range s.big {
		fn(v)
	}
}

// aggregator holds the groups of (period, subject) a worker is counting,
// and the distinct values its groups hold, once each. Past maxGroups
// groups, or past the memory its groups may hold, the partial groups are
// written to the shared sorter and the map starts again; at the end the
// partials of a group are merged in key order. An export of a year of
// calls of a few thousand agents never spills.
type aggregator struct {
	l        *layout
	sorter   *sharedSorter
	subjects map[string]int32    // the subjects of the groups held: their ids
	names0   []string            // and their names, by id
	periods  map[int][]*group    // the groups held: by period, then subject id
	last     int                 // the period of the last group found
	lastGs   []*group            // and its groups
	count    int                 // groups held
	names    [][]string          // distinct values by measure slot and id
	ids      []map[string]uint32 // and their ids
	strIDs   []map[string]uint32 // the ids of string values, by the string
	held     int                 // bytes of groups, quantile and distinct values held
	limit    int
	spilled  bool
}

// maxGroups is how many groups a worker holds before its partial groups
// spill.
const maxGroups = 200_000

func newAggregator(l *layout, sorter *sharedSorter, limit int) *aggregator {
	a := &aggregator{l: l, sorter: sorter, subjects: map[string]int32{}, periods: map[int][]*group{}, last: math.MinInt, limit: limit}
	a.names, a.ids, a.strIDs = make([][]string, l.dists), make([]map[string]uint32, l.dists), make([]map[string]uint32, l.dists)
	for i := range a.ids {
		a.ids[i], a.strIDs[i] = map[string]uint32{}, map[string]uint32{}
	}
	return a
}

// find is the group of (period, subject), nil when none is held.
func (a *aggregator) find(period int, subject string) (*group, int32) {
	id, ok := a.subjects[subject]
	if !ok {
		return nil, -1
	}
	gs := a.lastGs
	if period != a.last {
		gs = a.periods[period]
		a.last, a.lastGs = period, gs
	}
	if int(id) < len(gs) {
		return gs[id], id
	}
	return nil, id
}

// group is the group of (period, subject), made when new; the groups
// held spill first when they are too many or too large.
func (a *aggregator) group(period int, subject string) (*group, error) {
	if g, _ := a.find(period, subject); g != nil {
		return g, nil
	}
	if a.count >= maxGroups || a.held >= a.limit {
		if err := a.spill(); err != nil {
			return nil, err
		}
	}
	return a.make(period, subject), nil
}

// make makes the group of (period, subject), none being held.
func (a *aggregator) make(period int, subject string) *group {
	_, id := a.find(period, subject)
	if id < 0 {
		subject = strings.Clone(subject) // not the input's buffer
		id = int32(len(a.names0))
		a.subjects[subject] = id
		a.names0 = append(a.names0, subject)
		a.held += len(subject) + 64
	}
	g := a.l.newGroup(period, a.names0[id])
	gs := a.periods[period]
	if grow := int(id) + 1 - len(gs); grow > 0 {
		gs = append(gs, make([]*group, grow)...)
		a.held += 8 * grow
		a.periods[period] = gs
		if period == a.last {
			a.lastGs = gs
		}
	}
	gs[id] = g
	a.count++
	a.held += a.l.groupBytes()
	return g
}

// intern is the id of distinct value v (as Value.String writes it) of
// distinct slot d.
func (a *aggregator) intern(d int, v string) uint32 {
	if id, ok := a.ids[d][v]; ok {
		return id
	}
	id := uint32(len(a.names[d]))
	v = strings.Clone(v)
	a.names[d] = append(a.names[d], v)
	a.ids[d][v] = id
	a.held += len(v) + 64
	return id
}

// internValue is intern(d, v.String()), without writing a string value
// out each time.
func (a *aggregator) internValue(d int, v evaluator.Value) uint32 {
	if v.Kind != evaluator.String {
		return a.intern(d, v.String())
	}
	if id, ok := a.strIDs[d][v.Str]; ok {
		return id
	}
	id := a.intern(d, v.String())
	s := strings.Clone(v.Str)
	a.strIDs[d][s] = id
	a.held += len(s) + 64
	return id
}

// forget drops the distinct values once no group holds them.
func (a *aggregator) forget() {
	for d := range a.ids {
		a.names[d] = a.names[d][:0]
		clear(a.ids[d])
		clear(a.strIDs[d])
	}
}

// sorted are the groups held in output order: period, then subject.
func (a *aggregator) sorted() []*group {
	all := make([]*group, 0, a.count)
	for _, gs := range a.periods {
		for _, g := range gs {
			if g != nil {
				all = append(all, g)
			}
		}
	}
	slices.SortFunc(all, func(x, y *group) int {
		if x.period != y.period {
			return x.period - y.period
		}
		return strings.Compare(x.subject, y.subject)
	})
	return all
}

// sharedSorter is the sorter every worker's partial groups spill to.
type sharedSorter struct {
	mu  sync.Mutex
	s   *extsort.Sorter
	seq uint64
	key []byte
}

func (s *sharedSorter) add(period int, subject string, val []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := binary.BigEndian.AppendUint64(s.key[:0], uint64(int64(period))^(1<<63))
	b = append(append(b, subject...), 0)
	s.key = binary.BigEndian.AppendUint64(b, s.seq)
	s.seq++
	return s.s.Add(s.key, val)
}

// spill writes the partial groups to the sorter and empties the map.
func (a *aggregator) spill() error {
	var val []byte
	for _, g := range a.sorted() {
		val = a.encode(val[:0], g)
		if err := a.sorter.add(g.period, g.subject, val); err != nil {
			return err
		}
	}
	clear(a.subjects)
	clear(a.periods)
	a.names0, a.last, a.lastGs, a.count = a.names0[:0], math.MinInt, nil, 0
	a.forget()
	a.held, a.spilled = 0, true
	return nil
}

// merge adds o, a partial count of g's group held by aggregator from, to
// g, held by a.
func (a *aggregator) merge(g *group, o *group, from *aggregator) {
	for _, t := range o.teams {
		if !slices.Contains(g.teams, t) {
			g.teams = append(g.teams, t)
		}
	}
	if o.hasTeam && (o.latest > g.latest || o.latest == g.latest && o.seq > g.seq) {
		g.team, g.hasTeam, g.latest, g.seq = o.team, true, o.latest, o.seq
	}
	g.check(o.err)
	g.rows += o.rows
	l := a.l
	for i, m := range l.ru.Measures {
		g.seen[i] += o.seen[i]
		g.miss[i] += o.miss[i]
		if !o.has[i] {
			continue
		}
		s := l.slot[i]
		switch m.Kind {
		case rules.MeasureSum, rules.MeasureAvg:
			g.sums[s].addSum(&o.sums[s])
		case rules.MeasureMin, rules.MeasureMax:
			if o.n[i] > 0 {
				g.extreme(l, i, &o.exts[s])
			}
		case rules.MeasureQuantile:
			g.quants[s] = append(g.quants[s], o.quants[s]...)
			a.held += 8 * len(o.quants[s])
		case rules.MeasureDistinct:
			o.dists[s].each(func(id uint32) {
				if g.dists[s].add(a.intern(s, from.names[s][id])) {
					a.held += 8
				}
			})
		}
		g.has[i] = true
		g.n[i] += o.n[i]
	}
}

// absorb merges group o of aggregator from into a's group of the same
// subject and period, made if need be.
func (a *aggregator) absorb(o *group, from *aggregator) {
	g, _ := a.find(o.period, o.subject)
	if g == nil {
		g = a.make(o.period, o.subject)
	}
	a.merge(g, o, from)
}

// encode writes a partial group for the sorter.
func (a *aggregator) encode(b []byte, g *group) []byte {
	b = appendString(b, g.subject)
	b = binary.AppendVarint(b, int64(g.period))
	b = binary.AppendVarint(b, g.latest)
	b = binary.AppendVarint(b, g.seq)
	b = binary.AppendVarint(b, g.rows)
	if g.hasTeam {
		b = appendString(append(b, 1), g.team)
	} else {
		b = append(b, 0)
	}
	teams := slices.Clone(g.teams)
	slices.Sort(teams)
	b = binary.AppendUvarint(b, uint64(len(teams)))
	for _, t := range teams {
		b = appendString(b, t)
	}
	for s := range g.sums {
		g.check(g.sums[s].err)
	}
	errText := ""
	if g.err != nil {
		errText = g.err.Error()
	}
	b = appendString(b, errText)
	l := a.l
	var d apd.Decimal
	for i, m := range l.ru.Measures {
		b = binary.AppendVarint(binary.AppendVarint(b, g.seen[i]), g.miss[i])
		if !g.has[i] {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		b = binary.AppendVarint(b, g.n[i])
		s := l.slot[i]
		switch m.Kind {
		case rules.MeasureSum, rules.MeasureAvg:
			if err := g.sums[s].value(&d); err != nil {
				d.SetInt64(0)
			}
			b = appendString(b, d.Text('f'))
		case rules.MeasureMin, rules.MeasureMax:
			b = appendString(b, g.exts[s].Text('f'))
		case rules.MeasureQuantile:
			b = binary.AppendUvarint(b, uint64(len(g.quants[s])))
			for _, q := range g.quants[s] {
				b = binary.BigEndian.AppendUint64(b, math.Float64bits(q))
			}
		case rules.MeasureDistinct:
			vals := make([]string, 0, g.dists[s].len())
			g.dists[s].each(func(id uint32) { vals = append(vals, a.names[s][id]) })
			slices.Sort(vals)
			b = binary.AppendUvarint(b, uint64(len(vals)))
			for _, v := range vals {
				b = appendString(b, v)
			}
		}
	}
	return b
}

var errCorrupt = errors.New("rollup: a sorted record is corrupt")

// decode reads a partial group written by encode, its distinct values
// held by a.
func (a *aggregator) decode(b []byte) (*group, error) {
	var err error
	str := func() string {
		var s string
		if err == nil {
			s, b, err = readString(b)
		}
		return s
	}
	uv := func() uint64 {
		v, k := binary.Uvarint(b)
		if k <= 0 {
			err = errCorrupt
			return 0
		}
		b = b[k:]
		return v
	}
	sv := func() int64 {
		v, k := binary.Varint(b)
		if k <= 0 {
			err = errCorrupt
			return 0
		}
		b = b[k:]
		return v
	}
	flag := func() bool {
		if err != nil || len(b) == 0 {
			err = errCorrupt
			return false
		}
		f := b[0] == 1
		b = b[1:]
		return f
	}
	subject := str()
	period := sv()
	if err != nil {
		return nil, err
	}
	g := a.l.newGroup(int(period), subject)
	g.latest, g.seq, g.rows = sv(), sv(), sv()
	if g.hasTeam = flag(); g.hasTeam {
		g.team = str()
	}
	for range min(uv(), uint64(len(b))) {
		g.teams = append(g.teams, str())
	}
	if e := str(); e != "" {
		g.err = errors.New(e)
	}
	l := a.l
	for i, m := range l.ru.Measures {
		g.seen[i], g.miss[i] = sv(), sv()
		if !flag() {
			continue
		}
		g.has[i] = true
		g.n[i] = sv()
		s := l.slot[i]
		switch m.Kind {
		case rules.MeasureSum, rules.MeasureAvg:
			if t := str(); err == nil && !g.sums[s].addText(t) {
				err = errCorrupt
			}
		case rules.MeasureMin, rules.MeasureMax:
			if t := str(); err == nil {
				if _, _, e := g.exts[s].SetString(t); e != nil {
					err = errCorrupt
				}
			}
		case rules.MeasureQuantile:
			nq := uv()
			if err != nil || uint64(len(b)) < nq*8 {
				return nil, errCorrupt
			}
			for range nq {
				g.quants[s] = append(g.quants[s], math.Float64frombits(binary.BigEndian.Uint64(b)))
				b = b[8:]
			}
		case rules.MeasureDistinct:
			for range min(uv(), uint64(len(b))) {
				if v := str(); err == nil {
					g.dists[s].add(a.intern(s, v))
				}
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return g, err
}

// value is measure i's value as text, "" when it has none: counts are 0
// when no row counted, the others have no value without a row.
func (a *aggregator) value(g *group, i int) string {
	m := a.l.ru.Measures[i]
	s := a.l.slot[i]
	switch m.Kind {
	case rules.MeasureCount:
		return strconv.FormatInt(g.n[i], 10)
	case rules.MeasureDistinct:
		return strconv.Itoa(g.dists[s].len())
	}
	if !g.has[i] {
		return ""
	}
	switch m.Kind {
	case rules.MeasureSum:
		var d apd.Decimal
		g.check(g.sums[s].value(&d))
		return d.Text('f')
	case rules.MeasureMin, rules.MeasureMax:
		return g.exts[s].Text('f')
	case rules.MeasureAvg:
		var sum, q apd.Decimal
		g.check(g.sums[s].value(&sum))
		g.check(money.Ratio(&q, &sum, apd.New(g.n[i], 0))) // 34 digits, half even (SPEC §4)
		q.Reduce(&q)
		return q.Text('f')
	case rules.MeasureQuantile:
		return strconv.FormatFloat(quantile(g.quants[s], m.Quantile), 'f', -1, 64)
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

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func readString(b []byte) (string, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return "", nil, errCorrupt
	}
	return string(b[k : k+int(n)]), b[k+int(n):], nil
}
