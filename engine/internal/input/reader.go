package input

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rubric-dev/rubric/engine/internal/textenc"
)

// Input formats.
const (
	FormatCSV    = "csv"
	FormatJSON   = "json"
	FormatNDJSON = "ndjson"
)

// Format picks a reader by file extension; "-" and unknown extensions
// give "" (the caller must say).
func Format(name string) string {
	name = strings.TrimSuffix(strings.ToLower(name), ".gz") // read transparently
	switch filepath.Ext(name) {
	case ".csv":
		return FormatCSV
	case ".json":
		return FormatJSON
	case ".ndjson", ".jsonl":
		return FormatNDJSON
	}
	return ""
}

// FieldKind is the kind of a raw input value.
type FieldKind uint8

const (
	FieldNull   FieldKind = iota // empty CSV cell or JSON null
	FieldText                    // a CSV cell: its meaning depends on the column
	FieldString                  // a JSON string
	FieldNumber                  // a JSON number
	FieldBool                    // a JSON bool
	FieldOther                   // a JSON array or object
)

// Field is one raw value of a Record; its name is the Record's. It is
// kept to 32 bytes and one pointer: a reader writes millions of them.
type Field struct {
	text string // CSV text, JSON string, JSON number text
	line int
	col  int32 // clamped: a column past 2^31 is told as 2^31-1
	kind FieldKind
	b    bool
}

// column is f's column.
func (f *Field) column() int { return int(f.col) }

// col32 is a column as a Field keeps it.
func col32(col int) int32 { return int32(min(col, math.MaxInt32)) }

// Record is one raw snapshot as read, before it is checked.
type Record struct {
	line   int
	part   int32    // the file's index in an input of several (MultiReader)
	names  []string // of the fields, in order (a CSV file's header); never changed once made
	fields []Field
	raw    string // the Record as written, for the rejects file (JSON)
	csv    bool   // or its fields' texts, as a CSV line
}

// nameOf is the name of f, a field of r.
func (r *Record) nameOf(f *Field) string {
	for i := range r.fields {
		if &r.fields[i] == f {
			return r.names[i]
		}
	}
	return ""
}

// CopyTo makes dst a copy of r that stays valid after the reader moves on
// (a reader reuses its Record; the texts themselves are never reused).
func (r *Record) CopyTo(dst *Record) {
	*dst = Record{line: r.line, part: r.part, names: r.names, fields: append(dst.fields[:0], r.fields...), raw: r.raw, csv: r.csv}
}

// rawText is the Record as written, for the rejects file.
func (r *Record) rawText() string {
	if r.csv {
		texts := make([]string, len(r.fields))
		for i := range r.fields {
			texts[i] = r.fields[i].text
		}
		return strings.TrimRight(string(textenc.CSVLine(texts)), "\n")
	}
	return r.raw
}

// NewRecord is a record made of fields given as data (policy tests'
// values), with their names, first written at line.
func NewRecord(line int, names []string, fields []Field) *Record {
	return &Record{line: line, names: names, fields: fields}
}

// NewField is one value given as data, written at line:col.
func NewField(kind FieldKind, text string, b bool, line, col int) Field {
	return Field{kind: kind, text: text, b: b, line: line, col: col32(col)}
}

// Raw is the record as written, for the rejects file; "" when there is
// none (the error is about a value, not a row that could not be read).
func (e *Error) Raw() string { return e.raw }

// IsError reports whether err is bad input (an *Error).
func IsError(err error) bool {
	var ie *Error
	return errors.As(err, &ie)
}

// IsRowError reports whether err is one bad row a reader read past (it
// has the row's text, for a rejects file): reading goes on.
func IsRowError(err error) bool {
	var ie *Error
	return errors.As(err, &ie) && ie.raw != ""
}

// Reader reads raw records.
type Reader interface {
	// Next returns the next Record, io.EOF at the end, or a *Error for
	// input that cannot be read further. The Record is valid until the
	// next call: a reader may reuse it.
	Next() (*Record, error)
}

