package input

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/rubric-dev/rubric/engine/internal/fsutil"
	"github.com/rubric-dev/rubric/engine/internal/textenc"
)

// Source opens an input's files, once or (for two passes) twice:
// standard input is spooled to a temporary file when it must be read
// twice.
type Source struct {
	files   []string
	format  string // the formats given: "" picks each file's by its name
	open    func(i int) (io.ReadCloser, error)
	count   func(n int64) // counts the bytes read, for progress; nil: not counted
	cleanup func()
}

// OpenSource checks that files can be opened and returns their source.
// Standard input ("-", read from stdin) is a source of one file; format
// is the format given for all of them ("": each file's by its name), or
// for a single file the one detected. count, when not nil, gets the bytes
// read by a counted reader.
func OpenSource(files []string, stdin io.Reader, given, format string, twice bool, count func(n int64)) (*Source, error) {
	src := &Source{files: files, format: given, count: count, cleanup: func() {}}
	if len(files) == 1 {
		src.format = format
	}
	if len(files) > 1 || files[0] != "-" {
		for _, name := range files {
			if name == "-" {
				return nil, errors.New("standard input (-) can only be the one input")
			}
			if src.format == "" && Format(name) == "" {
				return nil, fmt.Errorf("%s: cannot tell the input format from the name (csv, json or ndjson)", name)
			}
			f, err := os.Open(name)
			if err != nil {
				return nil, err
			}
			f.Close()
		}
		src.open = func(i int) (io.ReadCloser, error) { return os.Open(files[i]) }
		return src, nil
	}
	if stdin == nil {
		stdin = os.Stdin
	}
	if !twice {
		used := false
		src.open = func(int) (io.ReadCloser, error) {
			if used {
				return nil, errors.New("standard input can be read only once")
			}
			used = true
			return io.NopCloser(stdin), nil
		}
		return src, nil
	}
	tmp, err := fsutil.CreateTemp("", "rubric-stdin-*")
	if err != nil {
		return nil, err
	}
	src.cleanup = func() { tmp.Close(); fsutil.Remove(tmp.Name()) }
	if _, err := io.Copy(tmp, stdin); err != nil {
		src.cleanup()
		return nil, err
	}
	src.open = func(int) (io.ReadCloser, error) { return os.Open(tmp.Name()) }
	return src, nil
}

// Files are the source's files, in order.
func (s *Source) Files() []string { return s.files }

// Cleanup removes what the source spooled.
func (s *Source) Cleanup() { s.cleanup() }

// FormatOf is the format of file i.
func (s *Source) FormatOf(i int) string {
	if s.format != "" {
		return s.format
	}
	return Format(s.files[i])
}

// Reader opens the input for reading its records (counting the bytes for
// progress when counted is set): one file's reader, or a MultiReader of
// several. done closes what it opened.
func (s *Source) Reader(counted bool) (Reader, func(), error) { return s.Rows(counted, nil) }

// Rows is Reader for rows whose CSV header needs other columns than a
// snapshot's (need; nil: a snapshot's).
func (s *Source) Rows(counted bool, need *Columns) (Reader, func(), error) {
	open := func(i int) (io.ReadCloser, error) {
		rc, err := s.open(i)
		if err != nil || !counted || s.count == nil {
			return rc, err
		}
		return countingReadCloser{countingReader{r: rc, count: s.count}, rc}, nil
	}
	if len(s.files) == 1 {
		rc, err := open(0)
		if err != nil {
			return nil, nil, err
		}
		var rr Reader
		if need != nil {
			rr, err = NewRowReader(rc, s.files[0], s.FormatOf(0), *need)
		} else {
			rr, err = NewReader(rc, s.files[0], s.FormatOf(0))
		}
		if err != nil {
			rc.Close()
			return nil, nil, err
		}
		return rr, func() { rc.Close() }, nil
	}
	parts := make([]Part, len(s.files))
	for i, name := range s.files {
		parts[i] = Part{Name: name, Format: s.FormatOf(i), Open: func() (io.ReadCloser, error) { return open(i) }, Need: need}
	}
	m := NewMultiReader(parts)
	return m, func() { m.Close() }, nil
}

// countingReader passes the bytes that go through it to count.
type countingReader struct {
	r     io.Reader
	count func(n int64)
}

func (c countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.count(int64(n))
	return n, err
}

// countingReadCloser is a countingReader that closes what it reads.
type countingReadCloser struct {
	countingReader
	c io.Closer
}

func (c countingReadCloser) Close() error { return c.c.Close() }

// Rejects writes rejected rows with their reasons to a CSV file,
// atomically: the file appears only when the run completes.
type Rejects struct {
	path string
	tmp  *os.File
	bw   *bufio.Writer
	done bool
}

// NewRejects starts a rejects file at path.
func NewRejects(path string) (*Rejects, error) {
	tmp, err := fsutil.TempFor(path)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriter(tmp)
	r := &Rejects{path: path, tmp: tmp, bw: bw}
	bw.Write(textenc.CSVLine([]string{"file", "line", "column", "subject", "period", "reason", "record"}))
	return r, nil
}

// Write adds one rejected row with every reason it was rejected for.
func (r *Rejects) Write(errs ...*Error) error {
	first := errs[0]
	reason := ""
	for i, e := range errs {
		if i > 0 {
			reason += "; "
		}
		reason += e.Msg
		if e.Column > 0 {
			reason += fmt.Sprintf(" (line %d, column %d)", e.Line, e.Column)
		}
	}
	col := ""
	if first.Column > 0 {
		col = strconv.Itoa(first.Column)
	}
	_, err := r.bw.Write(textenc.CSVLine([]string{first.File, strconv.Itoa(first.Line), col, first.Subject, first.Period, reason, first.Raw()}))
	return err
}

// Path is where the file goes.
func (r *Rejects) Path() string { return r.path }

// Commit puts the file in place; an error of placing it is the place's.
func (r *Rejects) Commit() (flushErr, placeErr error) {
	if err := r.bw.Flush(); err != nil {
		return err, nil
	}
	err := fsutil.Place(r.tmp, r.path)
	r.tmp.Close()
	r.done = true
	return nil, err
}

// Abort removes the file being written, unless it was committed.
func (r *Rejects) Abort() {
	if !r.done {
		r.tmp.Close()
		fsutil.Remove(r.tmp.Name())
	}
}
