// Package metrics is the service's Prometheus metrics: counters, gauges
// and histograms, with or without labels, written in the Prometheus text
// exposition format (version 0.0.4), beside the Go runtime's and the
// process's usual figures.
//
// It replaces the Prometheus client library, whose package initialisation
// (default collectors, protobuf descriptors, procfs) every command of the
// rubric binary paid at start-up although only the service uses it: about
// 3 ms of a 25 ms one-row run (docs/performance.md). The format is small
// and stable; the names and types of the figures are the client's.
package metrics

import (
	"bufio"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// ContentType is the media type of what WriteTo writes.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Registry holds a service's metrics (several services may live in one
// process, as in tests: each has its own).
type Registry struct {
	mu       sync.Mutex
	families []family
	runtime  bool
}

// family is one metric name with its help, type and series.
type family interface {
	name() string
	write(w *bufio.Writer)
}

// NewRegistry returns a registry; with runtime set, WriteTo also writes
// the Go runtime's and the process's figures (go_*, process_*).
func NewRegistry(runtime bool) *Registry { return &Registry{runtime: runtime} }

func (r *Registry) add(f family) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range r.families {
		if g.name() == f.name() {
			panic("metrics: " + f.name() + " registered twice") // a bug in the caller
		}
	}
	r.families = append(r.families, f)
}

// WriteTo writes every metric in the text format, families sorted by
// name and series by their label values, so that scrapes of the same
// state are byte-identical.
func (r *Registry) WriteTo(out io.Writer) (int64, error) {
	r.mu.Lock()
	fams := slices.Clone(r.families)
	r.mu.Unlock()
	if r.runtime {
		fams = append(fams, runtimeFamilies()...)
	}
	slices.SortFunc(fams, func(a, b family) int { return strings.Compare(a.name(), b.name()) })
	cw := &countWriter{w: out}
	w := bufio.NewWriter(cw)
	for _, f := range fams {
		f.write(w)
	}
	err := w.Flush()
	return cw.n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// desc is what every family has.
type desc struct {
	fqName, help, kind string
	labels             []string // names, as given
}

func (d *desc) name() string { return d.fqName }

func (d *desc) header(w *bufio.Writer) {
	w.WriteString("# HELP ")
	w.WriteString(d.fqName)
	w.WriteByte(' ')
	w.WriteString(escapeHelp(d.help))
	w.WriteString("\n# TYPE ")
	w.WriteString(d.fqName)
	w.WriteByte(' ')
	w.WriteString(d.kind)
	w.WriteByte('\n')
}

// sample writes one line: name{labels} value. extra is one more label
// (a histogram's le) or empty.
func sample(w *bufio.Writer, name string, names, values []string, extraName, extraValue string, v float64) {
	w.WriteString(name)
	if len(names) > 0 || extraName != "" {
		w.WriteByte('{')
		order := make([]int, len(names))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return strings.Compare(names[a], names[b]) })
		for i, j := range order {
			if i > 0 {
				w.WriteByte(',')
			}
			writeLabel(w, names[j], values[j])
		}
		if extraName != "" {
			if len(names) > 0 {
				w.WriteByte(',')
			}
			writeLabel(w, extraName, extraValue)
		}
		w.WriteByte('}')
	}
	w.WriteByte(' ')
	w.WriteString(formatFloat(v))
	w.WriteByte('\n')
}

