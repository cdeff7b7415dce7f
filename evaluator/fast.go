package evaluator

import (
	"errors"
	"math"
	"slices"

	"github.com/rubric-dev/rubric/rules"
)

// Fast programs. Most expressions in a policy are of a few shapes: names
// and numbers, arithmetic, comparisons, logic, the conditional and
// rubric's own functions ("aht <= 300", "ratio(satisfied, surveys)",
// "tenure_days < 90 ? 360 : aht_goal"). Such an expression is also
// compiled to Go closures, which evaluate it without the interpreter's
// boxing, activations and frames. A fast program must give exactly what
// the language's interpreter gives (value, error and error text); the
// interpreter stays the reference and runs whenever the fast program
// cannot tell, i.e. when it returns errSlow (a value of another kind than
// the name was declared with). Each language's builder decides which of
// its constructs map onto these closures and with which semantics
// (CEL's logic is commutative over errors, expr's is not).

// errSlow asks the caller to run the interpreter instead.
var errSlow = errors.New("evaluate with the interpreter")

// fn is a compiled (sub)expression of result type T over a snapshot's
// values: it reads v[slots[i]] for the i-th name of its program.
type fn[T any] func(v []Value, slots []int) (T, error)

// fnode is a typed closure: exactly one of num, bool and str is set.
type fnode struct {
	kind Kind
	num  fn[float64]
	bool fn[bool]
	str  fn[string]
}

// fastProg is a fast program before it is linked to a scope's slots: its
// name nodes read v[slots[i]], where i indexes names.
type fastProg struct {
	root  fnode
	names []string
}

// fastLink is a fast program linked to the slots of one compiled
// expression; the zero fastLink has no program.
type fastLink struct {
	prog  *fastProg
	slots []int
}

// linkFast maps f's names to the slots of refs; no program (the
// interpreter runs) when f is nil or a name is not among them.
func linkFast(f *fastProg, refs []slotRef) fastLink {
	if f == nil {
		return fastLink{}
	}
	slots := make([]int, len(f.names))
	for i, n := range f.names {
		at := slices.IndexFunc(refs, func(r slotRef) bool { return r.name == n })
		if at < 0 {
			return fastLink{}
		}
		slots[i] = refs[at].slot
	}
	return fastLink{prog: f, slots: slots}
}

// eval runs the program over a snapshot's values; errSlow when there is
// none or it cannot tell.
func (l fastLink) eval(v []Value) (Value, error) {
	if l.prog == nil {
		return Value{}, errSlow
	}
	switch root := l.prog.root; root.kind {
	case Number:
		x, err := root.num(v, l.slots)
		return Value{Kind: Number, Num: x}, err
	case Bool:
		x, err := root.bool(v, l.slots)
		return Value{Kind: Bool, Bool: x}, err
	default:
		x, err := root.str(v, l.slots)
		return Value{Kind: String, Str: x}, err
	}
}

// fastBuilder collects the names of a program as its nodes are made.
type fastBuilder struct {
	names []string
}

// declared is the node reading name, a declared value of scope that its
// language calls key; false for a name that is not one.
func (b *fastBuilder) declared(scope *rules.Scope, name, key string) (fnode, bool) {
	d, found := scope.Resolve(name)
	if !found || d.Name != name || d.Slot < 0 {
		return fnode{}, false
	}
	i := slices.Index(b.names, key)
	if i < 0 {
		i = len(b.names)
		b.names = append(b.names, key)
	}
	switch kindOf(d.Type) {
	case Number:
		return fnode{kind: Number, num: read(i, Number, func(x *Value) float64 { return x.Num })}, true
	case Bool:
		return fnode{kind: Bool, bool: read(i, Bool, func(x *Value) bool { return x.Bool })}, true
	default:
		return fnode{kind: String, str: read(i, String, func(x *Value) string { return x.Str })}, true
	}
}

