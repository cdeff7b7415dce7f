package evaluator

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"
)

// refDecText is decText as apd prints it: Text('f') without trailing zeros.
func refDecText(d *apd.Decimal) string {
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

// TestDecTextMatchesApd compares the word-division printer with apd's own
// formatting on coefficients of every size around the word boundaries,
// with exponents on both sides of the decimal point, and on the quotients
// a proration makes.
func TestDecTextMatchesApd(t *testing.T) {
	check := func(d *apd.Decimal) {
		t.Helper()
		if got, want := decText(d), refDecText(d); got != want {
			t.Fatalf("decText(%s) = %q, want %q", d.String(), got, want)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range []string{"0", "-0", "0.000", "1", "-1", "10", "1E+3", "-1.5E+2", "0.1", "0.0100", "123.4500",
		"18446744073709551615", "18446744073709551616", "-18446744073709551616E-20", "1E-64", "1E+64", "1E-65", "5E+70",
		"99999999999999999999999999999999999999999999999999999999999999999999999999999",        // 77 digits: four words
		"999999999999999999999999999999999999999999999999999999999999999999999999999999999E-3", // beyond: apd prints it
		"NaN", "Infinity", "-Infinity"} {
		d, _, err := apd.NewFromString(s)
		if err != nil {
			t.Fatal(err)
		}
		check(d)
	}
	for i := 0; i < 20000; i++ {
		n := 1 + rng.IntN(80)
		var b strings.Builder
		if rng.IntN(2) == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(byte('1' + rng.IntN(9)))
		for j := 1; j < n; j++ {
			b.WriteByte(byte('0' + rng.IntN(10)))
		}
		d, _, err := apd.NewFromString(b.String())
		if err != nil {
			t.Fatal(err)
		}
		d.Exponent = int32(rng.IntN(100) - 70)
		check(d)
	}
	ctx := apd.BaseContext.WithPrecision(40)
	for num := int64(0); num <= 31; num++ {
		for den := int64(1); den <= 31; den++ {
			var q apd.Decimal
			if _, err := ctx.Quo(&q, apd.New(num, 0), apd.New(den, 0)); err != nil {
				t.Fatal(err)
			}
			check(&q)
			ctx.Mul(&q, &q, apd.New(328574, -3))
			check(&q)
		}
	}
}
