package engine

import (
	"github.com/rubric-dev/rubric/engine/internal/input"
	"github.com/rubric-dev/rubric/evaluator"
)

// ValueKind is the kind of a value given as data (a policy test's values)
// rather than read from an input file.
type ValueKind uint8

// The kinds of a Value.
const (
	ValueNumber ValueKind = iota + 1 // Text is the number as written
	ValueString                      // Text is the string
	ValueBool                        // Bool is the value
	ValueOther                       // a list or a map: never a valid value
)

// Value is one named value of a snapshot, with where it was written.
type Value struct {
	Name         string
	Kind         ValueKind
	Text         string
	Bool         bool
	Line, Column int
}

// A Checker turns values into snapshots with the checks and messages of
// input files: the same types, bounds, identity rules and duplicate
// (subject, period) detection across everything it has checked. Policy
// tests build their snapshots with one.
type Checker struct{ conv *input.Converter }

// NewChecker returns a Checker for p; file names the values' file in
// errors.
func (p *Policy) NewChecker(file string) *Checker {
	return &Checker{conv: input.NewConverter(p.Rules(), file)}
}

// Snapshot checks one snapshot's values, written at line of the checker's
// file, and returns the snapshot or every error found.
func (c *Checker) Snapshot(line int, values []Value) (*evaluator.Snapshot, []*InputError) {
	fields, names := make([]input.Field, len(values)), make([]string, len(values))
	for i, v := range values {
		kind := input.FieldOther
		switch v.Kind {
		case ValueNumber:
			kind = input.FieldNumber
		case ValueString:
			kind = input.FieldString
		case ValueBool:
			kind = input.FieldBool
		}
		fields[i], names[i] = input.NewField(kind, v.Text, v.Bool, v.Line, v.Column), v.Name
	}
	rec := input.NewRecord(line, names, fields)
	return c.conv.Convert(rec)
}
