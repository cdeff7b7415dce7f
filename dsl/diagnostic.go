package dsl

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// Code is a stable identifier for a kind of diagnostic. It is carried in
// hcl.Diagnostic.Extra and printed by the diagnostic writers, so CI systems
// can match on it.
type Code string

// DiagnosticCode returns the stable code of d, or "syntax" for diagnostics
// produced by the HCL parser itself.
func DiagnosticCode(d *hcl.Diagnostic) Code {
	if c, ok := d.Extra.(Code); ok {
		return c
	}
	return CodeSyntax
}

// Codes produced by this package. Other packages define their own.
const (
	CodeSyntax        Code = "syntax"
	CodeFile          Code = "file"
	CodeNotConstant   Code = "not-constant"
	CodeInterpolation Code = "interpolation"
	CodeWrongType     Code = "wrong-type"
	CodeBadName       Code = "bad-name"
)

// Errorf builds an error diagnostic with a stable code.
func Errorf(code Code, rng hcl.Range, summary string, args ...any) *hcl.Diagnostic {
	r := rng
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf(summary, args...), Subject: &r, Extra: code}
}

// WithDetail sets the detail of d and returns it.
func WithDetail(d *hcl.Diagnostic, detail string, args ...any) *hcl.Diagnostic {
	d.Detail = fmt.Sprintf(detail, args...)
	return d
}