// read reads the i-th name's value, which must be of kind k (errSlow
// otherwise: the interpreter says what a value of another kind gives).
func read[T any](i int, k Kind, get func(*Value) T) fn[T] {
	return func(v []Value, s []int) (T, error) {
		x := &v[s[i]]
		if x.Kind != k {
			var zero T
			return zero, errSlow
		}
		return get(x), nil
	}
}

func constant[T any](x T) fn[T] {
	return func([]Value, []int) (T, error) { return x, nil }
}

func fastNum(x float64) fnode { return fnode{kind: Number, num: constant(x)} }
func fastBool(x bool) fnode   { return fnode{kind: Bool, bool: constant(x)} }
func fastStr(x string) fnode  { return fnode{kind: String, str: constant(x)} }

// unary applies op to a's value.
func unary[T, R any](a fn[T], op func(T) R) fn[R] {
	return func(v []Value, s []int) (R, error) {
		x, err := a(v, s)
		if err != nil {
			var zero R
			return zero, err
		}
		return op(x), nil
	}
}

// both applies op to l's and r's values, evaluated left to right; the
// first error is the result's, as in both languages.
func both[T, R any](l, r fn[T], op func(x, y T) R) fn[R] {
	return func(v []Value, s []int) (R, error) {
		x, err := l(v, s)
		if err == nil {
			var y T
			if y, err = r(v, s); err == nil {
				return op(x, y), nil
			}
		}
		var zero R
		return zero, err
	}
}

// fastBinary is a binary operator on two nodes. commutativeLogic chooses
// CEL's && and || (see fastLogic) over expr's.
func fastBinary(op dop, l, r fnode, commutativeLogic bool) (fnode, bool) {
	switch op {
	case dEq, dNe:
		return fastEqual(l, r, op == dNe)
	case dAnd, dOr:
		return fastLogic(l, r, op == dOr, commutativeLogic)
	}
	if l.kind != Number || r.kind != Number {
		return fnode{}, false
	}
	if f, ok := arithmetic[op]; ok { // IEEE 754 double precision, as both languages compute
		return fnode{kind: Number, num: both(l.num, r.num, f)}, true
	}
	if f, ok := order[op]; ok { // false with a NaN, in Go and in both languages
		return fnode{kind: Bool, bool: both(l.num, r.num, f)}, true
	}
	return fnode{}, false
}

var arithmetic = map[dop]func(x, y float64) float64{
	dAdd: func(x, y float64) float64 { return x + y },
	dSub: func(x, y float64) float64 { return x - y },
	dMul: func(x, y float64) float64 { return x * y },
	dDiv: func(x, y float64) float64 { return x / y },
}

var order = map[dop]func(x, y float64) bool{
	dLt: func(x, y float64) bool { return x < y },
	dLe: func(x, y float64) bool { return x <= y },
	dGt: func(x, y float64) bool { return x > y },
	dGe: func(x, y float64) bool { return x >= y },
}

func fastNeg(a fnode) (fnode, bool) {
	if a.kind != Number {
		return fnode{}, false
	}
	return fnode{kind: Number, num: unary(a.num, func(x float64) float64 { return -x })}, true
}

func fastNot(a fnode) (fnode, bool) {
	if a.kind != Bool {
		return fnode{}, false
	}
	return fnode{kind: Bool, bool: unary(a.bool, func(x bool) bool { return !x })}, true
}

// fastEqual is == (ne false) or != (ne true) on two values of one kind.
func fastEqual(a, b fnode, ne bool) (fnode, bool) {
	if a.kind != b.kind {
		return fnode{}, false
	}
	switch a.kind {
	case Number:
		return fnode{kind: Bool, bool: equal(a.num, b.num, ne)}, true
	case Bool:
		return fnode{kind: Bool, bool: equal(a.bool, b.bool, ne)}, true
	default:
		return fnode{kind: Bool, bool: equal(a.str, b.str, ne)}, true
	}
}

