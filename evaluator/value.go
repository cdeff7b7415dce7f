package evaluator

import (
	"math"
	"strconv"

	"github.com/rubric-dev/rubric/evaluator/lang"
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
func (v Value) String() string { return string(v.appendTo(nil)) }

func (v Value) appendTo(b []byte) []byte {
	switch v.Kind {
	case Number:
		return appendNumber(b, v.Num)
	case String:
		return strconv.AppendQuote(b, v.Str)
	case Bool:
		return strconv.AppendBool(b, v.Bool)
	}
	return append(b, "no value"...)
}

// FormatNumber prints a number the way a manager reads it: its shortest
// exact form, without exponent for everyday magnitudes.
func FormatNumber(f float64) string { return string(appendNumber(nil, f)) }

func appendNumber(b []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	}
	a := math.Abs(f)
	if a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

// Short writes a number for sentences (lang.AppendShort): four decimals,
// or three significant digits for one that would round to 0.
func Short(f float64) string { return string(lang.AppendShort(nil, f)) }
