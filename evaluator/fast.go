package evaluator

import (
	"errors"
	"math"

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

type (
	numFn  func(v []Value, slots []int) (float64, error)
	boolFn func(v []Value, slots []int) (bool, error)
	strFn  func(v []Value, slots []int) (string, error)
)

// fnode is a typed closure: exactly one of num, bool and str is set.
type fnode struct {
	kind Kind
	num  numFn
	bool boolFn
	str  strFn
}

// fastProg is a fast program before it is linked to a scope's slots: its
// name nodes read v[slots[i]], where i indexes names.
type fastProg struct {
	root  fnode
	names []string
}

// link maps the program's names to the slots of refs; false when a name
// is not among them (the interpreter runs then).
func (f *fastProg) link(refs []slotRef) ([]int, bool) {
	slots := make([]int, len(f.names))
	for i, n := range f.names {
		found := false
		for _, r := range refs {
			if r.name == n {
				slots[i], found = r.slot, true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return slots, true
}

func (f *fastProg) eval(v []Value, slots []int) (Value, error) {
	switch f.root.kind {
	case Number:
		x, err := f.root.num(v, slots)
		return Value{Kind: Number, Num: x}, err
	case Bool:
		x, err := f.root.bool(v, slots)
		return Value{Kind: Bool, Bool: x}, err
	default:
		x, err := f.root.str(v, slots)
		return Value{Kind: String, Str: x}, err
	}
}

// fastBuilder collects the names of a program as its nodes are made.
type fastBuilder struct {
	names []string
}

func (b *fastBuilder) name(n string, t Kind) fnode {
	i := len(b.names)
	for j, m := range b.names {
		if m == n {
			i = j
			break
		}
	}
	if i == len(b.names) {
		b.names = append(b.names, n)
	}
	switch t {
	case Number:
		return fnode{kind: Number, num: func(v []Value, s []int) (float64, error) {
			x := &v[s[i]]
			if x.Kind != Number {
				return 0, errSlow
			}
			return x.Num, nil
		}}
	case Bool:
		return fnode{kind: Bool, bool: func(v []Value, s []int) (bool, error) {
			x := &v[s[i]]
			if x.Kind != Bool {
				return false, errSlow
			}
			return x.Bool, nil
		}}
	default:
		return fnode{kind: String, str: func(v []Value, s []int) (string, error) {
			x := &v[s[i]]
			if x.Kind != String {
				return "", errSlow
			}
			return x.Str, nil
		}}
	}
}

func fastNum(x float64) fnode {
	return fnode{kind: Number, num: func([]Value, []int) (float64, error) { return x, nil }}
}

func fastBool(x bool) fnode {
	return fnode{kind: Bool, bool: func([]Value, []int) (bool, error) { return x, nil }}
}

func fastStr(x string) fnode {
	return fnode{kind: String, str: func([]Value, []int) (string, error) { return x, nil }}
}

// fastArith is + - * / on two numbers, in IEEE 754 double precision as
// both languages compute it.
func fastArith(op dop, a, b fnode) (fnode, bool) {
	if a.kind != Number || b.kind != Number {
		return fnode{}, false
	}
	l, r := a.num, b.num
	var f numFn
	switch op {
	case dAdd:
		f = func(v []Value, s []int) (float64, error) {
			x, err := l(v, s)
			if err != nil {
				return 0, err
			}
			y, err := r(v, s)
			return x + y, err
		}
	case dSub:
		f = func(v []Value, s []int) (float64, error) {
			x, err := l(v, s)
			if err != nil {
				return 0, err
			}
			y, err := r(v, s)
			return x - y, err
		}
	case dMul:
		f = func(v []Value, s []int) (float64, error) {
			x, err := l(v, s)
			if err != nil {
				return 0, err
			}
			y, err := r(v, s)
			return x * y, err
		}
	case dDiv:
		f = func(v []Value, s []int) (float64, error) {
			x, err := l(v, s)
			if err != nil {
				return 0, err
			}
			y, err := r(v, s)
			return x / y, err
		}
	default:
		return fnode{}, false
	}
	return fnode{kind: Number, num: f}, true
}

func fastNeg(a fnode) (fnode, bool) {
	if a.kind != Number {
		return fnode{}, false
	}
	l := a.num
	return fnode{kind: Number, num: func(v []Value, s []int) (float64, error) {
		x, err := l(v, s)
		return -x, err
	}}, true
}

func fastNot(a fnode) (fnode, bool) {
	if a.kind != Bool {
		return fnode{}, false
	}
	l := a.bool
	return fnode{kind: Bool, bool: func(v []Value, s []int) (bool, error) {
		x, err := l(v, s)
		return !x, err
	}}, true
}

// fastOrder is < <= > >= on two numbers; with a NaN it is false, in Go
// and in both languages.
func fastOrder(op dop, a, b fnode) (fnode, bool) {
	if a.kind != Number || b.kind != Number {
		return fnode{}, false
	}
	l, r := a.num, b.num
	var cmp func(x, y float64) bool
	switch op {
	case dLt:
		cmp = func(x, y float64) bool { return x < y }
	case dLe:
		cmp = func(x, y float64) bool { return x <= y }
	case dGt:
		cmp = func(x, y float64) bool { return x > y }
	case dGe:
		cmp = func(x, y float64) bool { return x >= y }
	default:
		return fnode{}, false
	}
	return fnode{kind: Bool, bool: func(v []Value, s []int) (bool, error) {
		x, err := l(v, s)
		if err != nil {
			return false, err
		}
		y, err := r(v, s)
		if err != nil {
			return false, err
		}
		return cmp(x, y), nil
	}}, true
}

// fastEqual is == (ne false) or != (ne true) on two values of one kind.
func fastEqual(a, b fnode, ne bool) (fnode, bool) {
	if a.kind != b.kind {
		return fnode{}, false
	}
	var eq boolFn
	switch a.kind {
	case Number:
		l, r := a.num, b.num
		eq = func(v []Value, s []int) (bool, error) {
			x, err := l(v, s)
			if err != nil {
				return false, err
			}
			y, err := r(v, s)
			return x == y, err
		}
	case Bool:
		l, r := a.bool, b.bool
		eq = func(v []Value, s []int) (bool, error) {
			x, err := l(v, s)
			if err != nil {
				return false, err
			}
			y, err := r(v, s)
			return x == y, err
		}
	default:
		l, r := a.str, b.str
		eq = func(v []Value, s []int) (bool, error) {
			x, err := l(v, s)
			if err != nil {
				return false, err
			}
			y, err := r(v, s)
			return x == y, err
		}
	}
	if !ne {
		return fnode{kind: Bool, bool: eq}, true
	}
	return fnode{kind: Bool, bool: func(v []Value, s []int) (bool, error) {
		x, err := eq(v, s)
		return !x, err
	}}, true
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
	test := c.bool
	switch a.kind {
	case Number:
		l, r := a.num, b.num
		return fnode{kind: Number, num: func(v []Value, s []int) (float64, error) {
			t, err := test(v, s)
			if err != nil {
				return 0, err
			}
			if t {
				return l(v, s)
			}
			return r(v, s)
		}}, true
	case Bool:
		l, r := a.bool, b.bool
		return fnode{kind: Bool, bool: func(v []Value, s []int) (bool, error) {
			t, err := test(v, s)
			if err != nil {
				return false, err
			}
			if t {
				return l(v, s)
			}
			return r(v, s)
		}}, true
	default:
		l, r := a.str, b.str
		return fnode{kind: String, str: func(v []Value, s []int) (string, error) {
			t, err := test(v, s)
			if err != nil {
				return "", err
			}
			if t {
				return l(v, s)
			}
			return r(v, s)
		}}, true
	}
}

// fastCall is one of rubric's functions (min, max, clamp, abs, round,
// ratio, nps) on numbers. Arguments are evaluated left to right and the
// first error is the call's error, as in both languages.
func fastCall(op dop, args []fnode) (fnode, bool) {
	if checkArity(op, len(args)) != nil || len(args) > maxVariadic {
		return fnode{}, false
	}
	fs := make([]numFn, len(args))
	for i, a := range args {
		if a.kind != Number {
			return fnode{}, false
		}
		fs[i] = a.num
	}
	switch op {
	case dAbs:
		a := fs[0]
		return fnode{kind: Number, num: func(v []Value, s []int) (float64, error) {
			x, err := a(v, s)
			return math.Abs(x), err
		}}, true
	case dRound:
		a := fs[0]
		if len(fs) == 1 {
			return fnode{kind: Number, num: func(v []Value, s []int) (float64, error) {
				x, err := a(v, s)
				if err != nil {
					return 0, err
				}
				return fnRound(x, 0), nil
			}}, true
		}
	case dRatio:
		a, b := fs[0], fs[1]
		return fnode{kind: Number, num: func(v []Value, s []int) (float64, error) {
			x, err := a(v, s)
			if err != nil {
				return 0, err
			}
			y, err := b(v, s)
			if err != nil {
				return 0, err
			}
			return fnRatio(x, y)
		}}, true
	}
	// The rest take their arguments as a list.
	switch op {
	case dMin, dMax, dClamp, dRound, dNPS:
	default:
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
		switch op {
		case dMin:
			return fnMin(xs...), nil
		case dMax:
			return fnMax(xs...), nil
		case dClamp:
			return fnClamp(xs[0], xs[1], xs[2]), nil
		case dRound:
			return fnRound(xs[0], xs[1]), nil
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
