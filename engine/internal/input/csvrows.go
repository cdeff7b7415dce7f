package input

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"io"
	"math/bits"
	"strings"
)

// csvRows reads CSV records exactly as an encoding/csv Reader with its
// defaults does (a comma between fields, no comments, strict quotes, as
// many fields in every record as in the first), with the same records,
// line and column numbers and errors. A row on one line holding no
// carriage return but the one of a "\r\n" ending, whose quoted fields
// (if any) close on that line, the usual row of an export, is split here;
// any other row, and the header, is read by encoding/csv. Both read from one
// bufio.Reader, which encoding/csv uses as it is (it wraps only readers of
// other kinds) and reads from only up to the end of the record it returns,
// so each can pick up where the other left off. encoding/csv counts only
// the lines it read itself: csvRows adds the lines it split.
type csvRows struct {
	br      *bufio.Reader
	cr      *csv.Reader
	nfields int // fields of the first record; 0 until it is read
	split   int // lines read here, not by cr
	crLines int // lines read by cr

	record []string
	// Where the fields of the record last returned start: its line and
	// the byte columns (1-based) of a record split here (line > 0), or
	// cr's when cr read it (line == 0).
	line int
	cols []int
}

func newCSVRows(r io.Reader) *csvRows {
	br, ok := r.(*bufio.Reader)
	if !ok || bufio.NewReader(br) != br {
		br = bufio.NewReader(r)
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	return &csvRows{br: br, cr: cr}
}

// Read returns the next record, as csv.Reader.Read with ReuseRecord.
func (c *csvRows) Read() ([]string, error) {
	for c.nfields > 0 {
		line, n, ok := c.plainLine()
		if !ok {
			break
		}
		c.split++
		if len(line) == 0 {
			c.br.Discard(n)
			continue // encoding/csv skips empty lines
		}
		rec, ok, err := c.splitLine(line)
		if !ok {
			c.split--
			break // a quote that is encoding/csv's to read
		}
		c.br.Discard(n)
		return rec, err
	}
	c.line = 0
	rec, err := c.cr.Read()
	var pe *csv.ParseError
	switch {
	case err == nil || errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount):
		// The record ends where its last field does: a quoted field
		// holds one newline for every line it goes on to.
		last := len(rec) - 1
		line, _ := c.cr.FieldPos(last)
		c.crLines = line + strings.Count(rec[last], "\n")
	case pe != nil:
		c.crLines = pe.Line // the line the error was found on, read whole
	}
	if pe != nil {
		pe.StartLine += c.split
		pe.Line += c.split
	}
	if c.nfields == 0 && (err == nil || pe != nil) {
		c.nfields = len(rec)
	}
	c.record = rec
	return rec, err
}

// plainLine returns the next line without its line ending ("\n", or
// "\r\n", which encoding/csv reads as "\n") and the bytes it takes, when
// it is whole in the buffer (reading more, as encoding/csv would, until a
// newline comes) and holds no other carriage return.
func (c *csvRows) plainLine() (line []byte, n int, ok bool) {
	seen := 0
	for {
		buf, _ := c.br.Peek(c.br.Buffered())
		if i := bytes.IndexByte(buf[seen:], '\n'); i >= 0 {
			line, n = buf[:seen+i], seen+i+1
			if k := len(line); k > 0 && line[k-1] == '\r' {
				line = line[:k-1]
			}
			return line, n, bytes.IndexByte(line, '\r') < 0
		}
		if len(buf) == c.br.Size() || bytes.IndexByte(buf, '"') >= 0 {
			return nil, 0, false // a line longer than the buffer, or a quote
		}
		seen = len(buf)
		if _, err := c.br.Peek(seen + 1); err != nil {
			return nil, 0, false // the last line, without a newline
		}
	}
}

const (
	lo7 = 0x7f7f7f7f7f7f7f7f
	hi1 = 0x8080808080808080
)

// splitLine splits a line at its commas, into one string as encoding/csv
// does, and checks the field count. ok is false, and nothing is split,
// when a quote makes the line encoding/csv's to read.
func (c *csvRows) splitLine(line []byte) (rec []string, ok bool, err error) {
	if bytes.IndexByte(line, '"') >= 0 {
		return c.splitQuoted(string(line))
	}
	s := string(line)
	rec, cols := c.record[:0], c.cols[:0]
	start := 0
	comma := func(i int) {
		rec, cols = append(rec, s[start:i]), append(cols, start+1)
		start = i + 1
	}
	// Eight bytes at a time: the commas of a word are the bytes that are
	// zero once it is XORed with eight commas (exact, without a carry
	// from one byte to the next).
	i := 0
	for ; i+8 <= len(line); i += 8 {
		x := binary.LittleEndian.Uint64(line[i:]) ^ 0x2c2c2c2c2c2c2c2c
		for m := ^((x & lo7) + lo7 | x) & hi1; m != 0; m &= m - 1 {
			comma(i + bits.TrailingZeros64(m)/8)
		}
	}
	for ; i < len(line); i++ {
		if line[i] == ',' {
			comma(i)
		}
	}
	rec, cols = append(rec, s[start:]), append(cols, start+1)
	rec, err = c.done(rec, cols)
	return rec, true, err
}

// done keeps a record split here and its field columns, and checks the
// field count.
func (c *csvRows) done(rec []string, cols []int) ([]string, error) {
	c.record, c.cols = rec, cols
	c.line = c.crLines + c.split
	if len(rec) != c.nfields {
		return rec, &csv.ParseError{StartLine: c.line, Line: c.line, Column: 1, Err: csv.ErrFieldCount}
	}
	return rec, nil
}

// splitQuoted splits a line holding quotes: a quoted field starts with a
// quote, doubles the quotes it holds and closes before a comma or the
// line's end; any other quote (a bare one, text after a closing quote, a
// field closing on a later line) is encoding/csv's to read or refuse.
func (c *csvRows) splitQuoted(s string) ([]string, bool, error) {
	rec, cols := c.record[:0], c.cols[:0]
	for i := 0; ; {
		end := 0 // where the field's text ends
		if i < len(s) && s[i] == '"' {
			j, doubled := i+1, false
			for {
				k := strings.IndexByte(s[j:], '"')
				if k < 0 {
					return nil, false, nil // closes on a later line
				}
				if j += k; j+1 < len(s) && s[j+1] == '"' {
					j, doubled = j+2, true
					continue
				}
				break
			}
			if j+1 < len(s) && s[j+1] != ',' {
				return nil, false, nil // text after the closing quote
			}
			f := s[i+1 : j]
			if doubled {
				f = strings.ReplaceAll(f, `""`, `"`)
			}
			rec, cols, end = append(rec, f), append(cols, i+1), j+1
		} else {
			end = len(s)
			if k := strings.IndexByte(s[i:], ','); k >= 0 {
				end = i + k
			}
			if strings.IndexByte(s[i:end], '"') >= 0 {
				return nil, false, nil // a bare quote
			}
			rec, cols = append(rec, s[i:end]), append(cols, i+1)
		}
		if end == len(s) {
			break
		}
		i = end + 1 // past the comma
		if i == len(s) {
			rec, cols = append(rec, ""), append(cols, i+1) // the empty last field
			break
		}
	}
	rec, err := c.done(rec, cols)
	return rec, true, err
}

// FieldPos is csv.Reader.FieldPos for the record last returned.
func (c *csvRows) FieldPos(field int) (line, column int) {
	if c.line > 0 {
		return c.line, c.cols[field]
	}
	line, column = c.cr.FieldPos(field)
	return line + c.split, column
}
