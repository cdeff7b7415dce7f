package engine

// Line ids and CSV cells of payroll files.

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rubric-dev/rubric/engine/internal/fsutil"
)

// lineID is the stable id of one subject's incentive in one period.
func lineID(policy, subject, period, incentive string) string {
	return string(appendLineID(nil, policy, subject, period, incentive))
}

// appendCSVCell appends a CSV field that a spreadsheet will not run as a
// formula: text beginning with =, +, @, a tab or a carriage return, or
// with - not followed by a digit, is prefixed with ' (the OWASP rule);
// numbers, negative ones included, are written as they are.
func appendCSVCell(buf []byte, f string) []byte {
	if formulaLike(f) {
		return appendCSVField(buf, "'"+f)
	}
	return appendCSVField(buf, f)
}

func formulaLike(f string) bool {
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

// appendLineID appends the line id: shortHash("rubric-line", parts...),
// without allocating.
func appendLineID(buf []byte, policy, subject, period, incentive string) []byte {
	var tmp [512]byte
	b := append(tmp[:0], "rubric-line"...)
	for _, p := range [...]string{policy, subject, period, incentive} {
		b = append(b, 0)
		b = append(b, p...)
	}
	sum := sha256.Sum256(b)
	return hex.AppendEncode(buf, sum[:16])
}

// appendCSVField appends one CSV field, quoted when it must be (RFC 4180,
// as encoding/csv writes it).
func appendCSVField(buf []byte, f string) []byte {
	if !fieldNeedsQuotes(f) {
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

// fieldNeedsQuotes is encoding/csv's rule.
func fieldNeedsQuotes(f string) bool {
	if f == "" {
		return false
	}
	if f == `\.` || strings.ContainsAny(f, ",\"\r\n") {
		return true
	}
	r, _ := utf8.DecodeRuneInString(f)
	return unicode.IsSpace(r)
}

// shortHash is 128 bits of SHA-256 over parts joined with NUL, in hex.
func shortHash(parts ...string) string {
	h := sha256.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func spool(in Input) (string, func(), error) {
	src := in.Stdin
	if src == nil {
		src = os.Stdin
	}
	f, err := fsutil.CreateTemp("", "rubric-stdin-*")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { f.Close(); fsutil.Remove(f.Name()) }
	if _, err := io.Copy(f, src); err != nil {
		cleanup()
		return "", nil, err
	}
	return f.Name(), cleanup, nil
}

// SafeCell returns a CSV text cell that a spreadsheet will not run as a
// formula (see appendCSVCell).
func SafeCell(s string) string {
	if formulaLike(s) {
		return "'" + s
	}
	return s
}
