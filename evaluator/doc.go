// Package evaluator compiles a policy's expressions and evaluates one
// snapshot through every stage of a resolved policy (package rules):
// params and inputs, derived metrics, targets, scorecards, breaches and
// incentives, producing an Outcome whose every result records what decided
// it: the values and bounds, the conditions and the values they read, the
// contributions, an incentive's steps.
//
// Explanations are data. Evaluation writes no prose; each result's Why
// (and AppendWhy, for encoders that write into a buffer) renders the
// sentence from that data, and every sentence is written in one file,
// why.go. Other renderers (the HTML report, explain's tables) read the
// same data.
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