// NextBatch reads records into entries, up to their capacity, for a
// parallel pass (pipeline.Ordered's fill): rec is where an entry's record
// goes, and keep takes the error reading it (nil for a good record) and
// reports whether the entry stays in the batch. Reading stops at the end
// of the input and, once keep has seen it, at an error that is not one
// bad row. more reports whether records may follow.
func NextBatch[E any](rr Reader, entries []E, rec func(*E) *Record, keep func(e *E, err error) bool) (batch []E, more bool) {
	for n := 0; n < cap(entries); {
		entries = entries[:n+1]
		e := &entries[n]
		err := NextInto(rr, rec(e))
		if err == io.EOF {
			return entries[:n], false
		}
		if keep(e, err) {
			n++
		}
		if err != nil && !IsRowError(err) {
			return entries[:n], false // reading cannot go on
		}
	}
	return entries, true
}

// NextInto reads the next record into dst, which stays the caller's: as
// rr.Next followed by a copy, without the copy when rr can fill dst
// itself (CSV).
func NextInto(rr Reader, dst *Record) error {
	if c, ok := rr.(*csvReader); ok {
		return c.nextInto(dst)
	}
	rec, err := rr.Next()
	if err != nil {
		return err
	}
	rec.CopyTo(dst)
	return nil
}

// Error is bad input at a place in a file.
type Error struct {
	File    string
	Line    int
	Column  int
	Subject string
	Period  string
	Team    string
	Msg     string
	raw     string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	switch {
	case e.Subject != "" && e.Period != "":
		fmt.Fprintf(&b, "%s %s: ", e.Subject, e.Period)
	case e.Subject != "":
		fmt.Fprintf(&b, "%s: ", e.Subject)
	}
	b.WriteString(e.Msg)
	return b.String()
}

func NewReader(r io.Reader, name, format string) (Reader, error) {
	return NewRowReader(r, name, format, snapshotColumns)
}

// NewRowReader is NewReader for rows other than snapshots (a rollup's
// interaction rows), whose CSV header must hold the columns need names.
func NewRowReader(r io.Reader, name, format string, need Columns) (Reader, error) {
	r, err := prepare(r, name)
	if err != nil {
		return nil, err
	}
	switch format {
	case FormatCSV:
		return newCSVReader(r, name, need)
	case FormatJSON:
		return newJSONReader(r, name)
	case FormatNDJSON:
		return &ndjsonReader{name: name, br: bufio.NewReaderSize(r, bufSize(r))}, nil
	}
	return nil, fmt.Errorf("%s: unknown input format %q (csv, json or ndjson)", name, format)
}

// prepare reads gzip transparently (by its magic bytes, whatever the
// name), drops a leading UTF-8 byte order mark in every format, and refuses
// binary content before a parser tries to make sense of it.
func prepare(r io.Reader, name string) (io.Reader, error) {
	br := bufio.NewReaderSize(r, bufSize(r))
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &Error{File: name, Line: 1, Msg: "the file looks gzip-compressed but cannot be read: " + err.Error()}
		}
		br = bufio.NewReaderSize(zr, 1<<16)
	}
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\ufeff")) {
		br.Discard(3)
	}
	head, _ := br.Peek(4096)
	if i := bytes.IndexByte(head, 0); i >= 0 {
		line := 1 + bytes.Count(head[:i], []byte("\n"))
		return nil, &Error{File: name, Line: line, Msg: "the file is binary (it holds NUL bytes), not CSV, JSON or NDJSON text; a compressed export must be gzip (.gz)"}
	}
	if !utf8.Valid(trimPartialRune(head)) {
		return nil, &Error{File: name, Line: 1, Msg: "the file is not UTF-8 text; export it as UTF-8 CSV, JSON or NDJSON"}
	}
	return br, nil
}

// bufSize is the read buffer for r: 64 KiB, or less for an input known to
// be small (a service request of one snapshot should not allocate 64 KiB
// twice).
func bufSize(r io.Reader) int {
	if l, ok := r.(interface{ Len() int }); ok && l.Len() < 1<<16 {
		return max(l.Len()+64, 512)
	}
	return 1 << 16
}

// trimPartialRune drops a rune cut at the end of a peeked buffer.
func trimPartialRune(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && i < len(b); i++ {
		if utf8.FullRune(b[len(b)-i-1:]) {
			return b[:len(b)-i]
		}
	}
	return b
}

// ---- CSV ----

type csvReader struct {
	name   string
	r      *csv.Reader
	header []string
	rec    Record // reused row by row
}

// Columns are the columns a reader requires in a CSV file's header, and
// why (for the message when one is missing).
type Columns struct {
	Names []string
	Why   string
}

// snapshotColumns are a snapshot file's.
var snapshotColumns = Columns{[]string{"subject", "period"}, "every snapshot needs a subject and a period"}

