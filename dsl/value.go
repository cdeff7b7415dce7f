package dsl

import (
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// Kind is the kind of a constant Value.
type Kind int

// Kinds of values. The zero Kind is invalid.
const (
	KindInvalid Kind = iota
	KindNumber
	KindString
	KindBool
	KindList
	KindMap
)

func (k Kind) String() string {
	switch k {
	case KindNumber:
		return "number"
	case KindString:
		return "string"
	case KindBool:
		return "bool"
	case KindList:
		return "list"
	case KindMap:
		return "map"
	}
	return "invalid"
}

// Value is a constant attribute value with its source range. Numbers keep
// their decimal text as written, so money literals enter decimal arithmetic
// exactly.
type Value struct {
	Kind  Kind
	Range hcl.Range
	Num   string // KindNumber: shortest decimal text of the literal
	Str   string // KindString: the decoded string
	Bool  bool
	List  []*Value
	Map   []*MapEntry

	pos []hcl.Pos // KindString: file position of each rune of Str, plus one past the end
}

// MapEntry is one key = value pair of a map value.
type MapEntry struct {
	Key      string
	KeyRange hcl.Range
	Value    *Value
}

// Pos returns the file position of the rune at offset off (counted in runes)
// of a string value. Offsets past the end give the end of the string.
func (v *Value) Pos(off int) hcl.Pos {
	if len(v.pos) == 0 {
		return v.Range.Start
	}
	if off < 0 {
		off = 0
	}
	if off >= len(v.pos) {
		off = len(v.pos) - 1
	}
	return v.pos[off]
}

// RangeAt returns a range covering n runes starting at rune offset off.
func (v *Value) RangeAt(off, n int) hcl.Range {
	if n < 1 {
		n = 1
	}
	start := v.Pos(off)
	end := v.Pos(off + n)
	if end.Byte <= start.Byte {
		end = start
		end.Column++
		end.Byte++
	}
	return hcl.Range{Filename: v.Range.Filename, Start: start, End: end}
}

// stringPositions maps each rune of decoded, which was written as raw in the
// file starting at start, to its file position. quoted says whether raw uses
// the escapes of a quoted string; jsonEsc whether they are JSON's.
//
// The mapping walks both strings together: an escape sequence in raw yields
// one decoded rune; "$${" and "%%{" yield "${" and "%{"; characters that are
// in raw but not in decoded (a heredoc's stripped indentation) are skipped.
func stringPositions(raw []byte, decoded string, start hcl.Pos, quoted bool) []hcl.Pos {
	out := make([]hcl.Pos, 0, utf8.RuneCountInString(decoded)+1)
	p := start
	i := 0
	advance := func(n int) { // move p over n raw bytes
		for k := 0; k < n && i < len(raw); {
			r, size := utf8.DecodeRune(raw[i:])
			if r == '\n' {
				p.Line++
				p.Column = 1
			} else {
				p.Column++
			}
			p.Byte += size
			i += size
			k += size
		}
	}
	for j := 0; j < len(decoded); {
		dr, dsize := utf8.DecodeRuneInString(decoded[j:])
		if i >= len(raw) {
			out = append(out, p)
			j += dsize
			continue
		}
		if quoted && raw[i] == '\\' && i+1 < len(raw) {
			n := 2
			switch raw[i+1] {
			case 'u':
				n = 6
			case 'U':
				n = 10
			}
			out = append(out, p)
			advance(n)
			j += dsize
			continue
		}
		if (raw[i] == '$' || raw[i] == '%') && i+2 < len(raw) && raw[i+1] == raw[i] && raw[i+2] == '{' &&
			j+1 < len(decoded) && decoded[j] == raw[i] && decoded[j+1] == '{' {
			out = append(out, p)
			advance(2)
			out = append(out, p)
			advance(1)
			j += 2
			continue
		}
		rr, _ := utf8.DecodeRune(raw[i:])
		if rr != dr {
			// Skip raw characters that the decoder dropped (indentation of
			// a flush heredoc, a CR before LF); stop at a match.
			k := i
			for k < len(raw) {
				r2, s2 := utf8.DecodeRune(raw[k:])
				if r2 == dr {
					break
				}
				k += s2
			}
			if k < len(raw) {
				advance(k - i)
			}
		}
		out = append(out, p)
		_, rsize := utf8.DecodeRune(raw[i:])
		advance(rsize)
		j += dsize
	}
	out = append(out, p)
	return out
}
