package input

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/rubric-dev/rubric/engine/internal/textenc"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

type colKind uint8

const (
	colUnknown colKind = iota
	colSubject
	colPeriod
	colTeam
	colMetric
	colDerived
	colAttribute
)

type column struct {
	kind   colKind
	metric *rules.Metric
	attr   *rules.Attribute
	slot   int // the metric's or attribute's, read for every field of every row
}

// Converter checks raw records against a policy and turns them into
// snapshots. It remembers (subject, period) keys to find duplicates (Keys,
// about 40 bytes a snapshot): the only state that grows with the input.
type Converter struct {
	p        *rules.Policy
	file     string
	files    []string // an input of several files, by index (SetFiles)
	cols     map[string]column
	warned   map[string]bool
	warnings []string
	keys     *Keys           // the keys seen, with their first line; nil: LeaveDuplicates
	only     []bool          // by slot: the only metrics and attributes converted (Only); nil: all
	onlyRaw  []*rules.Metric // the metrics only names that are read, not derived
	noted    []string        // the column names NoteColumns saw last
	present  []bool          // per slot, reused: which names a Record gave (or gave badly)
	byPos    []posColumn     // the column at each field position last seen there
	// The good team and period fields read, and what they gave.
	teams   memo[string]
	periods memo[rules.Period]
	// Where StatsInto's fields are in the records of a CSV header.
	plan struct {
		names  []string
		fields []int
	}
}

// posColumn is the column of the name a record had at a position.
type posColumn struct {
	name string
	col  column
	ok   bool
}

// column returns the column of name, the i-th field of a record. A CSV
// file's records name their fields alike, in the same order (with the
// same strings: the header's), so the column is found by position and one
// comparison, which costs a fraction of a map lookup.
func (c *Converter) column(i int, name string) (column, bool) {
	if i < len(c.byPos) && c.byPos[i].name == name {
		return c.byPos[i].col, c.byPos[i].ok
	}
	col, ok := c.cols[name]
	if i < 64 { // a JSON record may name anything anywhere: keep few
		if i >= len(c.byPos) {
			c.byPos = append(c.byPos, make([]posColumn, i+1-len(c.byPos))...)
		}
		c.byPos[i] = posColumn{name: name, col: col, ok: ok}
	}
	return col, ok
}

func NewConverter(p *rules.Policy, file string) *Converter {
	c := &Converter{p: p, file: file, cols: map[string]column{}, warned: map[string]bool{}, keys: NewKeys()}
	c.cols["subject"] = column{kind: colSubject}
	c.cols["period"] = column{kind: colPeriod}
	c.cols["team"] = column{kind: colTeam}
	for _, m := range p.Metrics {
		if m.Derived != nil {
			c.cols[m.Name] = column{kind: colDerived, metric: m}
		} else {
			c.cols[m.Name] = column{kind: colMetric, metric: m, slot: m.Decl.Slot}
		}
	}
	for _, a := range p.Attributes {
		c.cols[a.Name] = column{kind: colAttribute, attr: a, slot: a.Decl.Slot}
	}
	return c
}

// SpillDuplicates makes the converter's duplicate check move to disk past
// limit keys (NewSpillingKeys): duplicates read after that are reported by
// LateDuplicates, at the end, instead of by ConvertInto. For runs that fail
// on bad input anyway; one that rejects bad rows and goes on must know a
// duplicate when it reads it.
func (c *Converter) SpillDuplicates(limit int) {
	if c.keys != nil {
		c.keys = NewSpillingKeys(limit)
	}
}

// LateDuplicates returns the duplicates ConvertInto did not report (see
// SpillDuplicates), by line, and removes the check's files.
func (c *Converter) LateDuplicates() ([]*Error, error) {
	if c.keys == nil {
		return nil, nil
	}
	dups, err := c.keys.Late()
	if err != nil {
		return nil, err
	}
	errs := make([]*Error, len(dups))
	for i, d := range dups {
		errs[i] = c.duplicate(d)
	}
	return errs, nil
}

// Close removes the duplicate check's files, if any.
func (c *Converter) Close() {
	if c.keys != nil {
		c.keys.Close()
	}
}

