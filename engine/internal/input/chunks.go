package input

import (
	"bufio"
	"bytes"
	"io"
)

// chunkSize is about how many bytes of rows a chunk holds: a few hundred
// rows of an export, as many as a batch of the stream.
const chunkSize = 16 << 10

// CSVChunks reads the rows of a CSV file in chunks of whole lines, for a
// pass that splits and converts them on every core (the team statistics'
// first pass) instead of on the goroutine that reads. Only plain rows can
// be split apart from the file (see RowSplitter.Rows): a pass that meets
// another kind reads the file with a Reader instead.
type CSVChunks struct {
	br      *bufio.Reader
	header  []string
	nfields int
	line    int // the line the next chunk starts at
	name    string
}

// NewCSVChunks reads the header of r, a CSV file named name, exactly as
// NewReader does (with its errors).
func NewCSVChunks(r io.Reader, name string) (*CSVChunks, error) {
	r, err := prepare(r, name)
	if err != nil {
		return nil, err
	}
	cr, err := newCSVReader(r, name, snapshotColumns)
	if err != nil {
		return nil, err
	}
	// encoding/csv read the header line by line from the bufio.Reader
	// that csvRows holds: the rows start at its next byte.
	return &CSVChunks{br: cr.r.br, header: cr.header, nfields: cr.r.nfields, line: cr.r.crLines + 1, name: name}, nil
}

// Next returns the next chunk, about chunkSize bytes of whole lines,
// appended to buf[:0], and the line it starts at; io.EOF after the last,
// or a *Error for a file that cannot be read further (as a Reader's). The
// last line of the file is whole without its newline.
func (c *CSVChunks) Next(buf []byte) (chunk []byte, line int, err error) {
	buf, line = buf[:0], c.line
	for partial := false; (len(buf) < chunkSize || partial) && err == nil; {
		b, _ := c.br.Peek(min(c.br.Buffered(), chunkSize-len(buf)))
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 && !partial {
			buf = append(buf, b[:i+1]...)
			c.br.Discard(i + 1)
			continue
		}
		// No whole line is buffered within the chunk's size: read to the
		// end of the next one, however long.
		var part []byte
		part, err = c.br.ReadSlice('\n')
		buf = append(buf, part...)
		if partial = err == bufio.ErrBufferFull; partial {
			err = nil
		}
	}
	switch {
	case err == io.EOF && len(buf) > 0:
		err = nil // the next call says it
	case err != nil && err != io.EOF:
		err = csvError(c.name, err)
	}
	c.line += bytes.Count(buf, []byte{'\n'})
	return buf, line, err
}

// RowSplitter splits chunks into records: one for each goroutine.
type RowSplitter struct {
	header []string
	rows   csvRows
	limit  int // split only the first limit fields of a row (Limit); 0: all
}

// Header is the file's header: the names of its rows' fields.
func (c *CSVChunks) Header() []string { return c.header }

// Limit makes s split only the first n fields of each row (n > 0), for a
// pass that reads no further: a row is then good when it has at least n
// fields, however many the header names.
func (s *RowSplitter) Limit(n int) {
	if n > 0 && n < len(s.header) {
		s.limit, s.rows.nfields = n, n
	}
}

// Splitter returns a RowSplitter for c's chunks.
func (c *CSVChunks) Splitter() *RowSplitter {
	return &RowSplitter{header: c.header, rows: csvRows{nfields: c.nfields}}
}

// Rows calls fn with each row of chunk, which starts at line (as Next
// returned them): a Record exactly as a Reader of the file reads it, with
// ok false where the Reader returns an error (a row whose field count is
// not the header's), or with a Limit, its first fields. rec is reused. Rows returns false, having stopped, at
// the first line that is not plain, one holding a quote or a carriage
// return but that of a "\r\n" ending: such a line may be a part of a
// quoted value started on another, which only a Reader tells.
func (s *RowSplitter) Rows(chunk []byte, line int, rec *Record, fn func(rec *Record, ok bool)) bool {
	s.rows.crLines, s.rows.split = line-1, 0
	for len(chunk) > 0 {
		l := chunk
		if i := bytes.IndexByte(chunk, '\n'); i >= 0 {
			l, chunk = chunk[:i], chunk[i+1:]
		} else {
			chunk = nil
		}
		if k := len(l); k > 0 && l[k-1] == '\r' {
			l = l[:k-1]
		}
		if bytes.IndexByte(l, '"') >= 0 || bytes.IndexByte(l, '\r') >= 0 {
			return false
		}
		s.rows.split++
		if len(l) == 0 {
			continue // encoding/csv skips empty lines
		}
		if s.limit > 0 {
			l = fieldsPrefix(l, s.limit)
		}
		row, _, err := s.rows.splitLine(l) // l holds no quote: always split
		s.rows.fill(rec, s.header, row)
		fn(rec, err == nil)
	}
	return true
}

// fieldsPrefix is the first n fields of a plain line (all of it when it
// has no more).
func fieldsPrefix(line []byte, n int) []byte {
	end := 0
	for range n {
		i := bytes.IndexByte(line[end:], ',')
		if i < 0 {
			return line
		}
		end += i + 1
	}
	return line[:end-1]
}
