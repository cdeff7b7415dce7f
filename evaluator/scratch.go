package evaluator

import "github.com/expr-lang/expr/vm"

// scratch is per-goroutine working memory reused across evaluations.
type scratch struct {
	exprEnv map[string]any // expr's environment: only the names an expression uses are read
	vm      vm.VM
	celAct  celActivation
}

func newScratch() *scratch { return &scratch{exprEnv: map[string]any{}} }

// program is a compiled expression of either language.
type program interface {
	eval(vals []Value, s *scratch) (Value, error)
}
