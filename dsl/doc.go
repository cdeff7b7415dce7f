// Package dsl reads rubric policy files (HCL native syntax, *.hcl, or HCL's
// JSON syntax, *.hcl.json) into a syntax tree that keeps every source range.
//
// It checks only the shape of the files: which blocks and attributes exist,
// that labels are present, that constants are constants and that expression
// strings are plain literals. Meaning (names, types, stages) is checked by
// package rules.
//
// Start with ReadSources and Parse (or ParseDir, which does both): they
// return a partial tree and every diagnostic found, never just the first.
// ReadSources refuses what a policy directory must not hold: files that are
// not regular, symlinks that leave the directory, files over MaxFileBytes;
// Parse refuses brackets nested deeper than MaxNesting before HCL's
// recursive parsers see them.
//
// Expression strings are returned as *Value with Kind String; Value.Pos maps
// a rune offset inside the decoded string back to the file line and column,
// so a diagnostic inside an embedded CEL or expr expression points at the
// offending character in the file.
//
// Beside the diagnostics are their writers, as HCL keeps its writer beside
// hcl.Diagnostic: WriteDiagnostics (text with the line and a caret, JSON,
// GitHub annotations), WriteSARIF, and Format, the canonical layout of a
// policy or test file (rubric fmt).
package dsl
