package engine

import "github.com/rubric-dev/rubric/engine/internal/input"

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
