package textenc

import (
	"unicode"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
)

// AppendCell appends a CSV field that a spreadsheet will not run as a
// formula: text beginning with =, +, @, a tab or a carriage return, or
// with - not followed by a digit, is prefixed with ' (the OWASP rule);
// numbers, negative ones included, are written as they are.
func AppendCell(buf []byte, f string) []byte {
	if FormulaLike(f) {
		return AppendField(buf, "'"+f)
	}
	return AppendField(buf, f)
}

// FormulaLike reports whether a spreadsheet would run f as a formula.
func FormulaLike(f string) bool {
	if f == "" {
		return false
	}
	switch f[0] {
	case '=', '+', '@', '\t', '\r':
		return true
	case '-':
		return len(f) == 1 || f[1] < '0' || f[1] > '9'
	}
	return false
}

// AppendField appends one CSV field, quoted when it must be (RFC 4180,
// as encoding/csv writes it).
func AppendField(buf []byte, f string) []byte {
	if !NeedsQuotes(f) {
		return append(buf, f...)
	}
	buf = append(buf, '"')
	for i := 0; i < len(f); i++ {
		if f[i] == '"' {
			buf = append(buf, '"')
		}
		buf = append(buf, f[i])
	}
	return append(buf, '"')
}

// NeedsQuotes is encoding/csv's rule.
func NeedsQuotes(f string) bool {
	if f == "" {
		return false
	}
	if f == `\.` {
		return true
	}
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(f)
	return unicode.IsSpace(r)
}

// SafeCell returns a CSV text cell that a spreadsheet will not run as a
// formula (see AppendCell).
func SafeCell(s string) string {
	if FormulaLike(s) {
		return "'" + s
	}
	return s
}

// EqualDecimal reports whether two decimal texts are the same number
// ("12.50" and "12.5" are); a text that is not a number equals nothing.
func EqualDecimal(a, b string) bool {
	x, _, err1 := apd.NewFromString(a)
	y, _, err2 := apd.NewFromString(b)
	return err1 == nil && err2 == nil && x.Cmp(y) == 0
}

// CSVLine is one CSV record of safe cells (see AppendCell), ending in a
// newline.
func CSVLine(fields []string) []byte { return AppendCSVLine(nil, fields...) }

// AppendCSVLine appends the CSV record of fields (safe cells) to b.
func AppendCSVLine(b []byte, fields ...string) []byte {
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendCell(b, f)
	}
	return append(b, '\n')
}
