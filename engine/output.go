package engine

import "github.com/rubric-dev/rubric/engine/internal/encode"

// Output formats of eval.
const (
	OutNDJSON = "ndjson"
	OutJSON   = "json"
	OutCSV    = "csv"
	OutTable  = "table"
)

// TableLegend explains the marks of the table's TARGETS column.
const TableLegend = encode.TableLegend