func (c *Converter) duplicate(d Duplicate) *Error {
	part, line := SplitPos(d.Line)
	fpart, fline := SplitPos(d.First)
	at := fmt.Sprintf("line %d", fline)
	if fpart != part {
		at = fmt.Sprintf("%s:%d", c.fileName(fpart), fline)
	}
	return &Error{File: c.fileName(part), Line: line, Column: d.Column, Subject: d.Subject, Period: d.Period,
		Msg: fmt.Sprintf("duplicate snapshot: %s %s is already at %s", d.Subject, d.Period, at)}
}

// SetFiles names the files of an input read as several (MultiReader), by
// their index: messages about a record name its file.
func (c *Converter) SetFiles(names []string) {
	c.files = names
	if len(names) > 0 {
		c.file = names[0]
	}
}

// fileName is the name of the input's file with index part.
func (c *Converter) fileName(part int) string {
	if part >= 0 && part < len(c.files) {
		return c.files[part]
	}
	return c.file
}

// at makes the file of rec the one messages name.
func (c *Converter) at(rec *Record) {
	if len(c.files) > 1 {
		c.file = c.fileName(int(rec.part))
	}
}

// Sibling returns a converter for the same policy and file that leaves
// duplicates alone (LeaveDuplicates) and warns on its own: one of several
// converting parts of an input whose caller checks duplicates and notes
// columns on this one, in input order (CheckDuplicate, NoteColumns).
func (c *Converter) Sibling() *Converter {
	s := NewConverter(c.p, c.file)
	s.keys, s.only, s.files = nil, c.only, c.files
	return s
}

// File names the input in messages.
func (c *Converter) File() string { return c.file }

// Only makes the converter read, besides subject, period and team, only
// the metrics and attributes whose slots are set, and not check that the
// required ones are there: a row it accepts may still be bad. For a pass
// that reads a few columns of rows whose badness the main pass reports
// (the team statistics when bad input fails the run).
func (c *Converter) Only(slots []bool) {
	c.only, c.onlyRaw = slots, nil
	for _, m := range c.p.Metrics {
		if m.Derived == nil && slots[m.Decl.Slot] {
			c.onlyRaw = append(c.onlyRaw, m)
		}
	}
}

// LeaveDuplicates makes the converter accept a (subject, period) it has
// seen before: for converters that each see part of the input, whose
// caller finds duplicates in input order (Keys).
func (c *Converter) LeaveDuplicates() { c.keys = nil }

func (c *Converter) warn(name, msg string) {
	if c.warned[name] {
		return
	}
	c.warned[name] = true
	c.warnings = append(c.warnings, msg)
}

// isPlainNumber reports whether s is a plain decimal: an optional sign,
// digits with an optional fraction, an optional exponent. No NaN, Inf,
// hex or digit separators.
func isPlainNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// number reads a numeric field; what and name say what it is in a
// message ("metric", "aht"), joined only when there is one.
func (c *Converter) number(f *Field, what, name string) (float64, string) {
	v, msg := c.numberOf(f)
	if msg != "" {
		msg = what + " " + name + msg
	}
	return v, msg
}

// numberOf reads a numeric field; a message starts with what follows the
// field's name.
func (c *Converter) numberOf(f *Field) (float64, string) {
	var text string
	switch f.kind {
	case FieldText:
		text = strings.TrimSpace(f.text)
		if !isPlainNumber(text) {
			return 0, fmt.Sprintf(" %q is not a number (write plain decimals such as 1234.5)", short(f.text))
		}
	case FieldNumber:
		text = f.text
	case FieldString:
		return 0, fmt.Sprintf(" must be a JSON number, not the string %q", short(f.text))
	case FieldBool:
		return 0, fmt.Sprintf(" must be a number, not %t", f.b)
	default:
		return 0, " must be a number, not an array or object"
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, " " + text + " is out of range"
	}
	return v, ""
}

func (c *Converter) str(f *Field, what string) (string, string) {
	switch f.kind {
	case FieldText, FieldString, FieldNumber:
		if len(f.text) > evaluator.MaxStringBytes {
			return "", fmt.Sprintf("%s is %d bytes long; a value may be at most %d", what, len(f.text), evaluator.MaxStringBytes)
		}
		return f.text, ""
	}
	return "", fmt.Sprintf("%s must be a string", what)
}

// memo is what good fields gave, by their text, for the kinds str reads
// alike (a CSV cell, a JSON string or number): a file holds a few teams
// and periods, each on many rows, and not always one after another (a
// subject's weeks, then the next subject's). It forgets everything past
// maxMemo texts.
type memo[T any] struct{ m map[string]T }