func equal[T comparable](l, r fn[T], ne bool) fn[bool] {
	if ne {
		return both(l, r, func(x, y T) bool { return x != y })
	}
	return both(l, r, func(x, y T) bool { return x == y })
}

// fastLogic is && (or false) or || (or true). With commutative set, as in
// CEL, an error on one side is absorbed when the other side decides the
// result; otherwise, as in expr, evaluation stops at the first error.
func fastLogic(a, b fnode, or, commutative bool) (fnode, bool) {
	if a.kind != Bool || b.kind != Bool {
		return fnode{}, false
	}
	l, r := a.bool, b.bool
	decides := or // && is decided by a false, || by a true
	if !commutative {
		return fnode{kind: Bool, bool: func(v []Value, s []int) (bool, error) {
			x, err := l(v, s)
			if err != nil || x == decides {
				return x, err
			}
			return r(v, s)
		}}, true
	}
	return fnode{kind: Bool, bool: func(v []Value, s []int) (bool, error) {
		x, errL := l(v, s)
		if errL == errSlow {
			return false, errSlow
		}
		if errL == nil && x == decides {
			return x, nil
		}
		y, errR := r(v, s)
		if errR == errSlow {
			return false, errSlow
		}
		if errR == nil && y == decides {
			return y, nil
		}
		if errL != nil {
			return false, errL
		}
		return y, errR
	}}, true
}

// fastCond is c ? a : b with a and b of one kind.
func fastCond(c, a, b fnode) (fnode, bool) {
	if c.kind != Bool || a.kind != b.kind {
		return fnode{}, false
	}
	switch a.kind {
	case Number:
		return fnode{kind: Number, num: choose(c.bool, a.num, b.num)}, true
	case Bool:
		return fnode{kind: Bool, bool: choose(c.bool, a.bool, b.bool)}, true
	default:
		return fnode{kind: String, str: choose(c.bool, a.str, b.str)}, true
	}
}

// choose evaluates test, then l or r.
func choose[T any](test fn[bool], l, r fn[T]) fn[T] {
	return func(v []Value, s []int) (T, error) {
		t, err := test(v, s)
		if err != nil {
			var zero T
			return zero, err
		}
		if t {
			return l(v, s)
		}
		return r(v, s)
	}
}

// fastCall is one of rubric's functions (min, max, clamp, abs, round,
// ratio, nps) on numbers. Arguments are evaluated left to right and the
// first error is the call's error, as in both languages.
func fastCall(op dop, args []fnode) (fnode, bool) {
	if checkArity(op, len(args)) != nil || len(args) > maxVariadic {
		return fnode{}, false
	}
	fs := make([]fn[float64], len(args))
	for i, a := range args {
		if a.kind != Number {
			return fnode{}, false
		}
		fs[i] = a.num
	}
	if !op.isFunc() {
		return fnode{}, false
	}
	return fnode{kind: Number, num: func(v []Value, s []int) (float64, error) {
		var buf [maxVariadic]float64
		xs := buf[:len(fs)]
		for i, f := range fs {
			x, err := f(v, s)
			if err != nil {
				return 0, err
			}
			xs[i] = x
		}
		// A switch, not a function chosen when compiling: xs must not
		// escape to the heap.
		switch op {
		case dMin:
			return fnMin(xs...), nil
		case dMax:
			return fnMax(xs...), nil
		case dClamp:
			return fnClamp(xs[0], xs[1], xs[2]), nil
		case dAbs:
			return math.Abs(xs[0]), nil
		case dRound:
			if len(xs) == 1 {
				return fnRound(xs[0], 0), nil
			}
			return fnRound(xs[0], xs[1]), nil
		case dRatio:
			return fnRatio(xs[0], xs[1])
		}
		return fnNPS(xs[0], xs[1], xs[2])
	}}, true
}

// kindOf is the kind of value a name of type t holds.
func kindOf(t rules.Type) Kind {
	switch t {
	case rules.TypeString:
		return String
	case rules.TypeBool:
		return Bool
	}
	return Number
}
