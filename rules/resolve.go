package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"

	"github.com/rubric-dev/rubric/dsl"
)

// Diagnostic codes produced by Resolve.
const (
	CodePolicyBlock dsl.Code = "policy-block"
	CodeMissing     dsl.Code = "missing-attribute"
	CodeDuplicate   dsl.Code = "duplicate-name"
	CodeReserved    dsl.Code = "reserved-name"
	CodeUnknownName dsl.Code = "unknown-name"
	CodeStage       dsl.Code = "stage-order"
	CodeEnum        dsl.Code = "bad-enum"
	CodeBadValue    dsl.Code = "bad-value"
	CodeExactlyOne  dsl.Code = "exactly-one"
	CodeConflict    dsl.Code = "conflict"
	CodeWeights     dsl.Code = "weights"
	CodeBounds      dsl.Code = "bounds-order"
	CodeCycle       dsl.Code = "cycle"
	CodeHistory     dsl.Code = "history"
	CodeTooLarge    dsl.Code = "too_large"
	CodeCurrency    dsl.Code = "currency"
	CodeExpression  dsl.Code = "expression"
)

// reserved names cannot name a metric, attribute or param: they are the
// roots of qualified names, keywords of CEL or expr, or functions.
var reserved = map[string]bool{
	"target": true, "score": true, "band": true, "breach": true, "breaches": true, "period": true,
	"team": true, "all": true,
	"true": true, "false": true, "null": true, "nil": true, "in": true, "as": true, "break": true,
	"const": true, "continue": true, "else": true, "for": true, "function": true, "if": true,
	"import": true, "let": true, "loop": true, "package": true, "namespace": true, "return": true,
	"var": true, "void": true, "while": true, "not": true, "and": true, "or": true, "matches": true,
	"contains": true, "startswith": true, "endswith": true,
}

// Resolve checks a parsed policy and builds its model. compilers supplies
// one Compiler per language; only the policy's language is used. The model
// is returned even when there are errors, for tools that want what was
// understood; it must not be evaluated unless diags.HasErrors() is false.
func Resolve(ast *dsl.Policy, compilers ...Compiler) (*Policy, hcl.Diagnostics) {
	r := &resolver{ast: ast, p: &Policy{Sources: ast.Sources, Files: ast.Files}, scope: newScope()}
	r.p.Scope = r.scope
	r.p.Digest = Digest(ast.Sources)
	if r.tooLarge() {
		return r.p, r.diags
	}
	r.policyBlock()
	for _, c := range compilers {
		if c.Language() == r.p.Language {
			r.compiler = c
		}
	}
	if r.compiler == nil && r.p.Language != LanguageInvalid {
		r.errorf(CodeEnum, r.policyRange(), "no compiler for language %s", r.p.Language)
	}
	r.rollupMetrics()
	r.declare()
	r.metrics()
	r.rollup()
	r.targets()
	r.scorecards()
	r.breaches()
	r.incentives()
	r.derivedOrder()
	ast.MapDiagnostics(r.diags)
	return r.p, r.diags
}

// Limits on the size of a policy: a contact centre's policy has dozens of
// rules; these bound the work of validation (which is near-linear in the
// number of expressions) against a hostile or generated policy.
const (
	MaxPolicyBytes = 8 << 20 // all files together
	MaxBlocks      = 5000    // metrics, attributes, params, targets, scorecards, breaches and incentives together
)

// tooLarge reports (and says why) a policy over the size limits; it is
// then not resolved at all.
func (r *resolver) tooLarge() bool {
	total := 0
	for _, s := range r.ast.Sources {
		total += len(s.Bytes)
	}
	if total > MaxPolicyBytes {
		r.errorf(CodeTooLarge, r.policyRange(), "the policy's files hold %d bytes; a policy may hold at most %d", total, MaxPolicyBytes)
		return true
	}
	a := r.ast
	if n := len(a.Metrics) + len(a.Attributes) + len(a.Params) + len(a.Targets) + len(a.Scorecards) + len(a.Breaches) + len(a.Incentives); n > MaxBlocks {
		r.errorf(CodeTooLarge, r.policyRange(), "the policy declares %d rules and names; a policy may declare at most %d", n, MaxBlocks)
		return true
	}
	return false
}

// Digest is the SHA-256 over a policy's file names (base names, so the
// digest does not depend on where the directory lives) and contents.
func Digest(srcs []dsl.Source) string {
	h := sha256.New()
	for _, s := range srcs {
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.Base(s.Name), len(s.Bytes))
		h.Write(s.Bytes)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

type resolver struct {
	ast      *dsl.Policy
	p        *Policy
	scope    *Scope
	compiler Compiler
	diags    hcl.Diagnostics

	metricByName map[string]*Metric
	targetByName map[string]*Target
	inRollup     bool // resolving a rollup: its scope, its words
}

func (r *resolver) errorf(code dsl.Code, rng hcl.Range, format string, args ...any) *hcl.Diagnostic {
	d := dsl.Errorf(code, rng, format, args...)
	r.diags = append(r.diags, d)
	return d
}

func (r *resolver) policyRange() hcl.Range {
	if len(r.ast.Policy) > 0 {
		return r.ast.Policy[0].DefRange
	}
	for _, f := range r.ast.Sources {
		return hcl.Range{Filename: f.Name, Start: hcl.InitialPos, End: hcl.InitialPos}
	}
	return hcl.Range{}
}
