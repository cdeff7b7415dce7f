// Package engine is rubric's library facade: load and compile a policy,
// read snapshots (CSV, JSON, NDJSON) with strict checks, evaluate them on
// every core in input order, and write outcomes (ndjson, json, csv, table)
// or a manager's report.
//
// Start with Load, then Policy.Eval or Policy.Explain. Diagnostics are
// rendered by WriteDiagnostics in text, json or github form.
package engine
