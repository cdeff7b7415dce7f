package evaluator

import (
	"regexp"
	"strings"
)

var (
	percentRe    = regexp.MustCompile(`\d\s*%`)
	celMixedRe   = regexp.MustCompile(`no matching overload for '(_\S+_)' applied to '\((double|string|bool), (double|string|bool)\)'`)
	exprMixedRe  = regexp.MustCompile(`invalid operation: (\S+) \(mismatched types (float64|int|string|bool) and (float64|int|string|bool)\)`)
	expectingRe  = regexp.MustCompile(`\s*expecting \{[^}]*\}`)
	typeNameRepl = strings.NewReplacer("double", "number", "float64", "number", "int", "number", "string", "text", "bool", "true/false")
)

// friendly rewords a parser's or type checker's message where a policy
// author would not know what to do with it.
func friendly(src, msg string) string {
	if percentRe.MatchString(src) && (strings.Contains(msg, "mismatched input") || strings.Contains(msg, "token recognition") ||
		strings.Contains(msg, "unexpected token") || strings.Contains(msg, "Syntax error") || strings.Contains(msg, "syntax error")) {
		return "% is not part of a number in an expression: write percentages as fractions (0.9 for 90%)"
	}
	for _, re := range []*regexp.Regexp{celMixedRe, exprMixedRe} {
		if m := re.FindStringSubmatch(msg); m != nil && m[2] != m[3] {
			a, b := typeNameRepl.Replace(m[2]), typeNameRepl.Replace(m[3])
			op := strings.Trim(m[1], "_")
			switch op {
			case "==", "!=", "<", "<=", ">", ">=":
			default:
				return "uses " + op + " on a " + a + " and a " + b + ": arithmetic needs numbers on both sides (is a number quoted, or an attribute of type string?)"
			}
			if (a == "number" && b == "text") || (a == "text" && b == "number") {
				return "compares a number with a text: remove the quotes around the number (write 120, not \"120\")"
			}
			return "compares a " + a + " with a " + b + ": both sides must be of the same kind"
		}
	}
	if strings.Contains(msg, "mismatched input '<EOF>'") {
		return "the expression ends too early: something is missing at the end"
	}
	return expectingRe.ReplaceAllString(msg, "")
}