const maxMemo = 1024

func memoKind(k FieldKind) bool { return k == FieldText || k == FieldString || k == FieldNumber }

func (m *memo[T]) get(f *Field) (T, bool) {
	if !memoKind(f.kind) {
		var zero T
		return zero, false
	}
	v, ok := m.m[f.text]
	return v, ok
}

func (m *memo[T]) set(f *Field, v T) {
	if !memoKind(f.kind) {
		return
	}
	if m.m == nil || len(m.m) >= maxMemo {
		m.m = make(map[string]T)
	}
	m.m[strings.Clone(f.text)] = v // not the whole row's text behind it
}

// id reads a field that names something (a team, a period): its text, or
// why it cannot name anything.
func (c *Converter) id(f *Field, what string) (string, string) {
	v, msg := c.str(f, what)
	if msg == "" {
		msg = identity(what, v)
	}
	return v, msg
}

// team reads a team field (not empty): the team, or why it is bad.
func (c *Converter) team(f *Field) (string, string) {
	if t, ok := c.teams.get(f); ok {
		return t, ""
	}
	t, msg := c.id(f, "team")
	if msg != "" {
		return "", msg
	}
	t = norm.NFC.String(t)
	c.teams.set(f, t)
	return t, ""
}

// metric reads a field of metric m (not empty): its value, or why it is
// bad.
func (c *Converter) metric(f *Field, m *rules.Metric) (float64, string) {
	v, msg := c.number(f, "metric", m.Name)
	switch {
	case msg != "":
		return 0, msg
	case m.Min != nil && v < *m.Min:
		return 0, fmt.Sprintf("metric %s = %s is below its minimum %s", m.Name, evaluator.FormatNumber(v), evaluator.FormatNumber(*m.Min))
	case m.Max != nil && v > *m.Max:
		return 0, fmt.Sprintf("metric %s = %s is above its maximum %s", m.Name, evaluator.FormatNumber(v), evaluator.FormatNumber(*m.Max))
	}
	return v, ""
}

// periodOf reads the period field f (nil when the record has none): the
// period, or why it is bad.
func (c *Converter) periodOf(f *Field) (rules.Period, string) {
	if f == nil || f.kind == FieldNull {
		return rules.Period{}, "period is missing: every snapshot needs a period such as 2026-10"
	}
	if per, ok := c.periods.get(f); ok {
		return per, ""
	}
	v, msg := c.id(f, "period")
	if msg != "" {
		return rules.Period{}, msg
	}
	if len(v) > 32 {
		return rules.Period{}, fmt.Sprintf("period %q is not a period label (YYYY-MM-DD, YYYY-Www, YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY)", short(v))
	}
	per, err := rules.ParsePeriod(v)
	switch {
	case err != nil:
		return rules.Period{}, err.Error()
	case per.Kind != c.p.Period:
		return rules.Period{}, fmt.Sprintf("period %q is a %s; policy %s is evaluated per %s", short(v), per.Kind, c.p.Name, c.p.Period)
	}
	if msg := c.effective(per); msg != "" {
		return rules.Period{}, msg
	}
	c.periods.set(f, per)
	return per, ""
}

// StatsInto reads into s what the team statistics read of rec, for their
// pass when bad input fails the run (Only): the team, the period and the
// metrics Only names, each missing one given its default, and reports
// whether they are good. It sets nothing else of s and checks nothing
// else: a bad value elsewhere fails the run, and the statistics are not
// used then.
func (c *Converter) StatsInto(rec *Record, s *evaluator.Snapshot) bool {
	s.Team, s.HasTeam = "", false
	for _, m := range c.onlyRaw {
		s.Values[m.Decl.Slot] = evaluator.Value{}
	}
	var periodF *Field
	if visit := c.statsPlan(rec); visit != nil {
		for _, i := range visit {
			if i < len(rec.fields) && !c.statsField(rec, i, s, &periodF) {
				return false
			}
		}
	} else {
		for i := range rec.fields {
			if !c.statsField(rec, i, s, &periodF) {
				return false
			}
		}
	}
	per, msg := c.periodOf(periodF)
	if msg != "" {
		return false
	}
	s.Period = per
	for _, m := range c.onlyRaw {
		if m.Default != nil && !s.Values[m.Decl.Slot].Has() {
			s.Values[m.Decl.Slot] = evaluator.Num(*m.Default)
		}
	}
	return true
}

