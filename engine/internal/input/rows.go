package input

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// Row is one interaction row read through a policy's rollup (SPEC §14):
// who, when (local to the rollup's time zone), in which period, and the
// declared columns' values by the rollup scope's slots.
type Row struct {
	Subject, Team string
	HasTeam       bool
	Time          time.Time
	Period        rules.Period
	Values        []evaluator.Value
	Exact         []string // a number column's cell as written, for exact sums
	Line          int
}

// RowConverter reads interaction rows: the subject, team and time columns
// and the declared columns, each by its type. A row's bad cells are all
// reported, with file, line and column, as a snapshot's are.
type RowConverter struct {
	c      *Converter // its helpers: strings, identities, numbers, warnings, files
	p      *rules.Policy
	ru     *rules.Rollup
	known  map[string]bool
	want   []string // the headers read: subject, team ("" if none), time, then the columns'
	header []string // the plan's header
	plan   []int    // the field index of each header wanted in it (-1: absent)

	layout string           // the time layout that read the last time: tried first
	days   map[int]*dayMemo // local dates seen: their period and label
}

// dayMemo is a local date's period and label, computed once a date (an
// export spans few dates and many rows).
type dayMemo struct {
	period rules.Period
	label  evaluator.Value
}

// NewRowConverter returns a converter of p's rollup rows read from file.
func NewRowConverter(p *rules.Policy, file string) *RowConverter {
	ru := p.Rollup
	known := map[string]bool{ru.Subject: true, ru.Time: true}
	if ru.Team != "" {
		known[ru.Team] = true
	}
	for _, c := range ru.Columns {
		known[c.Header] = true
	}
	want := []string{ru.Subject, ru.Team, ru.Time}
	for _, c := range ru.Columns {
		want = append(want, c.Header)
	}
	return &RowConverter{c: NewConverter(p, file), p: p, ru: ru, known: known, want: want}
}

// The places of the subject, team and time in RowConverter.want.
const (
	wantSubject = iota
	wantTeam
	wantTime
	wantColumns
)

// Sibling returns a converter of the same rows for another goroutine,
// warning on its own: the caller notes columns on this one, in input
// order (Note).
func (rc *RowConverter) Sibling() *RowConverter {
	return &RowConverter{c: rc.c.Sibling(), p: rc.p, ru: rc.ru, known: rc.known, want: rc.want}
}

// Note warns, once each, of the columns of rec that no rollup column
// reads, as Convert would.
func (rc *RowConverter) Note(rec *Record) {
	rc.c.at(rec)
	rc.field(rec, wantSubject)
}

// SetFiles names the files of an input of several, as Converter.SetFiles.
func (rc *RowConverter) SetFiles(names []string) { rc.c.SetFiles(names) }

// Warnings are the columns no rollup column reads, once each.
func (rc *RowConverter) Warnings() []string { return rc.c.Warnings() }

// field is the field of wanted header k in rec, nil when it has none. A
// CSV file's records share their header, so where each wanted header is
// is found once a header.
func (rc *RowConverter) field(rec *Record, k int) *Field {
	name := rc.want[k]
	if name == "" {
		return nil
	}
	if rec.csv {
		if len(rc.header) != len(rec.names) || len(rec.names) > 0 && &rc.header[0] != &rec.names[0] {
			rc.header, rc.plan = rec.names, make([]int, len(rc.want))
			for w, n := range rc.want {
				rc.plan[w] = slices.Index(rec.names, n)
			}
			for _, n := range rec.names {
				if !rc.known[n] {
					rc.c.warn(n, fmt.Sprintf("%s: column %q is ignored (no column of rollup %s reads it)", rc.c.file, short(n), rc.ru.Name))
				}
			}
		}
		if i := rc.plan[k]; i >= 0 && i < len(rec.fields) {
			return &rec.fields[i]
		}
		return nil
	}
	var f *Field
	for i, n := range rec.names {
		if n == name && f == nil {
			f = &rec.fields[i]
		}
		if !rc.known[n] {
			rc.c.warn(n, fmt.Sprintf("%s: key %q is ignored (no column of rollup %s reads it)", rc.c.file, short(n), rc.ru.Name))
		}
	}
	return f
}

