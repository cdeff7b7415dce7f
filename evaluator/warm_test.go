package evaluator

import (
	"testing"

	"cel.dev/cel-go/common"
	"cel.dev/cel-go/parser"
)

// TestWarmExprsParse: a warm-up expression with a syntax error would stop
// the parser early and leave its tables cold for what follows the error.
func TestWarmExprsParse(t *testing.T) {
	p, err := parser.NewParser(parser.Macros(parser.AllMacros...))
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range warmExprs {
		if _, errs := p.Parse(common.NewTextSource(src)); len(errs.GetErrors()) > 0 {
			t.Errorf("%s: %v", src, errs.ToDisplayString())
		}
	}
	WarmUp()
	WarmUp() // once only, and harmless again
}
