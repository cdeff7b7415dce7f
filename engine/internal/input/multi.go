package input

import (
	"io"
)

// Part is one file of an input read as several (SPEC §5: -i repeated or
// globbed): its name for messages, its format and how to open it.
type Part struct {
	Name, Format string
	Open         func() (io.ReadCloser, error)
	Need         *Columns // a CSV header's required columns; nil: a snapshot file's
}

// MultiReader reads the parts of an input one after the other as one
// input: each part is opened when the one before it ends, read with its
// own format (and, for CSV, its own header), and each record carries its
// part's index, which a Converter given the parts' names (SetFiles) turns
// into the file named in messages. Close closes the part being read.
type MultiReader struct {
	parts []Part
	i     int
	cur   Reader
	rc    io.ReadCloser
}

// NewMultiReader returns a reader of the parts, in order.
func NewMultiReader(parts []Part) *MultiReader { return &MultiReader{parts: parts} }

// Next returns the next record of the current part, moving on to the next
// part at the end of one. A part that cannot be opened or whose start
// cannot be read (no header, not text) ends the input with its error.
func (m *MultiReader) Next() (*Record, error) {
	for {
		if m.cur == nil {
			if m.i >= len(m.parts) {
				return nil, io.EOF
			}
			p := m.parts[m.i]
			rc, err := p.Open()
			if err != nil {
				m.i = len(m.parts)
				return nil, err
			}
			need := snapshotColumns
			if p.Need != nil {
				need = *p.Need
			}
			r, err := NewRowReader(rc, p.Name, p.Format, need)
			if err != nil {
				rc.Close()
				m.i = len(m.parts)
				return nil, err
			}
			m.cur, m.rc = r, rc
		}
		rec, err := m.cur.Next()
		if err == io.EOF {
			m.Close()
			m.i++
			continue
		}
		if rec != nil {
			rec.part = int32(m.i)
		}
		return rec, err
	}
}

// Close closes the part being read, if any.
func (m *MultiReader) Close() error {
	var err error
	if m.rc != nil {
		err = m.rc.Close()
	}
	m.cur, m.rc = nil, nil
	return err
}
