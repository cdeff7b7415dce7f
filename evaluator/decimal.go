package evaluator

import (
	"fmt"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/evaluator/money"
	"github.com/rubric-dev/rubric/rules"
)

// Amount expressions (an incentive's basis, amount, multiplier, units,
// prorate, cap and floor) are evaluated in decimal, not in binary floating
// point (docs/language.md, "Money"): both languages' syntax trees are
// translated into one small decimal program, so CEL and expr give the same
// amounts to the cent.

// exactCtx does + - * exactly and quoCtx rounds quotients to 34
// significant digits, half to even: money's contexts, the one place
// decimal arithmetic is set up.
var exactCtx, quoCtx = money.Exact, money.Quotient

// maxDigits bounds the digits of any intermediate number.
const maxDigits = 1000

type dop uint8

const (
	dConst dop = iota
	dSlot
	dAdd
	dSub
	dMul
	dDiv
	dRem
	dNeg
	dNot
	dAnd
	dOr
	dCond
	dEq
	dNe
	dLt
	dLe
	dGt
	dGe
	dMin // dMin and every op after it are rubric's functions (libraryOps)
	dMax
	dClamp
	dAbs
	dRound
	dRatio
	dNPS
)

// isFunc reports whether o is one of rubric's functions (min, max, ...),
// not an operator.
func (o dop) isFunc() bool { return o >= dMin }

// dval is a value inside a decimal program.
type dval struct {
	kind Kind
	d    *apd.Decimal
	s    string
	b    bool
}

// dnode is a node of a decimal program.
type dnode struct {
	op   dop
	val  dval // dConst
	slot int  // dSlot
	args []*dnode
}

// decimalProgram is an amount expression compiled for decimal evaluation.
type decimalProgram struct {
	root *dnode
}

// errUnsupported is a construct an amount expression may not hold.
type errUnsupported struct{ what string }

func (e errUnsupported) Error() string {
	return e.what + " cannot be used in an amount expression: amounts are computed in exact decimal from numbers, names, arithmetic, comparisons, conditions and the functions min, max, clamp, abs, round, ratio and nps"
}

var libraryOps = map[string]dop{"min": dMin, "max": dMax, "clamp": dClamp, "abs": dAbs, "round": dRound, "ratio": dRatio, "nps": dNPS}

var operatorOps = map[string]dop{
	"+": dAdd, "-": dSub, "*": dMul, "/": dDiv, "%": dRem,
	"==": dEq, "!=": dNe, "<": dLt, "<=": dLe, ">": dGt, ">=": dGe,
	"&&": dAnd, "and": dAnd, "||": dOr, "or": dOr,
}

// checkArity reports a library call with the wrong number of arguments
// (the type checker has seen them already; this guards the evaluator).
func checkArity(op dop, n int) error {
	ok := true
	switch op {
	case dMin, dMax:
		ok = n >= 1
	case dClamp, dNPS:
		ok = n == 3
	case dAbs:
		ok = n == 1
	case dRound:
		ok = n == 1 || n == 2
	case dRatio:
		ok = n == 2
	}
	if !ok {
		return fmt.Errorf("wrong number of arguments (%d)", n)
	}
	return nil
}

func slotNode(name string, scope *rules.Scope) (*dnode, error) {
	d, ok := scope.Resolve(name)
	if !ok || d.Slot < 0 {
		return nil, fmt.Errorf("unknown name %s", name)
	}
	if d.Name != name {
		return nil, errUnsupported{"the field access " + name}
	}
	return &dnode{op: dSlot, slot: d.Slot}, nil
}

func constNum(f float64) (*dnode, error) {
	d, ok := FromFloat(f)
	if !ok {
		return nil, errUnsupported{"a non-finite number"}
	}
	return &dnode{op: dConst, val: dval{kind: Number, d: d}}, nil
}