func empty(f *Field) bool {
	return f == nil || f.kind == FieldNull || f.kind == FieldText && strings.TrimSpace(f.text) == ""
}

// Convert reads rec into row (its Values and Exact reused).
func (rc *RowConverter) Convert(rec *Record, row *Row) []*Error {
	rc.c.at(rec)
	n := rc.ru.Scope.Len()
	row.Values = append(row.Values[:0], make([]evaluator.Value, n)...)
	row.Exact = append(row.Exact[:0], make([]string, n)...)
	row.Line, row.Team, row.HasTeam, row.Subject, row.Period, row.Time = rec.line, "", false, "", rules.Period{}, time.Time{}
	var errs []*Error
	bad := func(f *Field, format string, args ...any) {
		e := &Error{File: rc.c.file, Line: rec.line, Subject: row.Subject, Msg: fmt.Sprintf(format, args...), raw: rec.rawText()}
		if f != nil {
			e.Line, e.Column = f.line, f.column()
		}
		errs = append(errs, e)
	}
	if f := rc.field(rec, wantSubject); empty(f) {
		bad(f, "the subject (column %q) is missing", rc.ru.Subject)
	} else if s, msg := rc.c.id(f, "subject"); msg != "" {
		bad(f, "%s", msg)
	} else {
		row.Subject = s
	}
	if rc.ru.Team != "" {
		if f := rc.field(rec, wantTeam); !empty(f) {
			if t, msg := rc.c.team(f); msg != "" {
				bad(f, "%s", msg)
			} else {
				row.Team, row.HasTeam = t, true
			}
		}
	}
	if f := rc.field(rec, wantTime); empty(f) {
		bad(f, "the time (column %q) is missing", rc.ru.Time)
	} else if t, date, hour, msg := rc.when(f); msg != "" {
		bad(f, "%s %q: %s", rc.ru.Time, short(f.text), msg)
	} else {
		row.Time = t
		d := rc.days[date]
		if d == nil {
			if rc.days == nil || len(rc.days) >= 1<<14 {
				rc.days = map[int]*dayMemo{} // bounded: forty years of dates
			}
			d = &dayMemo{period: rules.PeriodOf(rc.p.Period, t), label: evaluator.Str(t.Format(time.DateOnly))}
			rc.days[date] = d
		}
		row.Period = d.period
		row.Values[rc.ru.Day.Slot] = d.label
		row.Values[rc.ru.Hour.Slot] = evaluator.Num(float64(hour))
	}
	for c, col := range rc.ru.Columns {
		f := rc.field(rec, wantColumns+c)
		if empty(f) {
			continue // a missing value
		}
		v, exact, msg := rc.value(f, col)
		if msg != "" {
			bad(f, "column %s: %s", col.Header, msg)
			continue
		}
		row.Values[col.Decl.Slot], row.Exact[col.Decl.Slot] = v, exact
	}
	for _, e := range errs {
		e.Subject = row.Subject
		if row.Period.Label != "" {
			e.Period = row.Period.Label
		}
	}
	return errs
}