// statsField reads rec's i-th field into s as StatsInto does (the period
// field is kept in *periodF, read last); false when it is bad.
func (c *Converter) statsField(rec *Record, i int, s *evaluator.Snapshot, periodF **Field) bool {
	f := &rec.fields[i]
	col, ok := c.column(i, rec.names[i])
	switch {
	case !ok || f.kind == FieldNull:
	case col.kind == colPeriod:
		*periodF = f
	case col.kind == colTeam:
		t, msg := c.team(f)
		if msg != "" {
			return false
		}
		s.Team, s.HasTeam = t, t != ""
	case col.kind == colMetric && c.only[col.slot]:
		v, msg := c.metric(f, col.metric)
		if msg != "" {
			return false
		}
		s.Values[col.slot] = evaluator.Num(v)
	}
	return true
}

// statsPlan is the positions of the fields StatsInto reads in a CSV
// record (the team, the period, the metrics Only names), found once for
// the file's header; nil for a JSON record, whose fields may come in any
// order.
func (c *Converter) statsPlan(rec *Record) []int {
	if !rec.csv || len(rec.names) == 0 {
		return nil
	}
	if len(c.plan.names) == len(rec.names) && &c.plan.names[0] == &rec.names[0] {
		return c.plan.fields // the same header: a CSV file's records share it
	}
	c.plan.names, c.plan.fields = rec.names, []int{}
	for i, name := range rec.names {
		col, ok := c.column(i, name)
		if ok && (col.kind == colPeriod || col.kind == colTeam || col.kind == colMetric && c.only[col.slot]) {
			c.plan.fields = append(c.plan.fields, i)
		}
	}
	return c.plan.fields
}

// Convert checks a Record. It returns the snapshot, or the errors that make
// it bad input (all of them).
func (c *Converter) Convert(rec *Record) (*evaluator.Snapshot, []*Error) {
	return c.ConvertInto(rec, nil)
}