func newCSVReader(r io.Reader, name string, need Columns) (*csvReader, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &Error{File: name, Line: 1, Msg: "the file is empty: a CSV input needs a header row"}
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	h := make([]string, len(header))
	first := map[string]int{}
	for i, s := range header {
		h[i] = strings.TrimSpace(s)
		if j, dup := first[h[i]]; dup {
			_, col := cr.FieldPos(i)
			return nil, &Error{File: name, Line: 1, Column: col, Msg: fmt.Sprintf("the header names column %q twice (columns %d and %d); which one holds the value?", short(h[i]), j+1, i+1)}
		}
		first[h[i]] = i
	}
	for _, n := range need.Names {
		if _, ok := first[n]; !ok {
			return nil, &Error{File: name, Line: 1, Column: 1, Msg: fmt.Sprintf("the header has no %q column; %s (the header is: %s)", n, need.Why, short(strings.Join(h, ",")))}
		}
	}
	return &csvReader{name: name, r: cr, header: h}, nil
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{File: name, Line: pe.Line, Column: pe.Column, Msg: pe.Err.Error()}
	}
	return &Error{File: name, Msg: err.Error()}
}

func (c *csvReader) Next() (*Record, error) {
	if err := c.nextInto(&c.rec); err != nil {
		return nil, err
	}
	return &c.rec, nil
}

// nextInto reads the next row into rec, reusing its fields.
func (c *csvReader) nextInto(rec *Record) error {
	row, err := c.r.Read()
	if err == io.EOF {
		return io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
			line, _ := c.r.FieldPos(0)
			return &Error{File: c.name, Line: line, Column: 1, Msg: fmt.Sprintf("the row has %d fields; the header has %d", len(row), len(c.header)), raw: strings.TrimRight(string(textenc.CSVLine(row)), "\n")}
		}
		if errors.As(err, &pe) && pe.StartLine == pe.Line && (errors.Is(pe.Err, csv.ErrBareQuote) || errors.Is(pe.Err, csv.ErrQuote)) {
			// A stray quote within one line: the reader goes on at the
			// next line, so the row can be rejected alone.
			return &Error{File: c.name, Line: pe.Line, Column: pe.Column, Msg: pe.Err.Error() + " (a \" inside a value must be doubled, or the value quoted)",
				raw: fmt.Sprintf("(line %d could not be read as CSV)", pe.Line)}
		}
		if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrQuote) {
			return &Error{File: c.name, Line: pe.StartLine, Column: 1,
				Msg: fmt.Sprintf("a quoted value opened on line %d is not closed before line %d; the rest of the file cannot be read reliably, so no row can be skipped", pe.StartLine, pe.Line)}
		}
		return csvError(c.name, err)
	}
	fillCSV(c.r, rec, c.header, row)
	return nil
}

// fillCSV makes rec the CSV record row, which cr read last, of a file
// whose header is header. The csv reader reuses row: the fields keep its
// strings (which it does not reuse), and the rejects file gets them back
// from there.
func fillCSV(cr *csv.Reader, rec *Record, header, row []string) {
	rec.names, rec.fields, rec.raw, rec.csv = header, slices.Grow(rec.fields[:0], len(row))[:len(row)], "", true
	for i, s := range row {
		line, col := cr.FieldPos(i)
		if i == 0 {
			rec.line = line
		}
		// Field by field: a Field made whole and then copied is read back
		// in halves the CPU cannot forward from the stores that made it.
		f := &rec.fields[i]
		f.text, f.line, f.col, f.kind, f.b = s, line, col32(col), FieldText, false
		if s == "" {
			f.kind = FieldNull
		}
	}
}

// ---- JSON and NDJSON ----

// lineIndex turns byte offsets of a stream into lines and columns. Offsets
// must be asked in increasing order; it forgets what lies behind, so its
// memory does not grow with the input.
type lineIndex struct {
	r        io.Reader
	read     int64   // bytes passed through
	newlines []int64 // offsets of newlines not yet behind the cursor
	line     int     // line of the cursor (1-based)
	lineAt   int64   // offset where the cursor's line starts
}

func (l *lineIndex) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i := 0; i < n; i++ {
		if p[i] == '\n' {
			l.newlines = append(l.newlines, l.read+int64(i))
		}
	}
	l.read += int64(n)
	return n, err
}

