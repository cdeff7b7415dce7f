package rules

import (
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/rubric-dev/rubric/dsl"
)

// Rollup is how the policy's input metrics are counted from interaction
// rows, one row per call, chat or ticket (SPEC §14). Its expressions are
// compiled against a scope of its own: the declared columns, day and
// hour.
type Rollup struct {
	Name                string
	Subject, Team, Time string // the headers naming them ("" team: none)
	TimeZone            *time.Location
	TimeLayout          string // a Go layout for the time column; "" the usual forms
	Where               *Expression
	Columns             []*RollupColumn
	Measures            []*Measure
	Scope               *Scope
	Day, Hour           *Decl // the row's local date (YYYY-MM-DD) and hour (0-23)
	Range               hcl.Range
}

// ColumnType is how a rollup column's cells are read.
type ColumnType int

const (
	ColumnInvalid  ColumnType = iota
	ColumnNumber              // plain decimals
	ColumnString              // text
	ColumnBool                // true/false, yes/no, y/n, 1/0, any case
	ColumnDuration            // H:MM:SS, MM:SS or seconds: a number of seconds
	ColumnTime                // a time, as the time column's forms: its local RFC 3339 text
)

var columnTypes = []string{"number", "string", "bool", "duration", "time"}

func (t ColumnType) String() string {
	if t > ColumnInvalid && int(t) <= len(columnTypes) {
		return columnTypes[t-1]
	}
	return "invalid"
}

// RollupColumn is a declared column: its name in expressions, the header
// it reads and its type.
type RollupColumn struct {
	Name, Header string
	Type         ColumnType
	Decl         *Decl
}

// MeasureKind is what a measure computes.
type MeasureKind int

const (
	MeasureCount    MeasureKind = iota + 1 // rows (Expr nil) or rows where Expr is true
	MeasureSum                             // Σ Expr
	MeasureMin                             // min Expr
	MeasureMax                             // max Expr
	MeasureAvg                             // Σ Expr / rows, 34 digits
	MeasureQuantile                        // the Quantile of Expr, linear interpolation
	MeasureDistinct                        // different values of Expr
)

// Measure is one of the rollup's measures: an input metric of the policy.
type Measure struct {
	Name     string
	Kind     MeasureKind
	Expr     *Expression
	Where    *Expression
	Quantile float64
	// Column is the column Expr reads when Expr is that column alone: a
	// sum, min or max over it is taken over the cells' exact decimals.
	Column *RollupColumn
	Metric *Metric
}

// rollupMetrics adds a metric for every measure no metric block declares,
// before the names are declared: a measure is an input metric.
func (r *resolver) rollupMetrics() {
	if len(r.ast.Rollups) == 0 {
		return
	}
	ast := *r.ast
	ast.Metrics = slices.Clone(ast.Metrics)
	declared := map[string]bool{}
	for _, m := range ast.Metrics {
		declared[m.Name] = true
	}
	for _, ru := range r.ast.Rollups {
		for _, m := range ru.Measures {
			if !declared[m.Name] && m.Name != "" {
				declared[m.Name] = true
				ast.Metrics = append(ast.Metrics, &dsl.Metric{Head: m.Head})
			}
		}
	}
	r.ast = &ast
}

