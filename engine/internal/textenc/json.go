// Package textenc holds the hand-written encoders that the engine and its
// capabilities share: JSON appended without reflection, in a fixed key
// order, and CSV cells that a spreadsheet will not run as formulas.
package textenc

import (
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/rubric-dev/rubric/evaluator"
)

// JSON appends JSON by hand: keys in a fixed order, numbers as
// encoding/json prints them, no reflection.
type JSON struct {
	B   []byte
	why []byte // a why sentence that needs escaping, copied aside
}

func (w *JSON) Raw(s string) { w.B = append(w.B, s...) }

// Explained is a result that renders its why sentence.
type Explained interface{ AppendWhy([]byte) []byte }

// Why appends a result's why sentence as a JSON string. The sentence is
// rendered in place, after the opening quote, and left as it is when it
// needs no escaping (nearly always); otherwise it is escaped from a copy.
func (w *JSON) Why(r Explained) {
	w.B = append(w.B, '"')
	start := len(w.B)
	w.B = r.AppendWhy(w.B)
	rendered := w.B[start:]
	if plainPrefix(unsafe.String(unsafe.SliceData(rendered), len(rendered))) == len(rendered) {
		w.B = append(w.B, '"')
		return
	}
	w.why = append(w.why[:0], rendered...)
	w.B = w.B[:start-1]
	w.Str(unsafe.String(unsafe.SliceData(w.why), len(w.why)))
}

// plainPrefix is how many leading bytes of s a JSON string holds as they
// are: up to the first control character, quote, backslash, invalid UTF-8
// or U+2028/U+2029. Eight plain ASCII bytes are checked at a time.
func plainPrefix(s string) int {
	i := 0
	for i < len(s) {
		for i+8 <= len(s) && plain8(uint64(s[i])|uint64(s[i+1])<<8|uint64(s[i+2])<<16|uint64(s[i+3])<<24|
			uint64(s[i+4])<<32|uint64(s[i+5])<<40|uint64(s[i+6])<<48|uint64(s[i+7])<<56) {
			i += 8
		}
		if i == len(s) {
			break
		}
		if c := s[i]; c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
			return i
		}
		i += size
	}
	return len(s)
}

// Str appends s as a JSON string, escaped as encoding/json does without
// HTML escaping.
func (w *JSON) Str(s string) {
	b := append(w.B, '"')
	for {
		n := plainPrefix(s)
		b, s = append(b, s[:n]...), s[n:]
		if s == "" {
			break
		}
		if c := s[0]; c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			s = s[1:]
			continue
		}
		r, size := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else { // U+2028 or U+2029
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		}
		s = s[size:]
	}
	w.B = append(b, '"')
}

const hexDigits = "0123456789abcdef"

// plain8 reports whether none of the eight bytes of x needs escaping or
// decoding: each is ASCII, at least 0x20, and neither '"' nor '\\'.
func plain8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zeroIn := func(v uint64) uint64 { return (v - ones) &^ v & highs }
	below20 := (x - ones*0x20) &^ x & highs
	return (x&highs)|below20|zeroIn(x^(ones*'"'))|zeroIn(x^(ones*'\\')) == 0
}

// Num appends a float as encoding/json does.
func (w *JSON) Num(f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		w.Raw("null")
		return
	}
	abs := math.Abs(f)
	fmtc := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		fmtc = 'e'
	}
	b := strconv.AppendFloat(w.B, f, fmtc, -1, 64)
	if fmtc == 'e' {
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	w.B = b
}

// Key appends an object key. Keys are fixed words or rule names, which
// match [a-z][a-z0-9_]* (dotted for input names): none needs escaping.
func (w *JSON) Key(k string) {
	if n := len(w.B); n > 0 && w.B[n-1] != '{' && w.B[n-1] != '[' {
		w.B = append(w.B, ',')
	}
	w.B = append(w.B, '"')
	w.B = append(w.B, k...)
	w.B = append(w.B, '"', ':')
}

func (w *JSON) Value(v evaluator.Value) {
	switch v.Kind {
	case evaluator.Number:
		w.Num(v.Num)
	case evaluator.String:
		w.Str(v.Str)
	case evaluator.Bool:
		w.Raw(strconv.FormatBool(v.Bool))
	default:
		w.Raw("null")
	}
}

func (w *JSON) StrOrNull(s string) {
	if s == "" {
		w.Raw("null")
		return
	}
	w.Str(s)
}

// Strs appends a JSON array of strings.
func (w *JSON) Strs(list []string) {
	w.Raw("[")
	for i, s := range list {
		if i > 0 {
			w.Raw(",")
		}
		w.Str(s)
	}
	w.Raw("]")
}

// Steps appends an incentive's steps as a JSON array.
func Steps(w *JSON, steps []evaluator.Step) {
	w.Raw("[")
	for j, st := range steps {
		if j > 0 {
			w.Raw(",")
		}
		Step(w, st)
	}
	w.Raw("]")
}

func Step(w *JSON, st evaluator.Step) {
	w.Raw("{")
	w.Key("step")
	w.Str(st.Step)
	opt := func(k, v string) {
		if v != "" {
			w.Key(k)
			w.Str(v)
		}
	}
	opt("name", st.Name)
	opt("expr", st.Expr)
	if st.Expr != "" {
		w.Key("inputs")
		w.Raw("{")
		for _, in := range st.Inputs {
			w.Key(in.Name)
			w.Value(in.Value)
		}
		w.Raw("}")
	}
	opt("multiplier", st.Multiplier)
	opt("limit", st.Limit)
	opt("mode", st.Mode)
	opt("note", st.Note())
	opt("result", st.Result)
	w.Raw("}")
}
