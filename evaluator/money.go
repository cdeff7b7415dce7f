package evaluator

import (
	"math"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/evaluator/money"
	"github.com/rubric-dev/rubric/rules"
)

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

// Round rounds d to minor decimal digits with the policy's rounding mode
// (money.Round). Rounding `up` never gives zero for an amount that is not
// zero: apd gives 0 when every digit is dropped, whatever the mode; away
// from zero is one minor unit.
func Round(d *apd.Decimal, minor int, mode rules.Rounding) (*apd.Decimal, error) {
	r := apd.RoundHalfEven
	switch mode {
	case rules.HalfUp:
		r = apd.RoundHalfUp // ties away from zero
	case rules.Down:
		r = apd.RoundDown // toward zero
	case rules.Up:
		r = apd.RoundUp // away from zero
	}
	out := new(apd.Decimal)
	if err := money.Round(out, d, minor, r); err != nil {
		return nil, err
	}
	if out.IsZero() {
		out.Negative = false
		if mode == rules.Up && !d.IsZero() {
			out.Coeff.SetInt64(1)
			out.Negative = d.Negative
		}
	}
	return out, nil
}

// ZeroAmount is 0 written with the currency's minor digits.
func ZeroAmount(minor int) *apd.Decimal {
	return apd.New(0, -int32(minor))
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
