package evaluator

import (
	"github.com/expr-lang/expr/vm"

	"github.com/rubric-dev/rubric/rules"
)

// scratch is per-goroutine working memory reused across evaluations.
type scratch struct {
	exprEnv map[string]any // expr's environment: only the names an expression uses are read
	vm      vm.VM
	celAct  celActivation
}

func newScratch() *scratch { return &scratch{exprEnv: map[string]any{}} }

// slotRef is a name an expression reads, as its language knows it, and
// the slot holding its value.
type slotRef struct {
	name string
	slot int
}

// resolveSlots maps an expression's references to slots, once each;
// langName gives the name the language uses for a declaration.
func resolveSlots(refs []rules.Ref, scope *rules.Scope, langName func(string) string) []slotRef {
	var out []slotRef
	seen := map[string]bool{}
	for _, r := range refs {
		if d, ok := scope.Resolve(r.Name); ok && d.Slot >= 0 && !seen[d.Name] {
			seen[d.Name] = true
			out = append(out, slotRef{langName(d.Name), d.Slot})
		}
	}
	return out
}

// program is a compiled expression of either language.
type program interface {
	eval(vals []Value, s *scratch) (Value, error)
}