// evalDecimal runs a decimal program over a snapshot's values. exact gives
// the decimal text of input values that a float cannot hold exactly.
func (p *decimalProgram) evalDecimal(vals []Value, exact []ExactValue) (*apd.Decimal, string) {
	v, reason := p.root.eval(vals, exact)
	if reason != "" {
		return nil, reason
	}
	if v.kind != Number {
		return nil, "the result is not a number"
	}
	return v.d, ""
}

func arith(err error, cond apd.Condition) string {
	if err == nil && cond&(apd.Overflow|apd.Underflow|apd.InvalidOperation|apd.DivisionByZero|apd.DivisionImpossible|apd.DivisionUndefined) == 0 {
		return ""
	}
	switch {
	case cond&apd.DivisionByZero != 0:
		return "division by zero"
	case cond&(apd.Overflow|apd.Underflow) != 0:
		return "the number is too large or too small to compute exactly"
	}
	return "the arithmetic is not defined (invalid operation)"
}

func num(d *apd.Decimal) dval { return dval{kind: Number, d: d} }

func (n *dnode) eval(vals []Value, exact []ExactValue) (dval, string) {
	switch n.op {
	case dConst:
		return n.val, ""
	case dSlot:
		v := vals[n.slot]
		switch v.Kind {
		case Number:
			for _, e := range exact {
				if e.Slot == n.slot {
					return num(e.Dec), ""
				}
			}
			d, ok := FromFloat(v.Num)
			if !ok {
				return dval{}, "the value is not a finite number"
			}
			return num(d), ""
		case String:
			return dval{kind: String, s: v.Str}, ""
		case Bool:
			return dval{kind: Bool, b: v.Bool}, ""
		}
		return dval{}, "a name has no value"
	case dAnd, dOr:
		l, why := n.args[0].eval(vals, exact)
		if why != "" {
			return l, why
		}
		if l.kind != Bool {
			return dval{}, "a condition is not true or false"
		}
		if (n.op == dAnd && !l.b) || (n.op == dOr && l.b) {
			return l, ""
		}
		r, why := n.args[1].eval(vals, exact)
		if why == "" && r.kind != Bool {
			return dval{}, "a condition is not true or false"
		}
		return r, why
	case dCond:
		c, why := n.args[0].eval(vals, exact)
		if why != "" {
			return c, why
		}
		if c.kind != Bool {
			return dval{}, "a condition is not true or false"
		}
		if c.b {
			return n.args[1].eval(vals, exact)
		}
		return n.args[2].eval(vals, exact)
	case dNot:
		c, why := n.args[0].eval(vals, exact)
		if why != "" {
			return c, why
		}
		return dval{kind: Bool, b: !c.b}, ""
	}
	// The remaining operators evaluate every argument first.
	var buf [3]dval
	args := buf[:0]
	for _, a := range n.args {
		v, why := a.eval(vals, exact)
		if why != "" {
			return v, why
		}
		args = append(args, v)
	}
	switch n.op {
	case dEq, dNe, dLt, dLe, dGt, dGe:
		c, ok := compare(args[0], args[1])
		if !ok {
			return dval{}, "compares values of different kinds"
		}
		var b bool
		switch n.op {
		case dEq:
			b = c == 0
		case dNe:
			b = c != 0
		case dLt:
			b = c < 0
		case dLe:
			b = c <= 0
		case dGt:
			b = c > 0
		case dGe:
			b = c >= 0
		}
		return dval{kind: Bool, b: b}, ""
	}
	for _, a := range args {
		if a.kind != Number {
			if n.op == dAdd && args[0].kind == String && args[1].kind == String {
				return dval{kind: String, s: args[0].s + args[1].s}, ""
			}
			return dval{}, "arithmetic on a value that is not a number"
		}
	}
	out := new(apd.Decimal)
	var cond apd.Condition
	var err error
	switch n.op {
	case dAdd:
		cond, err = exactCtx.Add(out, args[0].d, args[1].d)
	case dSub:
		cond, err = exactCtx.Sub(out, args[0].d, args[1].d)
	case dMul:
		cond, err = exactCtx.Mul(out, args[0].d, args[1].d)
	case dNeg:
		cond, err = exactCtx.Neg(out, args[0].d)
	case dDiv, dRatio:
		if args[1].d.IsZero() {
			return dval{}, "division by zero"
		}
		cond, err = quoCtx.Quo(out, args[0].d, args[1].d)
	case dRem:
		if args[1].d.IsZero() {
			return dval{}, "division by zero"
		}
		cond, err = quoCtx.Rem(out, args[0].d, args[1].d)
	case dAbs:
		cond, err = exactCtx.Abs(out, args[0].d)
	case dMin, dMax:
		best := args[0].d
		for _, a := range args[1:] {
			if c := a.d.Cmp(best); (n.op == dMin && c < 0) || (n.op == dMax && c > 0) {
				best = a.d
			}
		}
		return num(best), ""
	case dClamp:
		x, lo, hi := args[0].d, args[1].d, args[2].d
		if x.Cmp(lo) < 0 {
			x = lo
		}
		if x.Cmp(hi) > 0 {
			x = hi
		}
		return num(x), ""
	case dRound:
		digits := int64(0)
		if len(args) == 2 {
			var t apd.Decimal
			if _, err := exactCtx.RoundToIntegralValue(&t, args[1].d); err != nil {
				return dval{}, "round: the number of digits is not a whole number"
			}
			i, err := t.Int64()
			if err != nil || i > 100 || i < -100 {
				return dval{}, "round: the number of digits is out of range"
			}
			digits = i
		}
		c := *exactCtx
		c.Precision = maxDigits + 200 // Quantize needs a precision; the value is bounded
		c.Rounding = apd.RoundHalfUp  // ties away from zero
		if args[0].d.Exponent >= int32(-digits) {
			return args[0], "" // already at or coarser than the precision asked
		}
		cond, err = c.Quantize(out, args[0].d, int32(-digits))
	case dNPS:
		p, pa, d := args[0].d, args[1].d, args[2].d
		total := new(apd.Decimal)
		exactCtx.Add(total, p, pa)
		exactCtx.Add(total, total, d)
		if total.IsZero() {
			return dval{}, "division by zero"
		}
		diff := new(apd.Decimal)
		exactCtx.Sub(diff, p, d)
		exactCtx.Mul(diff, diff, apd.New(100, 0))
		cond, err = quoCtx.Quo(out, diff, total)
	default:
		return dval{}, "unsupported operation"
	}
	if why := arith(err, cond); why != "" {
		return dval{}, why
	}
	if out.NumDigits() > maxDigits {
		return dval{}, "the number has too many digits to compute exactly"
	}
	return num(out), ""
}