func writeLabel(w *bufio.Writer, name, value string) {
	w.WriteString(name)
	w.WriteString(`="`)
	w.WriteString(escapeLabel(value))
	w.WriteByte('"')
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
func escapeLabel(s string) string { return labelEscaper.Replace(s) }

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Counter is a count that only goes up.
type Counter struct {
	desc
	bits atomic.Uint64 // float64 bits
}

// NewCounter registers a counter without labels.
func (r *Registry) NewCounter(name, help string) *Counter {
	c := &Counter{desc: desc{fqName: name, help: help, kind: "counter"}}
	r.add(c)
	return c
}

// Inc adds one.
func (c *Counter) Inc() { c.Add(1) }

// Add adds v, which must not be negative.
func (c *Counter) Add(v float64) {
	if v < 0 {
		panic("metrics: a counter cannot go down") // a bug in the caller
	}
	addFloat(&c.bits, v)
}

// Value is the count so far.
func (c *Counter) Value() float64 { return math.Float64frombits(c.bits.Load()) }

func (c *Counter) write(w *bufio.Writer) {
	c.header(w)
	sample(w, c.fqName, nil, nil, "", "", c.Value())
}

// Gauge is a value that goes up and down.
type Gauge struct {
	desc
	bits atomic.Uint64
}

// NewGauge registers a gauge without labels.
func (r *Registry) NewGauge(name, help string) *Gauge {
	g := &Gauge{desc: desc{fqName: name, help: help, kind: "gauge"}}
	r.add(g)
	return g
}

// Inc adds one.
func (g *Gauge) Inc() { addFloat(&g.bits, 1) }

// Dec takes one away.
func (g *Gauge) Dec() { addFloat(&g.bits, -1) }

// Value is the gauge's value.
func (g *Gauge) Value() float64 { return math.Float64frombits(g.bits.Load()) }

func (g *Gauge) write(w *bufio.Writer) {
	g.header(w)
	sample(w, g.fqName, nil, nil, "", "", g.Value())
}

func addFloat(bits *atomic.Uint64, v float64) {
	for {
		old := bits.Load()
		if bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

// series is what a family with labels keeps: one value per combination
// of label values.
type series[T any] struct {
	mu     sync.Mutex
	byKey  map[string]*T
	values map[string][]string
	make   func() *T
}

func (s *series[T]) with(n int, values []string) *T {
	if len(values) != n {
		panic("metrics: " + strconv.Itoa(len(values)) + " label values for " + strconv.Itoa(n) + " labels") // a bug in the caller
	}
	key := strings.Join(values, "\xff")
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.byKey[key]; ok {
		return v
	}
	if s.byKey == nil {
		s.byKey, s.values = map[string]*T{}, map[string][]string{}
	}
	v := s.make()
	s.byKey[key], s.values[key] = v, slices.Clone(values)
	return v
}

// each calls f for every series, in order of their label values.
func (s *series[T]) each(f func(values []string, v *T)) {
	s.mu.Lock()
	keys := slices.Sorted(maps.Keys(s.byKey))
	values, vs := make([][]string, len(keys)), make([]*T, len(keys))
	for i, k := range keys {
		values[i], vs[i] = s.values[k], s.byKey[k]
	}
	s.mu.Unlock()
	for i := range keys {
		f(values[i], vs[i])
	}
}

// CounterVec is a counter for each combination of label values.
type CounterVec struct {
	desc
	s series[Counter]
}

// NewCounterVec registers a counter with labels.
func (r *Registry) NewCounterVec(name, help string, labels ...string) *CounterVec {
	c := &CounterVec{desc: desc{fqName: name, help: help, kind: "counter", labels: labels}}
	c.s.make = func() *Counter { return &Counter{} }
	r.add(c)
	return c
}

// With is the counter of those label values, in the order of the labels.
func (c *CounterVec) With(values ...string) *Counter { return c.s.with(len(c.labels), values) }

func (c *CounterVec) write(w *bufio.Writer) {
	c.header(w)
	c.s.each(func(values []string, v *Counter) { sample(w, c.fqName, c.labels, values, "", "", v.Value()) })
}

// HistogramVec counts observations into buckets, for each combination of
// label values.
type HistogramVec struct {
	desc
	buckets []float64 // upper bounds, increasing; +Inf is implied
	s       series[histogram]
}

type histogram struct {
	mu     sync.Mutex
	counts []uint64 // per bucket, not cumulative
	count  uint64
	sum    float64
}

// NewHistogramVec registers a histogram with labels and the given bucket
// upper bounds (increasing).
func (r *Registry) NewHistogramVec(name, help string, buckets []float64, labels ...string) *HistogramVec {
	if !slices.IsSorted(buckets) {
		panic("metrics: buckets of " + name + " are not in increasing order") // a bug in the caller
	}
	h := &HistogramVec{desc: desc{fqName: name, help: help, kind: "histogram", labels: labels}, buckets: slices.Clone(buckets)}
	h.s.make = func() *histogram { return &histogram{counts: make([]uint64, len(h.buckets))} }
	r.add(h)
	return h
}

// Observe counts v in the histogram of those label values.
func (h *HistogramVec) Observe(v float64, values ...string) {
	x := h.s.with(len(h.labels), values)
	i, _ := slices.BinarySearch(h.buckets, v) // the first bound ≥ v
	x.mu.Lock()
	if i < len(x.counts) {
		x.counts[i]++
	}
	x.count++
	x.sum += v
	x.mu.Unlock()
}

func (h *HistogramVec) write(w *bufio.Writer) {
	h.header(w)
	h.s.each(func(values []string, x *histogram) {
		x.mu.Lock()
		counts, count, sum := slices.Clone(x.counts), x.count, x.sum
		x.mu.Unlock()
		var cum uint64
		for i, b := range h.buckets {
			cum += counts[i]
			sample(w, h.fqName+"_bucket", h.labels, values, "le", formatFloat(b), float64(cum))
		}
		sample(w, h.fqName+"_bucket", h.labels, values, "le", "+Inf", float64(count))
		sample(w, h.fqName+"_sum", h.labels, values, "", "", sum)
		sample(w, h.fqName+"_count", h.labels, values, "", "", float64(count))
	})
}

// value is a family read when written (the runtime's and the process's).
type value struct {
	desc
	labelValues []string
	read        func() (float64, bool)
}

func (v *value) write(w *bufio.Writer) {
	x, ok := v.read()
	if !ok {
		return
	}
	v.header(w)
	sample(w, v.fqName, v.labels, v.labelValues, "", "", x)
}
