package dsl

// CodeDoc describes a diagnostic code for the tools that list rules (SARIF
// for GitHub code scanning): what it means and how to fix it.
type CodeDoc struct {
	Short string // a line: what is wrong
	Full  string // what the check is and how to fix what it finds
}

// codeDocs documents every diagnostic code of rubric: dsl's, rules' and
// the policy tests'. A test in each package that defines codes checks
// that each one is here.
var codeDocs = map[Code]CodeDoc{
	CodeSyntax:          {"HCL syntax error", "The file is not valid HCL: a brace, quote or equals sign is missing or extra. Fix the text at the position shown; `rubric fmt` formats a file once it parses."},
	CodeFile:            {"The policy file cannot be read", "A policy file is missing, not a regular file, too large, outside the policy directory, or not UTF-8 text. Point rubric at a directory of *.hcl files."},
	CodeNotConstant:     {"A constant value was expected", "This attribute takes a literal (a number, string or list), not an expression or a reference. Write the value itself, or move the computation into an expression attribute."},
	CodeInterpolation:   {"Template interpolation is not allowed here", "HCL templates (${...}) are only read in message strings. Write the expression as a plain string in the policy's language (CEL or expr) instead."},
	CodeWrongType:       {"A value of the wrong type", "The attribute takes another type (a number, a string, a boolean, a list or a map). Change the value to the type the message names."},
	CodeBadName:         {"An invalid block name", "Block names are lower-case letters, digits and underscores, starting with a letter (aht, first_contact_resolution)."},
	"policy-block":      {"The policy block is missing or repeated", "A policy has exactly one policy \"name\" { version = ... } block, with its version, currency and period."},
	"missing-attribute": {"A required attribute is missing", "The block needs the attribute the message names (a target needs a metric or value and a goal; an incentive an amount or a basis). Add it."},
	"duplicate-name":    {"A name is declared twice", "Two blocks of the policy (possibly in different files) declare the same name. Rename one, or remove the duplicate."},
	"reserved-name":     {"A reserved name", "The name is one of rubric's own (target, score, band, breach, period, team, all, prev, window, streak...). Choose another."},
	"unknown-name":      {"An unknown name in an expression", "An expression refers to a metric, attribute, param, target or rule the policy does not declare. Fix the spelling (the message suggests the closest name) or declare it."},
	"stage-order":       {"A name used before it is computed", "Names are computed in stages: derived metrics, then targets, scorecards, breaches and incentives. An expression may use its own stage and the ones before it only."},
	"bad-enum":          {"A value outside the allowed set", "The attribute takes one of a few words (better = higher or lower, rounding = half_up, half_even, down, up...). Use one of those the message lists."},
	"bad-value":         {"An invalid value", "The value is out of range or malformed (a negative weight, a bad date, an unknown currency code, a minimum above a maximum). Correct it as the message says."},
	"exactly-one":       {"Exactly one of several attributes is needed", "The block takes one of the attributes the message names, not none and not several (a target's metric or value; an incentive's amount or basis)."},
	"conflict":          {"Attributes that cannot go together", "Two attributes of the block contradict each other. Keep the one that says what you mean."},
	"weights":           {"Scorecard weights are wrong", "A scorecard's weights must be positive and name targets of the policy; the message says which one is not."},
	"bounds-order":      {"Goal, threshold and stretch are out of order", "For a higher-is-better target, threshold <= goal <= stretch; for lower-is-better the reverse. Reorder the bounds."},
	"cycle":             {"Derived metrics depend on each other in a cycle", "A derived metric's expression uses, directly or through others, itself. Break the cycle; prev.<m> may look at last period's value instead."},
	"history":           {"A history name without history, or out of range", "prev.*, window.* and streak.* names need history = N (1 to 24) in the policy block, and a window statistic may not be used inside its own metric."},
	"too_large":         {"A policy that is too large", "The policy has more blocks, expressions or nesting than rubric evaluates safely. Split it or simplify the expressions."},
	"currency":          {"A currency problem", "Incentives pay in the policy's currency, an ISO 4217 code; money values must be of that currency."},
	"expression":        {"An expression that does not compile", "The CEL or expr expression has a syntax or type error. The message points at the position; the policy's language decides the syntax."},
	"test":              {"A policy test problem", "A *.test.hcl file is malformed: a test needs a period and values, and its expect block names rules of the policy."},
}

// Doc returns what code means and how to fix it; ok is false for a code
// that is not documented.
func (c Code) Doc() (doc CodeDoc, ok bool) {
	doc, ok = codeDocs[c]
	return doc, ok
}