// compare orders two values of the same kind.
func compare(a, b dval) (int, bool) {
	if a.kind != b.kind {
		return 0, false
	}
	switch a.kind {
	case Number:
		return a.d.Cmp(b.d), true
	case String:
		switch {
		case a.s < b.s:
			return -1, true
		case a.s > b.s:
			return 1, true
		}
		return 0, true
	case Bool:
		if a.b == b.b {
			return 0, true
		}
		if !a.b {
			return -1, true
		}
		return 1, true
	}
	return 0, false
}

// ExactValue is an input number whose decimal text a float64 cannot hold
// exactly (more than 15 significant digits); amount expressions use it.
type ExactValue struct {
	Slot int
	Dec  *apd.Decimal
}

// SetExact records the decimal text of an input number for amount
// expressions, when a float cannot hold it exactly. text must be a plain
// decimal.
func (s *Snapshot) SetExact(slot int, text string) {
	if significantDigits(text) <= 15 {
		return
	}
	d, _, err := apd.NewFromString(text)
	if err != nil {
		return
	}
	s.exact = append(s.exact, ExactValue{Slot: slot, Dec: d})
}

// significantDigits counts the digits of a plain decimal's coefficient,
// ignoring leading zeros.
func significantDigits(text string) int {
	n, leading := 0, true
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == 'e' || c == 'E' {
			break
		}
		if c < '0' || c > '9' {
			continue
		}
		if c == '0' && leading {
			continue
		}
		leading = false
		n++
	}
	return n
}
