// Package dsl reads rubric policy files (HCL native syntax, *.hcl, or HCL's
// JSON syntax, *.hcl.json) into a syntax tree that keeps every source range.
//
// It checks only the shape of the files: which blocks and attributes exist,
// that labels are present, that constants are constants and that expression
// strings are plain literals. Meaning (names, types, stages) is checked by
// package rules.
//
// Start with ParseDir or ParseFile. Both return a partial tree and every
// diagnostic found, never just the first.
//
// Expression strings are returned as *Value with Kind String; Value.Pos maps
// a rune offset inside the decoded string back to the file line and column,
// so a diagnostic inside an embedded CEL or expr expression points at the
// offending character in the file.
package dsl
