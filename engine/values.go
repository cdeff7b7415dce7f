package engine

import "github.com/rubric-dev/rubric/evaluator"

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
type Checker struct{ conv *converter }

// NewChecker returns a Checker for p; file names the values' file in
// errors.
func (p *Policy) NewChecker(file string) *Checker {
	return &Checker{conv: newConverter(p.Rules, file)}
}

// Snapshot checks one snapshot's values, written at line of the checker's
// file, and returns the snapshot or every error found.
func (c *Checker) Snapshot(line int, values []Value) (*evaluator.Snapshot, []*InputError) {
	rec := &record{line: line, fields: make([]field, len(values))}
	for i, v := range values {
		f := field{name: v.Name, text: v.Text, b: v.Bool, line: v.Line, col: v.Column}
		switch v.Kind {
		case ValueNumber:
			f.kind = fieldNumber
		case ValueString:
			f.kind = fieldString
		case ValueBool:
			f.kind = fieldBool
		default:
			f.kind = fieldOther
		}
		rec.fields[i] = f
	}
	return c.conv.convert(rec)
}