// ConvertInto is Convert into s, an empty snapshot of the policy (Reset),
// or a new one when s is nil.
func (c *Converter) ConvertInto(rec *Record, s *evaluator.Snapshot) (*evaluator.Snapshot, []*Error) {
	if s == nil {
		s = evaluator.NewSnapshot(c.p)
	}
	c.at(rec)
	s.Line = rec.line
	var errs []*Error
	if c.present == nil {
		c.present = make([]bool, c.p.Scope.Len())
	}
	present := c.present // by slot: a value, or a bad one already reported
	clear(present)
	mark := func(name string) {
		if col, ok := c.cols[name]; ok {
			switch {
			case col.metric != nil:
				present[col.metric.Decl.Slot] = true
			case col.attr != nil:
				present[col.attr.Decl.Slot] = true
			}
		}
	}
	bad := func(f *Field, format string, args ...any) {
		e := &Error{File: c.file, Line: rec.line, Msg: fmt.Sprintf(format, args...), raw: rec.rawText()}
		if f != nil {
			e.Line, e.Column = f.line, f.column()
			mark(rec.nameOf(f))
		}
		errs = append(errs, e)
	}
	var subjF, periodF *Field
	for i := range rec.fields {
		f, name := &rec.fields[i], rec.names[i]
		col, ok := c.column(i, name)
		if !ok {
			c.warnUnknown(name)
			continue
		}
		switch col.kind {
		case colSubject:
			subjF = f
		case colPeriod:
			periodF = f
		case colTeam:
			if f.kind == FieldNull {
				continue
			}
			t, msg := c.team(f)
			if msg != "" {
				bad(f, "%s", msg)
				continue
			}
			s.Team, s.HasTeam = t, t != ""
		case colDerived:
			c.warnDerived(name)
		case colMetric:
			if f.kind == FieldNull || (c.only != nil && !c.only[col.slot]) {
				continue
			}
			v, msg := c.metric(f, col.metric)
			if msg != "" {
				bad(f, "%s", msg)
				continue
			}
			s.Values[col.slot] = evaluator.Num(v)
			s.SetExact(col.slot, strings.TrimSpace(f.text))
			present[col.slot] = true
		case colAttribute:
			if f.kind == FieldNull || (c.only != nil && !c.only[col.slot]) {
				continue
			}
			a := col.attr
			switch a.Type {
			case rules.AttrNumber, rules.AttrMoney:
				var v float64
				var msg string
				if a.Type == rules.AttrMoney && f.kind == FieldString {
					f2 := *f
					f2.kind = FieldText
					v, msg = c.number(&f2, "attribute", a.Name)
				} else {
					v, msg = c.number(f, "attribute", a.Name)
				}
				if msg != "" {
					bad(f, "%s (type %s)", msg, a.Type)
					continue
				}
				s.Values[col.slot] = evaluator.Num(v)
				s.SetExact(col.slot, strings.TrimSpace(f.text))
			case rules.AttrBool:
				var b bool
				switch {
				case f.kind == FieldBool:
					b = f.b
				case f.kind == FieldText && strings.EqualFold(strings.TrimSpace(f.text), "true"):
					b = true
				case f.kind == FieldText && strings.EqualFold(strings.TrimSpace(f.text), "false"):
					b = false
				default:
					bad(f, "attribute %s must be true or false (type bool), not %s", a.Name, fieldText_(f))
					continue
				}
				s.Values[col.slot] = evaluator.Boolean(b)
			default:
				if f.kind != FieldText && f.kind != FieldString {
					bad(f, "attribute %s must be a string (type string), not %s", a.Name, fieldText_(f))
					continue
				}
				v, msg := c.str(f, "attribute "+a.Name)
				if msg != "" {
					bad(f, "%s", msg)
					continue
				}
				s.Values[col.slot] = evaluator.Str(v)
			}
			present[col.slot] = true
		}
	}
	if subjF == nil || subjF.kind == FieldNull {
		bad(subjF, "subject is missing: every snapshot needs a subject")
	} else if v, msg := c.str(subjF, "subject"); msg != "" {
		bad(subjF, "%s", msg)
	} else if strings.TrimSpace(v) == "" {
		bad(subjF, "subject is empty")
	} else if msg := identity("subject", v); msg != "" {
		bad(subjF, "%s", msg)
	} else {
		s.Subject = norm.NFC.String(v)
	}
	if per, msg := c.periodOf(periodF); msg != "" {
		bad(periodF, "%s", msg)
	} else {
		s.Period = per
		s.HistoryOnly = c.p.History > 0 && c.p.EffectiveFrom != nil && per.Start.Before(*c.p.EffectiveFrom)
	}
	if c.only == nil {
		c.required(rec, present, bad)
	}
	for _, e := range errs {
		e.Subject, e.Period, e.Team = s.Subject, s.Period.Label, s.Team
		if s.Period.Label == "" && periodF != nil {
			e.Period = periodF.text
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	col := 1
	if subjF != nil {
		col = subjF.column()
	}
	if e := c.checkDuplicate(rec, s, col); e != nil {
		return nil, []*Error{e}
	}
	return s, nil
}

// CheckDuplicate adds the key of s, converted from rec without error, to
// the keys seen, and returns the error when it was seen before (nil for a
// converter that leaves duplicates alone). ConvertInto calls it; a caller
// that converts on converters that leave duplicates alone calls it on
// one, in input order.
func (c *Converter) CheckDuplicate(rec *Record, s *evaluator.Snapshot) *Error {
	if c.keys == nil {
		return nil
	}
	c.at(rec)
	col := 1
	if f := c.fieldOf(rec, "subject"); f != nil {
		col = f.column()
	}
	return c.checkDuplicate(rec, s, col)
}

// checkDuplicate is CheckDuplicate with the subject's column known.
func (c *Converter) checkDuplicate(rec *Record, s *evaluator.Snapshot, col int) *Error {
	if c.keys == nil {
		return nil
	}
	pos := Pos(int(rec.part), rec.line)
	first, dup := c.keys.Add(s.Subject, s.Period.Label, pos, col)
	if !dup {
		return nil
	}
	e := c.duplicate(Duplicate{Line: pos, Column: col, First: first, Subject: s.Subject, Period: s.Period.Label})
	e.raw = rec.rawText()
	return e
}

// NoteColumns records the warnings about rec's columns (unknown, or a
// derived metric's) that ConvertInto records: for a caller that converts
// on other converters and keeps this one's warnings, in input order.
func (c *Converter) NoteColumns(rec *Record) {
	c.at(rec)
	if c.sameColumns(rec) {
		return // a CSV file's records share its header's names
	}
	for _, name := range rec.names {
		col, ok := c.cols[name]
		switch {
		case !ok:
			c.warnUnknown(name)
		case col.kind == colDerived:
			c.warnDerived(name)
		}
	}
}

// sameColumns reports whether rec names the same columns, in the same
// order, as the record noted before it, and remembers its names.
func (c *Converter) sameColumns(rec *Record) bool {
	same := slices.Equal(rec.names, c.noted)
	if !same {
		c.noted = append(c.noted[:0], rec.names...)
	}
	return same
}

func (c *Converter) warnUnknown(name string) {
	if !c.warned[name] {
		c.warn(name, fmt.Sprintf("%s: unknown column %q is ignored (not a metric or attribute of policy %s)", c.file, short(name), c.p.Name))
	}
}

func (c *Converter) warnDerived(name string) {
	if !c.warned[name] {
		c.warn(name, fmt.Sprintf("%s: column %q is a derived metric of policy %s; it is computed, and the input values are ignored", c.file, name, c.p.Name))
	}
}

// required reports the required metrics and attributes rec gave no value.
func (c *Converter) required(rec *Record, present []bool, bad func(*Field, string, ...any)) {
	for _, m := range c.p.Metrics {
		if m.Required && m.Derived == nil && !present[m.Decl.Slot] {
			bad(c.fieldOf(rec, m.Name), "required metric %s has no value", m.Name)
		}
	}
	for _, a := range c.p.Attributes {
		if a.Required && !present[a.Decl.Slot] {
			bad(c.fieldOf(rec, a.Name), "required attribute %s has no value", a.Name)
		}
	}
}

// short quotes at most 80 characters of a value in a message: a 100 MB
// cell must not make a 100 MB error line.
func short(s string) string {
	if utf8.RuneCountInString(s) <= 80 {
		return s
	}
	r := []rune(s)
	return string(r[:80]) + "…"
}

// identity says why an id (subject, team, period) cannot be used, or "":
// leading or trailing spaces, control or format characters (a zero-width
// space makes two ids look the same and pay twice), or a start a
// spreadsheet would run as a formula.
func identity(what, v string) string {
	if strings.TrimSpace(v) != v {
		return fmt.Sprintf("%s %q has leading or trailing spaces; payroll systems trim ids, so it would be paid as someone else", what, short(v))
	}
	if r, ok := invisible(v); ok {
		return fmt.Sprintf("%s %q holds the invisible character %U; ids must be plain text", what, short(v), r)
	}
	if textenc.FormulaLike(v) {
		return fmt.Sprintf("%s %q begins with %q, which a spreadsheet runs as a formula; ids must not", what, short(v), v[:1])
	}
	return ""
}

// invisible returns the first control or format character of v. Ids are
// nearly always printable ASCII, which holds none.
func invisible(v string) (rune, bool) {
	i := 0
	for i < len(v) && v[i] >= 0x20 && v[i] < 0x7f {
		i++
	}
	for _, r := range v[i:] {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return r, true
		}
	}
	return 0, false
}

func fieldText_(f *Field) string {
	switch f.kind {
	case FieldBool:
		return strconv.FormatBool(f.b)
	case FieldNumber:
		return short(f.text)
	case FieldOther:
		return "an array or object"
	}
	return strconv.Quote(short(f.text))
}

func (c *Converter) fieldOf(rec *Record, name string) *Field {
	if i := slices.Index(rec.names, name); i >= 0 {
		return &rec.fields[i]
	}
	return nil
}

func (c *Converter) effective(per rules.Period) string {
	from, to := c.p.EffectiveFrom, c.p.EffectiveTo
	if c.p.History > 0 {
		from = nil // earlier snapshots serve as history
	}
	if (from != nil && per.Start.Before(*from)) || (to != nil && per.Start.After(*to)) {
		return fmt.Sprintf("period %s starts %s, outside the effective dates of policy %s (%s to %s)",
			per.Label, per.StartDate(), c.p.Name, dateOr(from, "open"), dateOr(to, "open"))
	}
	return ""
}

func dateOr(t *time.Time, def string) string {
	if t == nil {
		return def
	}
	return t.Format(time.DateOnly)
}

// Warnings are what was read but ignored, said once each (an unknown
// column, input values of a derived metric), in the order first seen.
func (c *Converter) Warnings() []string { return c.warnings }
