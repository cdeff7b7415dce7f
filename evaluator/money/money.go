// Package money is where amounts are added, subtracted, compared and
// written, for every part of rubric that handles what payroll sees: one
// exact context, checked operations (an overflow or an invalid operation
// is an error, never a silently wrong amount), totals carried as decimals
// and written with the currency's minor digits.
//
// An incentive's own arithmetic (its expressions in exact decimal, its
// rounding mode) is the evaluator's; what happens to amounts after it —
// totals, differences, corrections, formatting — happens here.
package money

import (
	"fmt"

	"github.com/cockroachdb/apd/v3"
)

// Exact adds, subtracts and multiplies without rounding (precision 0),
// within exponents no amount comes near (a hostile expression cannot
// build numbers of unbounded size), every condition but inexactness an
// error. The evaluator's decimal programs run in it too. Read only.
var Exact = exact

// Quotient divides to 34 significant digits, half to even (IEEE 754
// decimal128): the decimal programs' and Ratio's division. Read only.
var Quotient = ratio

var exact = func() *apd.Context {
	c := apd.BaseContext
	c.MaxExponent, c.MinExponent = 4000, -4000
	c.Traps = apd.DefaultTraps
	return &c
}()

// digits rounds to a number of decimal places (Quantize needs a
// precision); half up, as amounts already at their minor digits never
// round.
var digits = func() *apd.Context {
	c := exact.WithPrecision(1000)
	c.Rounding = apd.RoundHalfUp
	return c
}()

// ratio divides for percentages of change: 34 significant digits, half
// even (IEEE 754 decimal128).
var ratio = func() *apd.Context {
	c := exact.WithPrecision(34)
	c.Rounding = apd.RoundHalfEven
	return c
}()

func check(op string, _ apd.Condition, err error) error {
	if err != nil {
		return fmt.Errorf("money: %s: %w", op, err)
	}
	return nil
}

// Add sets dst to a + b, exactly.
func Add(dst, a, b *apd.Decimal) error {
	c, err := exact.Add(dst, a, b)
	return check("add", c, err)
}

// Sub sets dst to a − b, exactly.
func Sub(dst, a, b *apd.Decimal) error {
	c, err := exact.Sub(dst, a, b)
	return check("subtract", c, err)
}

// Ratio sets dst to a / b to 34 significant digits.
func Ratio(dst, a, b *apd.Decimal) error {
	c, err := ratio.Quo(dst, a, b)
	return check("divide", c, err)
}

// Parse reads a decimal amount as payroll files write it.
func Parse(s string) (*apd.Decimal, error) {
	d, _, err := apd.NewFromString(s)
	if err != nil {
		return nil, fmt.Errorf("money: %q is not a decimal amount", s)
	}
	return d, nil
}

// Format writes d with exactly minor digits (0.00, never 0; never -0.00).
func Format(d *apd.Decimal, minor int) string {
	var b [64]byte
	return string(AppendFormat(b[:0], d, minor))
}

// AppendFormat appends Format(d, minor) to b.
func AppendFormat(b []byte, d *apd.Decimal, minor int) []byte {
	var q apd.Decimal
	if _, err := digits.Quantize(&q, d, -int32(minor)); err != nil {
		// A value past 1000 digits: written as it is rather than lost.
		return d.Append(b, 'f')
	}
	if q.IsZero() {
		q.Negative = false
	}
	return q.Append(b, 'f')
}

// Total sums amounts exactly. The zero Total is 0. The first failed
// operation is kept (Err) and the sum stops changing.
type Total struct {
	sum apd.Decimal
	err error
}

// Add adds d (nil: nothing).
func (t *Total) Add(d *apd.Decimal) {
	if d == nil || t.err != nil {
		return
	}
	t.err = Add(&t.sum, &t.sum, d)
}

// AddTotal adds another total.
func (t *Total) AddTotal(o *Total) {
	if o.err != nil && t.err == nil {
		t.err = o.err
	}
	t.Add(&o.sum)
}

// Decimal is the sum so far.
func (t *Total) Decimal() *apd.Decimal { return &t.sum }

// Format writes the sum with minor digits.
func (t *Total) Format(minor int) string { return Format(&t.sum, minor) }

// Err is the first failed operation, or nil.
func (t *Total) Err() error { return t.err }

// Round sets dst to d rounded to minor decimal places in the rounding
// mode r (apd.RoundHalfEven, RoundHalfUp, RoundDown, RoundUp): an
// incentive's amount, to the currency's minor unit.
func Round(dst, d *apd.Decimal, minor int, r apd.Rounder) error {
	c := *digits
	c.Rounding = r
	cond, err := c.Quantize(dst, d, -int32(minor))
	return check("round", cond, err)
}

// Quantize sets dst to d with exactly minor digits (half up).
func Quantize(dst, d *apd.Decimal, minor int) error {
	c, err := digits.Quantize(dst, d, -int32(minor))
	return check("round", c, err)
}