// value reads a cell of col.
func (rc *RowConverter) value(f *Field, col *rules.RollupColumn) (evaluator.Value, string, string) {
	if f.kind == FieldOther {
		return evaluator.Value{}, "", fmt.Sprintf("an array or object is not a %s", col.Type)
	}
	switch col.Type {
	case rules.ColumnNumber:
		v, msg := rc.c.numberOf(f)
		if msg != "" {
			return evaluator.Value{}, "", strings.TrimSpace(msg)
		}
		return evaluator.Num(v), strings.TrimSpace(f.text), ""
	case rules.ColumnString:
		s, msg := rc.c.str(f, col.Header)
		if msg != "" {
			return evaluator.Value{}, "", msg
		}
		return evaluator.Str(s), "", ""
	case rules.ColumnBool:
		if f.kind == FieldBool {
			return evaluator.Boolean(f.b), "", ""
		}
		if len(f.text) == 1 { // Y, N, 1, 0: most exports' flags
			switch f.text[0] {
			case 'Y', 'y', '1':
				return evaluator.Boolean(true), "", ""
			case 'N', 'n', '0':
				return evaluator.Boolean(false), "", ""
			}
		}
		switch strings.ToLower(strings.TrimSpace(f.text)) {
		case "true", "yes", "y", "1":
			return evaluator.Boolean(true), "", ""
		case "false", "no", "n", "0":
			return evaluator.Boolean(false), "", ""
		}
		return evaluator.Value{}, "", fmt.Sprintf("%q is not true or false (true/false, yes/no, y/n, 1/0)", short(f.text))
	case rules.ColumnDuration:
		secs, ok := duration(strings.TrimSpace(f.text))
		if f.kind == FieldNumber || (f.kind == FieldText || f.kind == FieldString) && ok {
			if f.kind == FieldNumber {
				v, msg := rc.c.numberOf(f)
				if msg != "" {
					return evaluator.Value{}, "", strings.TrimSpace(msg)
				}
				secs = v
			}
			if secs < 0 {
				return evaluator.Value{}, "", fmt.Sprintf("%q is a negative duration", short(f.text))
			}
			return evaluator.Num(secs), "", ""
		}
		return evaluator.Value{}, "", fmt.Sprintf("%q is not a duration (H:MM:SS, MM:SS or seconds)", short(f.text))
	case rules.ColumnTime:
		t, msg := rc.time(f)
		if msg != "" {
			return evaluator.Value{}, "", fmt.Sprintf("%q: %s", short(f.text), msg)
		}
		return evaluator.Str(t.Format(time.RFC3339)), "", ""
	}
	return evaluator.Value{}, "", "the column has no valid type"
}

// duration reads H:MM:SS, MM:SS or plain seconds.
func duration(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	total := 0.0
	for i := 0; ; i++ {
		p, rest, more := strings.Cut(s, ":")
		if more && i == 2 {
			return 0, false // four parts or more
		}
		v, ok := durationPart(p, !more)
		if !ok || i > 0 && v >= 60 {
			return 0, false // minutes and seconds below 60
		}
		total = total*60 + v
		if !more {
			return total, true
		}
		s = rest
	}
}

// durationPart reads a part of a duration: digits, and in the last part
// a fraction.
func durationPart(p string, last bool) (float64, bool) {
	if len(p) > 0 && len(p) <= 9 {
		n := 0
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				n = -1
				break
			}
			n = n*10 + int(p[i]-'0')
		}
		if n >= 0 {
			return float64(n), true
		}
	}
	if !isPlainNumber(p) || strings.ContainsAny(p, "+-eE") || !last && strings.Contains(p, ".") {
		return 0, false
	}
	v, err := strconv.ParseFloat(p, 64)
	return v, err == nil
}

// timeLayouts are the forms a time is read in when no layout is given.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", time.DateOnly}

// when reads a row's time cell as time does, with its local date
// (YYYYMMDD as a number) and hour.
func (rc *RowConverter) when(f *Field) (t time.Time, date, hour int, msg string) {
	if t, msg = rc.time(f); msg != "" {
		return t, 0, 0, msg
	}
	y, mo, d := t.Date()
	return t, y*10000 + int(mo)*100 + d, t.Hour(), ""
}

// time reads a time cell, local to the rollup's time zone unless it says
// its offset, and gives it in that zone.
func (rc *RowConverter) time(f *Field) (time.Time, string) {
	s := strings.TrimSpace(f.text)
	if f.kind != FieldText && f.kind != FieldString {
		return time.Time{}, "a time must be text"
	}
	layouts := timeLayouts
	if rc.ru.TimeLayout != "" {
		layouts = []string{rc.ru.TimeLayout}
	}
	if rc.layout != "" { // the layout of the last time first: a column has one form
		if t, err := time.ParseInLocation(rc.layout, s, rc.ru.TimeZone); err == nil {
			return t.In(rc.ru.TimeZone), ""
		}
	}
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, rc.ru.TimeZone); err == nil {
			rc.layout = l
			return t.In(rc.ru.TimeZone), ""
		}
	}
	if rc.ru.TimeLayout != "" {
		return time.Time{}, "not a time in the layout " + rc.ru.TimeLayout
	}
	return time.Time{}, "not a time (RFC 3339, YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS], or set time_layout)"
}
