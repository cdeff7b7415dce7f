package evaluator

import (
	"math"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/rules"
)

// decCtx is the context of all money arithmetic: 40 significant digits,
// far more than any amount and its factors need, so products are exact.
var decCtx = func() *apd.Context {
	c := apd.BaseContext.WithPrecision(40)
	c.Rounding = apd.RoundHalfEven
	return c
}()

// FromFloat converts a number that came out of an expression to decimal
// through its shortest round-trip form (SPEC §4: the digits strconv prints
// with precision -1); false for an infinity or NaN.
func FromFloat(f float64) (*apd.Decimal, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, false
	}
	d, _, err := apd.NewFromString(strconv.FormatFloat(f, 'e', -1, 64))
	if err != nil {
		return nil, false
	}
	d.Negative = d.Negative && !d.IsZero() // -0 is 0
	return d, true
}

func mul(a, b *apd.Decimal) *apd.Decimal {
	out := new(apd.Decimal)
	exactCtx.Mul(out, a, b) // operands are bounded (1e15), so this cannot overflow
	return out
}

func add(a, b *apd.Decimal) *apd.Decimal {
	out := new(apd.Decimal)
	exactCtx.Add(out, a, b) // operands are bounded (1e15), so this cannot overflow
	return out
}

func sub(a, b *apd.Decimal) *apd.Decimal {
	out := new(apd.Decimal)
	exactCtx.Sub(out, a, b) // operands are bounded (1e15), so this cannot overflow
	return out
}

func minDec(a, b *apd.Decimal) *apd.Decimal {
	if a.Cmp(b) <= 0 {
		return a
	}
	return b
}

func maxDec(a, b *apd.Decimal) *apd.Decimal {
	if a.Cmp(b) >= 0 {
		return a
	}
	return b
}

var decZero = apd.New(0, 0)
var decOne = apd.New(1, 0)

// Round rounds d to minor decimal digits with the policy's rounding mode.
func Round(d *apd.Decimal, minor int, mode rules.Rounding) *apd.Decimal {
	c := *decCtx
	switch mode {
	case rules.HalfUp:
		c.Rounding = apd.RoundHalfUp // ties away from zero
	case rules.Down:
		c.Rounding = apd.RoundDown // toward zero
	case rules.Up:
		c.Rounding = apd.RoundUp // away from zero
	default:
		c.Rounding = apd.RoundHalfEven
	}
	out := new(apd.Decimal)
	c.Quantize(out, d, -int32(minor))
	if out.IsZero() {
		out.Negative = false
		if mode == rules.Up && !d.IsZero() {
			// apd gives 0 when every digit is dropped, whatever the mode;
			// away from zero is one minor unit.
			out.Coeff.SetInt64(1)
			out.Negative = d.Negative
		}
	}
	return out
}

// ZeroAmount is 0 written with the currency's minor digits.
func ZeroAmount(minor int) *apd.Decimal {
	return Round(decZero, minor, rules.HalfEven)
}

// decText prints a decimal for explanations: no exponent, no trailing
// zeros (amounts keep their minor digits where they are printed).
func decText(d *apd.Decimal) string {
	if d.IsZero() {
		return "0"
	}
	s := d.Text('f')
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}
