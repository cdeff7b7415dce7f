package evaluator

import (
	"math"

	"github.com/rubric-dev/rubric/rules"
)

// RowEval evaluates a rollup's expressions over interaction rows: vals
// holds a row's values by the rollup scope's slots. Not safe for
// concurrent use; one per goroutine.
type RowEval struct{ sc *scratch }

// NewRowEval returns a row evaluator.
func NewRowEval() *RowEval { return &RowEval{sc: newScratch()} }

// Eval evaluates x over a row. ok is false when the expression reads a
// missing value, fails, or gives no number, condition or value of the
// kind it must: the row does not count for what x decides.
func (re *RowEval) Eval(x *rules.Expression, vals []Value) (v Value, ok bool) {
	for _, d := range x.Refs {
		if !vals[d.Slot].Has() {
			return Value{}, false
		}
	}
	if x.Bare != nil { // a column alone: its value
		v = vals[x.Bare.Slot]
		return v, !(x.Want == rules.TypeNumber && v.Kind != Number || x.Want == rules.TypeBool && v.Kind != Bool)
	}
	prog, isProg := x.Program.(program)
	if !isProg {
		return Value{}, false
	}
	re.sc.celAct.begin(len(vals))
	v, err := prog.eval(vals, re.sc)
	switch {
	case err != nil:
		return Value{}, false
	case v.Kind == Number && (math.IsInf(v.Num, 0) || math.IsNaN(v.Num)):
		return Value{}, false
	case x.Want == rules.TypeNumber && v.Kind != Number, x.Want == rules.TypeBool && v.Kind != Bool:
		return Value{}, false
	}
	return v, true
}
