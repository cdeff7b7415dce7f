package evaluator

import (
	"errors"
	"math"
	"strconv"

	"github.com/cockroachdb/apd/v3"
)

// The function library shared by CEL and expr. Both backends call these, so
// the two languages compute the same numbers.

// errDivZero is returned by ratio and nps when the denominator is zero; the
// rule that owns the expression gets no_data with reason "division by zero".
var errDivZero = errors.New("division by zero")

func fnMin(xs ...float64) float64 {
	m := xs[0]
	for _, x := range xs[1:] {
		if x < m || math.IsNaN(x) {
			m = x
		}
	}
	return m
}

func fnMax(xs ...float64) float64 {
	m := xs[0]
	for _, x := range xs[1:] {
		if x > m || math.IsNaN(x) {
			m = x
		}
	}
	return m
}

func fnClamp(x, lo, hi float64) float64 {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}

func fnRatio(a, b float64) (float64, error) {
	if b == 0 {
		return 0, errDivZero
	}
	return a / b, nil
}

func fnNPS(p, pa, d float64) (float64, error) {
	n := p + pa + d
	if n == 0 {
		return 0, errDivZero
	}
	return 100 * (p - d) / n, nil
}

// fnRound rounds x to digits decimal places, half away from zero, on the
// shortest decimal form of x (so round(1.005, 2) is 1.01, as written).
func fnRound(x, digits float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	d, _, err := apd.NewFromString(strconv.FormatFloat(x, 'g', -1, 64))
	if err != nil {
		return math.NaN()
	}
	n := int32(math.Trunc(digits))
	ctx := apd.BaseContext.WithPrecision(40)
	ctx.Rounding = apd.RoundHalfUp
	var out apd.Decimal
	if _, err := ctx.Quantize(&out, d, -n); err != nil {
		return math.NaN()
	}
	f, err := out.Float64()
	if err != nil {
		return math.NaN()
	}
	return f
}
