package evaluator

import (
	"math"
	"strconv"
)

// Kind is the kind of a runtime Value. The zero Kind means "no value".
type Kind uint8

const (
	None Kind = iota
	Number
	String
	Bool
)

// Value is one name's value for one snapshot. The zero Value has no value.
type Value struct {
	Kind Kind
	Num  float64
	Str  string
	Bool bool
}

// Num returns a number value.
func Num(f float64) Value { return Value{Kind: Number, Num: f} }

// Str returns a string value.
func Str(s string) Value { return Value{Kind: String, Str: s} }

// Boolean returns a bool value.
func Boolean(b bool) Value { return Value{Kind: Bool, Bool: b} }

// Has reports whether v holds a value.
func (v Value) Has() bool { return v.Kind != None }

// String formats the value for explanations.
func (v Value) String() string {
	switch v.Kind {
	case Number:
		return FormatNumber(v.Num)
	case String:
		return strconv.Quote(v.Str)
	case Bool:
		return strconv.FormatBool(v.Bool)
	}
	return "no value"
}

// FormatNumber prints a number the way a manager reads it: its shortest
// exact form, without exponent for everyday magnitudes.
func FormatNumber(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	a := math.Abs(f)
	if a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// Short prints a number rounded to 4 decimals for sentences.
func Short(f float64) string {
	r := math.Round(f*1e4) / 1e4
	if math.Abs(f) >= 1e15 || r == 0 && f != 0 {
		return FormatNumber(f)
	}
	return FormatNumber(r)
}
