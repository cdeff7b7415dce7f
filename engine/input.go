package engine

import (
	"os"

	"github.com/rubric-dev/rubric/engine/internal/fsutil"
	"github.com/rubric-dev/rubric/engine/internal/input"
)

// Input formats.
const (
	FormatCSV    = input.FormatCSV
	FormatJSON   = input.FormatJSON
	FormatNDJSON = input.FormatNDJSON
)

// InputError is one bad record or value of the input: the file, line and
// column, the snapshot it belongs to when known, and what is wrong.
type InputError = input.Error

// InputFormat picks the input format by file extension (a .gz suffix is
// read transparently); "-" and unknown extensions give "" (the caller
// must say).
func InputFormat(name string) string { return input.Format(name) }

// Records opens in's files for reading raw records in order, several
// files as one input, for a capability that reads rows other than
// snapshots (rollup), whose CSV headers must hold the columns need names.
// files names them by index (Converter.SetFiles); done closes what is
// open.
func (in Input) Records(need input.Columns) (rr input.Reader, files []string, done func(), err error) {
	in, err = in.detected()
	if err != nil {
		return nil, nil, nil, err
	}
	files = in.Files()
	format := in.Format
	if format == "" {
		format = InputFormat(files[0])
	}
	src, err := openInput(in, format, false, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	rr, closeReader, err := src.Rows(false, &need)
	if err != nil {
		src.Cleanup()
		return nil, nil, nil, err
	}
	return rr, files, func() { closeReader(); src.Cleanup() }, nil
}

// Rejects is a rejects file (--skip-invalid): each rejected row with its
// reason, put in place atomically by Commit.
type Rejects struct{ r *input.Rejects }

// NewRejects starts a rejects file at path.
func NewRejects(path string) (*Rejects, error) {
	r, err := input.NewRejects(path)
	if err != nil {
		return nil, err
	}
	return &Rejects{r}, nil
}

// Write adds one rejected row with every reason it was rejected for.
func (r *Rejects) Write(errs ...*InputError) error { return r.r.Write(errs...) }

// Commit puts the file in place.
func (r *Rejects) Commit() error { return commitRejects(r.r) }

// Abort removes the file unless it was committed.
func (r *Rejects) Abort() { r.r.Abort() }

// TempFile creates a temporary file that an interrupted run removes too
// (RemoveTemporaries); RemoveTemp removes it when done.
func TempFile(pattern string) (*os.File, error) { return fsutil.CreateTemp("", pattern) }

// RemoveTemp removes a file made by TempFile.
func RemoveTemp(path string) { fsutil.Remove(path) }
