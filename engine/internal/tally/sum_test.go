package tally

import (
	"math"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/evaluator/money"
)

// apdSum is the sum decSum stands in for: every value parsed by apd and
// added with money.Add from 0, floats through their shortest decimal's
// text, as the rollup summed before decSum.
func apdSum(texts []string, floats []float64) (string, bool) {
	var sum apd.Decimal
	for _, t := range texts {
		var d apd.Decimal
		if _, _, err := d.SetString(t); err != nil {
			continue
		}
		if money.Add(&sum, &sum, &d) != nil {
			return "", false
		}
	}
	for _, f := range floats {
		d, ok := evaluator.FromFloat(f)
		if !ok {
			continue
		}
		var t apd.Decimal
		if _, _, err := t.SetString(d.Text('f')); err != nil {
			continue
		}
		if money.Add(&sum, &sum, &t) != nil {
			return "", false
		}
	}
	return sum.Text('f'), true
}

func fastSum(texts []string, floats []float64, split int) (string, bool) {
	var a, b decSum
	for i, t := range texts {
		s := &a
		if i%2 == 1 && split > 0 {
			s = &b // two partial sums, merged: as two workers' groups are
		}
		s.addText(t)
	}
	for _, f := range floats {
		a.addFloat(f)
	}
	a.addSum(&b)
	var d apd.Decimal
	if a.value(&d) != nil {
		return "", false
	}
	return d.Text('f'), true
}

// FuzzDecSum holds the int64 fast path of sums to apd: for any cells and
// numbers, in one sum or two merged, the text of the sum is apd's.
func FuzzDecSum(f *testing.F) {
	for _, s := range []string{
		"1,2.50,-3.125", "999999999999999999,999999999999999999,1",
		"-999999999999999999,-999999999999999999,0.000000000000000001",
		"0.1,0.22,0.333,-0.4444", "-0,-0.00,0", "1E3,5.,.5,+4,-.5", "12345678901234567890.5,1",
		"922337203685477580.7,922337203685477580.7", "x,,-,.", "0000000000000000001.5",
	} {
		f.Add(s, 1.5, 120.0, 1)
	}
	f.Add("", 1e300, -1e-300, 0)
	f.Add("1", math.MaxFloat64, math.SmallestNonzeroFloat64, 0)
	f.Add("1", 9.223372036854776e18, -9.223372036854776e18, 1)
	f.Fuzz(func(t *testing.T, cells string, x, y float64, split int) {
		texts := strings.Split(cells, ",")
		floats := []float64{x, y, x}
		want, wok := apdSum(texts, floats)
		got, gok := fastSum(texts, floats, split)
		if wok != gok || got != want {
			t.Fatalf("%q %v: decSum %q (%v), apd %q (%v)", cells, floats, got, gok, want, wok)
		}
	})
}