// rollup resolves the policy's rollup block.
func (r *resolver) rollup() {
	if len(r.ast.Rollups) == 0 {
		return
	}
	for _, extra := range r.ast.Rollups[1:] {
		r.errorf(CodeDuplicate, extra.NameRange, "a policy has one rollup block; rollup %q is the second", extra.Name)
	}
	b := r.ast.Rollups[0]
	what := fmt.Sprintf("rollup %q", b.Name)
	ru := &Rollup{Name: b.Name, Range: b.DefRange, Scope: newScope(), TimeZone: time.UTC}
	header := func(v *dsl.Value, name string, required bool) string {
		if v == nil {
			if required {
				r.errorf(CodeMissing, b.DefRange, "%s needs %s: the column naming the %s", what, name, name)
			}
			return ""
		}
		s, _ := r.str(v, name)
		return s
	}
	ru.Subject = header(b.Subject, "subject", true)
	ru.Team = header(b.Team, "team", false)
	ru.Time = header(b.Time, "time", true)
	if b.TimeZone != nil {
		if name, ok := r.str(b.TimeZone, "time_zone"); ok {
			loc, err := time.LoadLocation(name)
			if err != nil || name == "" || name == "Local" {
				r.errorf(CodeBadValue, b.TimeZone.Range, "%s: time_zone %q is not an IANA time zone name (such as Asia/Jakarta or Europe/Berlin)", what, name)
			} else {
				ru.TimeZone = loc
			}
		}
	}
	ru.TimeLayout, _ = r.str(b.TimeLayout, "time_layout")

	// The rollup's own names: its columns, day and hour.
	seen := map[string]bool{}
	for _, c := range b.Columns {
		if !r.firstOf(seen, c.Head, what, "column") {
			continue
		}
		if reserved[c.Name] || c.Name == "day" || c.Name == "hour" {
			r.errorf(CodeReserved, c.NameRange, "%q is a reserved word and cannot name a column", c.Name)
			continue
		}
		col := &RollupColumn{Name: c.Name, Header: c.Name, Type: ColumnType(r.enum(c.Type, "type", int(ColumnInvalid), columnTypes...))}
		if c.Type == nil {
			r.errorf(CodeMissing, c.DefRange, "column %q has no type: set type = \"number\", \"string\", \"bool\", \"duration\" or \"time\"", c.Name)
		}
		if c.From != nil {
			col.Header, _ = r.str(c.From, "from")
		}
		t := TypeNumber
		switch col.Type {
		case ColumnString, ColumnTime:
			t = TypeString
		case ColumnBool:
			t = TypeBool
		}
		col.Decl = ru.Scope.add(c.Name, t, StageDerived, DeclColumn, c.Name)
		ru.Columns = append(ru.Columns, col)
	}
	ru.Day = ru.Scope.add("day", TypeString, StageDerived, DeclColumn, "day")
	ru.Hour = ru.Scope.add("hour", TypeNumber, StageDerived, DeclColumn, "hour")

	// Expressions read the rollup's scope, not the policy's.
	policyScope := r.scope
	r.scope, r.inRollup = ru.Scope, true
	defer func() { r.scope, r.inRollup = policyScope, false }()
	ru.Where = r.expression(b.Where, StageDerived, TypeBool, what+" where")
	colByName := map[string]*RollupColumn{}
	for _, c := range ru.Columns {
		colByName[c.Name] = c
	}
	mseen := map[string]bool{}
	for _, m := range b.Measures {
		if !r.firstOf(mseen, m.Head, what, "measure") {
			continue
		}
		mw := fmt.Sprintf("measure %q", m.Name)
		me := &Measure{Name: m.Name, Metric: r.metricByName[m.Name]}
		if me.Metric != nil && me.Metric.Derived != nil {
			r.errorf(CodeConflict, m.NameRange, "%s is counted by rollup %q, and metric %q computes it with expr; keep one", mw, b.Name, m.Name)
		}
		var kinds []string
		set := func(v *dsl.Value, k MeasureKind, name string) {
			if v != nil {
				kinds = append(kinds, name)
				me.Kind = k
			}
		}
		set(m.Count, MeasureCount, "count")
		set(m.Sum, MeasureSum, "sum")
		set(m.Min, MeasureMin, "min")
		set(m.Max, MeasureMax, "max")
		set(m.Avg, MeasureAvg, "avg")
		set(m.Quantile, MeasureQuantile, "quantile")
		set(m.Distinct, MeasureDistinct, "distinct")
		if len(kinds) != 1 {
			r.errorf(CodeExactlyOne, m.DefRange, "%s needs exactly one of count, sum, min, max, avg, quantile (with of) or distinct; it has %d", mw, len(kinds))
			continue
		}
		switch me.Kind {
		case MeasureCount:
			if m.Count.Kind == dsl.KindBool {
				if !m.Count.Bool {
					r.errorf(CodeBadValue, m.Count.Range, "%s: count = true counts rows; count = \"CONDITION\" counts rows where it holds", mw)
				}
			} else {
				me.Expr = r.expression(m.Count, StageDerived, TypeBool, mw+" count")
			}
		case MeasureSum:
			me.Expr = r.expression(m.Sum, StageDerived, TypeNumber, mw+" sum")
		case MeasureMin:
			me.Expr = r.expression(m.Min, StageDerived, TypeNumber, mw+" min")
		case MeasureMax:
			me.Expr = r.expression(m.Max, StageDerived, TypeNumber, mw+" max")
		case MeasureAvg:
			me.Expr = r.expression(m.Avg, StageDerived, TypeNumber, mw+" avg")
		case MeasureQuantile:
			if q, _, ok := r.number(m.Quantile, "quantile"); ok {
				if q < 0 || q > 1 {
					r.errorf(CodeBadValue, m.Quantile.Range, "%s: quantile %v is not between 0 and 1", mw, q)
				}
				me.Quantile = q
			}
			if m.Of == nil {
				r.errorf(CodeMissing, m.DefRange, "%s: a quantile needs of = \"EXPRESSION\"", mw)
			}
			me.Expr = r.expression(m.Of, StageDerived, TypeNumber, mw+" of")
		case MeasureDistinct:
			me.Expr = r.expression(m.Distinct, StageDerived, TypeInvalid, mw+" distinct")
		}
		if m.Of != nil && me.Kind != MeasureQuantile {
			r.errorf(CodeConflict, m.Of.Range, "%s: of belongs to a quantile", mw)
		}
		me.Where = r.expression(m.Where, StageDerived, TypeBool, mw+" where")
		if me.Expr != nil && me.Expr.Bare != nil {
			if c := colByName[me.Expr.Bare.Name]; c != nil && c.Type == ColumnNumber {
				me.Column = c
			}
		}
		ru.Measures = append(ru.Measures, me)
	}
	r.p.Rollup = ru
}