// pos returns the 1-based line and column (in bytes) of offset off.
func (l *lineIndex) pos(off int64) (int, int) {
	for len(l.newlines) > 0 && l.newlines[0] < off {
		l.line++
		l.lineAt = l.newlines[0] + 1
		l.newlines = l.newlines[1:]
	}
	if len(l.newlines) == 0 {
		l.newlines = nil
	}
	return l.line, int(off-l.lineAt) + 1
}

type jsonReader struct {
	name  string
	idx   *lineIndex
	dec   *json.Decoder
	done  bool
	count int
}

func newJSONReader(r io.Reader, name string) (*jsonReader, error) {
	idx := &lineIndex{r: r, line: 1}
	dec := json.NewDecoder(idx)
	dec.UseNumber()
	j := &jsonReader{name: name, idx: idx, dec: dec}
	tok, err := dec.Token()
	if err == io.EOF {
		return nil, &Error{File: name, Line: 1, Column: 1, Msg: "the file is empty: a JSON input is an array of objects"}
	}
	if err != nil {
		return nil, j.syntaxError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		line, col := idx.pos(dec.InputOffset() - 1)
		return nil, &Error{File: name, Line: line, Column: col, Msg: "a JSON input must be an array of objects, one per snapshot (or use NDJSON)"}
	}
	return j, nil
}

// jsonErrorOffset returns the stream offset of a JSON syntax error.
// Decoder.Token reports absolute offsets; Decoder.Decode reports them
// relative to where it began scanning (before, the input offset before the
// call), counting the offending byte.
func jsonErrorOffset(dec *json.Decoder, err error, before int64, viaDecode bool) int64 {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return dec.InputOffset()
	}
	if viaDecode {
		return before + se.Offset - 1
	}
	return se.Offset
}

func (j *jsonReader) syntaxError(err error) error {
	return j.syntaxErrorAt(err, 0, false)
}

func (j *jsonReader) syntaxErrorAt(err error, before int64, viaDecode bool) error {
	off := jsonErrorOffset(j.dec, err, before, viaDecode)
	if off < 0 {
		off = 0
	}
	line, col := j.idx.pos(off)
	msg := err.Error()
	if err == io.ErrUnexpectedEOF {
		msg = "unexpected end of file: the JSON array is not closed"
	}
	return &Error{File: j.name, Line: line, Column: col, Msg: "invalid JSON: " + msg}
}

func (j *jsonReader) Next() (*Record, error) {
	if j.done {
		return nil, io.EOF
	}
	if !j.dec.More() {
		if _, err := j.dec.Token(); err != nil {
			return nil, j.syntaxError(err)
		}
		j.done = true
		if _, err := j.dec.Token(); err != io.EOF {
			line, col := j.idx.pos(j.dec.InputOffset())
			return nil, &Error{File: j.name, Line: line, Column: col, Msg: "unexpected data after the JSON array"}
		}
		return nil, io.EOF
	}
	var raw json.RawMessage
	before := j.dec.InputOffset()
	if err := j.dec.Decode(&raw); err != nil {
		return nil, j.syntaxErrorAt(err, before, true)
	}
	j.count++
	start := j.dec.InputOffset() - int64(len(raw))
	rec, err := parseObject(raw, func(off int64) (int, int) { return j.idx.pos(start + off) })
	if err != nil {
		err.File = j.name
		return nil, err
	}
	rec.raw = string(raw)
	return rec, nil
}

type ndjsonReader struct {
	name string
	br   *bufio.Reader
	line int
}

func (n *ndjsonReader) Next() (*Record, error) {
	for {
		b, err := n.br.ReadBytes('\n')
		if len(b) == 0 && err == io.EOF {
			return nil, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, &Error{File: n.name, Line: n.line + 1, Msg: err.Error()}
		}
		n.line++
		b = bytes.TrimRight(b, "\r\n")
		if len(bytes.TrimSpace(b)) == 0 {
			if err == io.EOF {
				return nil, io.EOF
			}
			continue
		}
		line := n.line
		rec, perr := parseObject(b, func(off int64) (int, int) { return line, int(off) + 1 })
		if perr != nil {
			perr.File = n.name
			perr.raw = string(b)
			return nil, perr
		}
		rec.raw = string(b)
		return rec, nil
	}
}

