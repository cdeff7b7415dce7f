// Package evaluator compiles a policy's expressions and evaluates one
// snapshot through every stage of a resolved policy (package rules):
// params and inputs, derived metrics, targets, scorecards, breaches and
// incentives, producing an Outcome whose every result carries its
// explanation.
//
// NewCEL and NewExpr return the two expression backends (cel.dev/cel-go and
// github.com/expr-lang/expr) behind rules.Compiler, with the same function
// library (min, max, clamp, abs, round, ratio, nps) and the same numbers:
// integer literals are numbers, so "tickets - 1200" needs no ".0".
//
// New returns an Evaluator for a resolved policy; it is immutable and safe
// for concurrent use. Money is exact decimal (github.com/cockroachdb/apd/v3):
// numbers from expressions enter through their shortest round-trip form and
// every later step, up to the one rounding, is decimal.
package evaluator
