package htmlreport

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"

	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/evaluator/lang"
)

// The charts are small inline SVG written here: bars, a bullet chart, a
// line. Each has a role="img", a title and an aria-label, and every chart
// has a table beside it with the same numbers. Colours are the Okabe–Ito
// palette, safe for colour-blind readers.
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"}

const (
	colorGood  = "#009E73"
	colorBad   = "#D55E00"
	colorNeutr = "#0072B2"
	colorGrid  = "#999999"
)

func num(f float64) string { return evaluator.Short(f) }

// charts draws in a language: its numbers and its words.
type charts struct{ l *lang.Locale }

// num is a number in the charts' language.
func (c charts) num(f float64) string { return c.l.Num(num(f)) }

func svgOpen(b *strings.Builder, w, h int, label string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-label="%s" class="chart"><title>%s</title>`,
		w, h, html.EscapeString(label), html.EscapeString(label))
}

// bars draws labelled horizontal bars of values between 0 and max, with an
// optional marker (a goal) per bar.
func (c charts) bars(label string, names []string, values []float64, max float64, marks []float64, colors []string, format func(float64) string) template.HTML {
	if len(names) == 0 {
		return ""
	}
	const w, left, row = 640, 170, 26
	h := row*len(names) + 10
	var b strings.Builder
	svgOpen(&b, w, h, label)
	if max <= 0 {
		max = 1
	}
	for i, n := range names {
		y := 5 + i*row
		width := 0.0
		if !math.IsNaN(values[i]) {
			width = math.Max(0, math.Min(1, values[i]/max)) * float64(w-left-70)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" text-anchor="end">%s</text>`, left-8, y+16, html.EscapeString(n))
		color := palette[i%len(palette)]
		if colors != nil {
			color = colors[i]
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`, left, y+3, width, row-8, color)
		text := "–"
		if !math.IsNaN(values[i]) {
			text = format(values[i])
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="12">%s</text>`, float64(left)+width+5, y+16, html.EscapeString(text))
		if marks != nil && !math.IsNaN(marks[i]) {
			x := float64(left) + math.Max(0, math.Min(1, marks[i]/max))*float64(w-left-70)
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#000" stroke-width="2"/>`, x, x, y, y+row-2)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// histogram draws the distribution of values in bins.
func (c charts) histogram(label string, values []float64, bins int) template.HTML {
	if len(values) == 0 {
		return ""
	}
	lo, hi := values[0], values[0]
	for _, v := range values {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if hi == lo {
		hi = lo + 1
	}
	counts := make([]int, bins)
	top := 0
	for _, v := range values {
		i := int(float64(bins-1) * (v - lo) / (hi - lo))
		counts[i]++
		top = max(top, counts[i])
	}
	const w, h, bottom = 640, 180, 24
	var b strings.Builder
	svgOpen(&b, w, h, label)
	bw := float64(w-20) / float64(bins)
	for i, c := range counts {
		bh := float64(h-bottom-10) * float64(c) / float64(top)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%d</title></rect>`,
			10+float64(i)*bw+1, float64(h-bottom)-bh, bw-2, bh, colorNeutr, c)
	}
	fmt.Fprintf(&b, `<line x1="10" x2="%d" y1="%d" y2="%d" stroke="%s"/>`, w-10, h-bottom, h-bottom, colorGrid)
	fmt.Fprintf(&b, `<text x="10" y="%d" font-size="12">%s</text><text x="%d" y="%d" font-size="12" text-anchor="end">%s</text>`,
		h-6, c.num(lo), w-10, h-6, c.num(hi))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// bullet draws one target's value against its threshold, goal and stretch
// (the better direction to the right).
func (c charts) bullet(label string, value, goal, threshold, stretch float64, lower, judged bool) template.HTML {
	pts := []float64{}
	for _, v := range []float64{value, goal, threshold, stretch} {
		if !math.IsNaN(v) {
			pts = append(pts, v)
		}
	}
	if len(pts) == 0 {
		return ""
	}
	lo, hi := pts[0], pts[0]
	for _, v := range pts {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	pad := (hi - lo) * 0.15
	if pad == 0 {
		pad = math.Max(1, math.Abs(hi)*0.15)
	}
	lo, hi = lo-pad, hi+pad
	if lo > 0 && lo < pad*3 {
		lo = 0
	}
	const w, h = 420, 44
	x := func(v float64) float64 {
		f := (v - lo) / (hi - lo)
		if lower {
			f = 1 - f
		}
		return 10 + f*float64(w-20)
	}
	var b strings.Builder
	svgOpen(&b, w, h, label)
	fmt.Fprintf(&b, `<rect x="10" y="10" width="%d" height="20" fill="#eeeeee"/>`, w-20)
	if !math.IsNaN(threshold) && !math.IsNaN(goal) {
		a, c := math.Min(x(threshold), x(goal)), math.Max(x(threshold), x(goal))
		fmt.Fprintf(&b, `<rect x="%.1f" y="10" width="%.1f" height="20" fill="#dddddd"/>`, a, c-a)
	}
	if !math.IsNaN(value) {
		color := colorBad
		if (!lower && !math.IsNaN(goal) && value >= goal) || (lower && !math.IsNaN(goal) && value <= goal) {
			color = colorGood
		}
		if !judged {
			color = colorGrid // no_data or not applicable: the value is shown, not judged
		}
		fmt.Fprintf(&b, `<rect x="10" y="15" width="%.1f" height="10" fill="%s"/>`, math.Max(0, x(value)-10), color)
	}
	mark := func(v float64, name string, width int) {
		if !math.IsNaN(v) {
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="6" y2="34" stroke="#000" stroke-width="%d"><title>%s %s</title></line>`, x(v), x(v), width, c.l.S(name), c.num(v))
		}
	}
	mark(goal, "goal", 3)
	mark(threshold, "threshold", 1)
	mark(stretch, "stretch", 1)
	fmt.Fprintf(&b, `<text x="10" y="43" font-size="10">%s</text><text x="%d" y="43" font-size="10" text-anchor="end">%s</text>`, c.l.S("worse"), w-10, c.l.S("better"))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// line draws values over periods (NaN: a gap).
func (c charts) line(label string, periods []string, values []float64) template.HTML {
	if len(periods) < 2 {
		return ""
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if !math.IsNaN(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 0) {
		return ""
	}
	if hi == lo {
		lo, hi = lo-1, hi+1
	}
	const w, h, left = 420, 140, 56
	x := func(i int) float64 { return left + float64(i)*float64(w-left-30)/float64(len(periods)-1) }
	y := func(v float64) float64 { return 15 + (1-(v-lo)/(hi-lo))*float64(h-45) }
	var b strings.Builder
	svgOpen(&b, w, h, label)
	// The y axis: its line and the lowest, middle and highest values, so
	// that a small change does not look like a large one.
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s"/>`, left-6, left-6, y(hi), y(lo), colorGrid)
	for _, v := range []float64{lo, (lo + hi) / 2, hi} {
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="10" text-anchor="end">%s</text>`, left-9, y(v)+3, c.num(v))
	}
	// At most about eight period labels, evenly spaced, so that 24
	// periods stay readable; every point keeps its period in its title.
	every := (len(periods) + 7) / 8
	var path strings.Builder
	pen := false
	for i, v := range values {
		if math.IsNaN(v) {
			pen = false
			continue
		}
		cmd := "L"
		if !pen {
			cmd = "M"
		}
		fmt.Fprintf(&path, "%s%.1f %.1f ", cmd, x(i), y(v))
		pen = true
	}
	fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.TrimSpace(path.String()), colorNeutr)
	for i, v := range values {
		if !math.IsNaN(v) {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s: %s</title></circle>`, x(i), y(v), colorNeutr, html.EscapeString(periods[i]), c.num(v))
		}
		if i%every == 0 || i == len(periods)-1 && (i%every)*2 >= every {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle">%s</text>`, x(i), h-8, html.EscapeString(periods[i]))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