// parseObject reads one JSON object into fields, with the position of each
// value. It returns an *Error for anything that is not an object of
// scalar values.
func parseObject(raw []byte, pos func(off int64) (int, int)) (*Record, *Error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	fail := func(off int64, msg string) (*Record, *Error) {
		line, col := pos(off)
		return nil, &Error{Line: line, Column: col, Msg: msg}
	}
	tok, err := dec.Token()
	if err != nil {
		return syntaxFail(dec, err, 0, false, fail)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fail(0, "each snapshot must be a JSON object")
	}
	line, _ := pos(0)
	rec := &Record{line: line}
	seen := map[string]bool{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return syntaxFail(dec, err, 0, false, fail)
		}
		key, _ := kt.(string)
		keyOff := dec.InputOffset() - int64(len(key)) - 2
		var v json.RawMessage
		before := dec.InputOffset()
		if err := dec.Decode(&v); err != nil {
			return syntaxFail(dec, err, before, true, fail)
		}
		off := dec.InputOffset() - int64(len(v))
		if seen[key] {
			return fail(keyOff, fmt.Sprintf("the key %q appears twice", short(key)))
		}
		seen[key] = true
		l, c := pos(off)
		f := Field{line: l, col: col32(c)}
		switch {
		case string(v) == "null":
			f.kind = FieldNull
		case string(v) == "true" || string(v) == "false":
			f.kind, f.b = FieldBool, string(v) == "true"
		case v[0] == '"':
			f.kind = FieldString
			if err := json.Unmarshal(v, &f.text); err != nil {
				return fail(off, "invalid JSON string")
			}
			if replaced(v, f.text) {
				// encoding/json turns a lone surrogate (\ud800) into U+FFFD:
				// a subject would be paid under another name.
				return fail(off, "invalid JSON string: a \\u escape that is half of a surrogate pair is not a character")
			}
		case v[0] == '{' || v[0] == '[':
			f.kind = FieldOther
		default:
			f.kind, f.text = FieldNumber, string(v)
		}
		rec.fields = append(rec.fields, f)
		rec.names = append(rec.names, key)
	}
	if _, err := dec.Token(); err != nil {
		return syntaxFail(dec, err, 0, false, fail)
	}
	end := dec.InputOffset()
	if rest := raw[end:]; len(bytes.TrimSpace(rest)) > 0 {
		skip := len(rest) - len(bytes.TrimLeft(rest, " \t\r\n"))
		return fail(end+int64(skip), "unexpected text after the object: an NDJSON line holds exactly one object")
	}
	return rec, nil
}

// replaced reports whether decoding the JSON string raw into text made a
// U+FFFD that raw does not hold, as a character or as \ufffd.
func replaced(raw []byte, text string) bool {
	n := strings.Count(text, "\uFFFD")
	if n == 0 {
		return false
	}
	lower := bytes.ToLower(raw)
	return n > bytes.Count(raw, []byte("\uFFFD"))+bytes.Count(lower, []byte(`\ufffd`))
}

func syntaxFail(dec *json.Decoder, err error, before int64, viaDecode bool, fail func(int64, string) (*Record, *Error)) (*Record, *Error) {
	off := jsonErrorOffset(dec, err, before, viaDecode)
	if off < 0 {
		off = 0
	}
	msg := err.Error()
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		msg = "unexpected end of the object"
	}
	return fail(off, "invalid JSON: "+msg)
}

// Sniff tells the format of standard input from its first byte (SPEC §5):
// '[' is JSON, '{' NDJSON, anything else CSV (a byte order mark and white
// space before it are skipped). It returns a reader of the whole input.
func Sniff(stdin io.Reader) (io.Reader, string, error) {
	br := bufio.NewReaderSize(stdin, 64<<10)
	for i := 1; ; i++ {
		b, err := br.Peek(i)
		if len(b) < i {
			if err != nil && err != io.EOF {
				return br, FormatCSV, err
			}
			return br, FormatCSV, nil // empty, or only white space: CSV's own message
		}
		if i <= 3 && bytes.HasPrefix([]byte("\xef\xbb\xbf"), b) {
			continue
		}
		switch b[i-1] {
		case ' ', '\t', '\r', '\n':
			if i >= 64<<10 {
				return br, FormatCSV, nil
			}
			continue
		case '[':
			return br, FormatJSON, nil
		case '{':
			return br, FormatNDJSON, nil
		case 0x1f:
			return br, FormatCSV, errors.New("standard input is gzip-compressed: say --input-format csv, json or ndjson")
		}
		return br, FormatCSV, nil
	}
}
