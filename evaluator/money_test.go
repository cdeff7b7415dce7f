package evaluator

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/rules"
)

// TestFromFloat: a number from an expression becomes the decimal of its
// shortest round-trip digits (SPEC §4), not the float's binary value.
func TestFromFloat(t *testing.T) {
	tenth, fifth, x, rate := 0.1, 0.2, 1000.4, 0.0125 // variables: float arithmetic, not exact constants
	for _, tt := range []struct {
		f    float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "0"}, {1, "1"}, {-1, "-1"}, {0.1, "0.1"}, {12.505, "12.505"},
		{x * rate, "12.505"}, {tenth + fifth, "0.30000000000000004"}, {300, "300"},
		{1e21, "1000000000000000000000"}, {1e-7, "0.0000001"}, {-0.000123, "-0.000123"},
		{123456789012345678, "123456789012345680"}, {2.5e-300, "2.5E-300"},
	} {
		got, ok := FromFloat(tt.f)
		if !ok {
			t.Fatalf("%v: not converted", tt.f)
		}
		text := got.Text('f')
		if tt.f != 0 && (math.Abs(tt.f) < 1e-100) {
			text = got.Text('G')
		}
		if text != tt.want || got.Negative && got.IsZero() {
			t.Errorf("FromFloat(%v) = %s, want %s", tt.f, text, tt.want)
		}
	}
	for _, f := range []float64{math.Inf(1), math.Inf(-1), math.NaN()} {
		if _, ok := FromFloat(f); ok {
			t.Errorf("%v converted", f)
		}
	}
}

// TestRoundMatchesRationals: Round, by apd's Quantize, gives what exact rational arithmetic gives, digit for
// digit and sign for sign, in every mode, for values around ties, both
// signs, zeros, exponents above and below the target, coefficients at the
// edge of a word, and values under a tenth of the minor unit (which apd
// alone drops to 0 whatever the mode; rounded up, they are one unit).
func TestRoundMatchesRationals(t *testing.T) {
	texts := []string{"0", "-0", "0.000", "1", "-1", "0.5", "-0.5", "1.5", "2.5", "-2.5", "0.005", "0.015", "0.025", "-0.025",
		"328.574", "41.07175", "41.075", "41.065", "123456789.125", "1e3", "1.2e5", "-7E+2", "0.0049999", "0.00500001",
		"18446744073709551615", "18446744073709551616", "1844674407370955161.5", "0.18446744073709551615",
		"99999999999999999999.995", "1e-25", "-1e-25", "0.5483870967741935483870967741935484", "340282366920938463463374607431768211455e-38",
		"340282366920938463463374607431768211455e-39", "340282366920938463463374607431768211456e-40", "5e-39", "50000000000000000000000000000000000000e-38", "5e-3", "0.0005", "-0.0005", "1.00000000000000000000001e-30", "123.4500000000000000000001",
		"328.5740000000000000000000000000000000000000000001", "300.0000000000000000000000000000000000000000000005", "-300.0000000000000000000000000000000000000000000005",
		"317.9748387096774193548387096774193548387096774193548387096774193548387096774",
		"0.004999999999999999999999999999999999999999999999999999999999999999999999999"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		c := r.Uint64() >> r.IntN(64)
		e := r.IntN(30) - 22
		sign := ""
		if r.IntN(2) == 0 {
			sign = "-"
		}
		texts = append(texts, fmt.Sprintf("%s%de%d", sign, c, e))
		// Coefficients of up to 128 bits (a quotient's 34 digits and more),
		// with up to 45 digits dropped.
		wide := new(big.Int).Lsh(new(big.Int).SetUint64(r.Uint64()>>r.IntN(64)), 64)
		wide.Or(wide, new(big.Int).SetUint64(r.Uint64()))
		texts = append(texts, fmt.Sprintf("%s%se%d", sign, wide, r.IntN(36)-45)) // under 1e29: amounts stop at 1e15
		// Up to 256 bits (a quotient times an amount: a prorated amount),
		// with up to 80 digits dropped, and some with nothing left after.
		wider := new(big.Int)
		for range 1 + r.IntN(4) {
			wider.Lsh(wider, 64).Or(wider, new(big.Int).SetUint64(r.Uint64()>>r.IntN(64)))
		}
		digits := len(wider.String())
		texts = append(texts, fmt.Sprintf("%s%se%d", sign, wider, r.IntN(20)-digits-3+12)) // around 1e12 and below
		texts = append(texts, fmt.Sprintf("%s%se%d", sign, wider, -digits-r.IntN(10)))     // under 1
	}
	for _, text := range texts {
		d, _, err := apd.NewFromString(text)
		if err != nil {
			t.Fatal(err)
		}
		x, ok := new(big.Rat).SetString(text)
		if !ok {
			t.Fatalf("%s: not a rational", text)
		}
		for _, minor := range []int{0, 2, 3} {
			for _, mode := range []rules.Rounding{rules.HalfEven, rules.HalfUp, rules.Down, rules.Up} {
				want := ratRoundMinor(x, minor, mode)
				got, err := Round(d, minor, mode)
				if err != nil {
					t.Fatalf("Round(%s, %d, %v): %v", text, minor, mode, err)
				}
				if got.Text('f') != want || got.Exponent != -int32(minor) {
					t.Fatalf("Round(%s, %d, %v) = %s (exp %d), want %s", text, minor, mode, got.Text('f'), got.Exponent, want)
				}
			}
		}
	}
}

// ratRoundMinor rounds x to minor decimals in mode with math/big only: the
// oracle of TestRoundMatchesRationals.
func ratRoundMinor(x *big.Rat, minor int, mode rules.Rounding) string {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(minor)), nil)
	scaled := new(big.Rat).Mul(x, new(big.Rat).SetInt(scale))
	q, r := new(big.Int).QuoRem(scaled.Num(), scaled.Denom(), new(big.Int)) // toward zero
	if r.Sign() != 0 {
		cmp := new(big.Int).Mul(new(big.Int).Abs(r), big.NewInt(2)).Cmp(scaled.Denom())
		away := false
		switch mode {
		case rules.Up:
			away = true
		case rules.HalfUp:
			away = cmp >= 0
		case rules.HalfEven:
			away = cmp > 0 || (cmp == 0 && q.Bit(0) == 1)
		}
		if away {
			q.Add(q, big.NewInt(int64(x.Sign())))
		}
	}
	out := new(big.Rat).SetFrac(q, scale).FloatString(minor)
	if strings.TrimLeft(out, "-0.") == "" {
		out = strings.TrimPrefix(out, "-")
	}
	return out
}

func TestTooLarge(t *testing.T) {
	for text, want := range map[string]bool{"0": false, "-0": false, "999999999999999.99": false, "-999999999999999.999999": false,
		"1e15": true, "-1e15": true, "1000000000000000.00": true, "0.1e16": true, "100e13": true, "99e13": false, "Infinity": true, "-Infinity": true} {
		d, _, err := apd.NewFromString(text)
		if err != nil {
			t.Fatal(err)
		}
		if got := tooLarge(d); got != want {
			t.Errorf("tooLarge(%s) = %v, want %v", text, got, want)
		}
	}
}
