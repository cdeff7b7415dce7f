package evaluator

import (
	"cmp"
	"math"
	"math/bits"
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
// with precision -1). The digits are read straight from strconv's output,
// so no string is built.
func FromFloat(f float64) (*apd.Decimal, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, false
	}
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], f, 'e', -1, 64) // [-]d[.ddd]e±dd
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	var coeff int64
	frac, i := 0, 0
	for ; b[i] != 'e'; i++ {
		if b[i] == '.' {
			frac = -1
			continue
		}
		coeff = coeff*10 + int64(b[i]-'0') // at most 17 digits: fits
		if frac < 0 {
			frac--
		}
	}
	if frac < 0 {
		frac = -frac - 1
	}
	expNeg := b[i+1] == '-'
	exp := 0
	for _, c := range b[i+2:] {
		exp = exp*10 + int(c-'0')
	}
	if expNeg {
		exp = -exp
	}
	d := new(apd.Decimal)
	d.SetFinite(coeff, int32(exp-frac))
	d.Negative = neg && coeff != 0
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

// cmpDec is a.Cmp(b). apd's Cmp brings the two coefficients to one
// exponent when their leading digits stand at the same place, and its
// multiplication allocates once an operand has two words (a quotient's 34
// digits compared with a cap of 900, at every cap, floor and bound): here
// coefficients of up to 128 bits are aligned in machine words.
func cmpDec(a, b *apd.Decimal) int {
	if a.Form != apd.Finite || b.Form != apd.Finite || a.Exponent == b.Exponent {
		return a.Cmp(b)
	}
	sa, sb := a.Sign(), b.Sign()
	switch {
	case sa != sb:
		return cmp.Compare(sa, sb)
	case sa == 0:
		return 0
	}
	// One past the place of the leading digit: equal for equal magnitudes.
	ta, tb := int64(a.Exponent)+a.NumDigits(), int64(b.Exponent)+b.NumDigits()
	if ta != tb {
		return sa * cmp.Compare(int(ta-tb), 0)
	}
	ah, al, aok := coeff128(a)
	bh, bl, bok := coeff128(b)
	if !aok || !bok {
		return a.Cmp(b)
	}
	var ok bool
	if a.Exponent > b.Exponent { // a has the fewer digits: as many as b once scaled
		ah, al, ok = mulPow10(ah, al, int(a.Exponent-b.Exponent))
	} else {
		bh, bl, ok = mulPow10(bh, bl, int(b.Exponent-a.Exponent))
	}
	if !ok {
		return a.Cmp(b)
	}
	c := cmp.Compare(ah, bh)
	if c == 0 {
		c = cmp.Compare(al, bl)
	}
	return sa * c
}

// coeff128 is d's coefficient as two machine words, when it fits.
func coeff128(d *apd.Decimal) (hi, lo uint64, ok bool) {
	if bits.UintSize != 64 || d.Coeff.BitLen() > 128 {
		return 0, 0, false
	}
	switch w := d.Coeff.Bits(); len(w) {
	case 2:
		return uint64(w[1]), uint64(w[0]), true
	case 1:
		return 0, uint64(w[0]), true
	}
	return 0, 0, true
}

// mulPow10 is hi:lo × 10^k, when it fits in 128 bits.
func mulPow10(hi, lo uint64, k int) (uint64, uint64, bool) {
	for k > 0 {
		s := min(k, len(pow10)-1)
		p := pow10[s]
		h1, l := bits.Mul64(lo, p)
		h2, l2 := bits.Mul64(hi, p)
		h, carry := bits.Add64(h1, l2, 0)
		if h2 != 0 || carry != 0 {
			return 0, 0, false
		}
		hi, lo, k = h, l, k-s
	}
	return hi, lo, true
}

func minDec(a, b *apd.Decimal) *apd.Decimal {
	if cmpDec(a, b) <= 0 {
		return a
	}
	return b
}

func maxDec(a, b *apd.Decimal) *apd.Decimal {
	if cmpDec(a, b) >= 0 {
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

// pow10 holds the powers of ten a uint64 holds.
var pow10 = func() (p [20]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// ZeroAmount is 0 written with the currency's minor digits.
func ZeroAmount(minor int) *apd.Decimal {
	return Round(decZero, minor, rules.HalfEven)
}

// decText prints a decimal for explanations: no exponent, no trailing
// zeros (amounts keep their minor digits where they are printed).
func decText(d *apd.Decimal) string {
	var buf [64]byte
	return string(appendDecText(buf[:0], d))
}

// appendDecText appends decText(d) to b. Its digits come from a division
// of the coefficient's words by 10¹⁹ (math/bits) rather than from
// math/big's conversion, which, for the 30-to-40-digit quotients of a
// proration, cost a tenth of a payroll run; apd's own formatting is the
// fallback for what does not fit (it also trims no zeros by Reduce, which
// divides by ten over and over).
func appendDecText(b []byte, d *apd.Decimal) []byte {
	if d.IsZero() {
		return append(b, '0')
	}
	var scratch [80]byte
	digits, ok := coeffDigits(scratch[:0], &d.Coeff)
	if !ok || d.Form != apd.Finite || d.Exponent > 64 || d.Exponent < -64 {
		s := d.Text('f')
		if strings.IndexByte(s, '.') >= 0 {
			s = strings.TrimRight(s, "0")
			s = strings.TrimSuffix(s, ".")
		}
		return append(b, s...)
	}
	if d.Negative {
		b = append(b, '-')
	}
	if d.Exponent >= 0 {
		b = append(b, digits...)
		for range d.Exponent {
			b = append(b, '0')
		}
		return b
	}
	point := len(digits) + int(d.Exponent) // digits before the decimal point
	var frac []byte
	if point > 0 {
		b = append(b, digits[:point]...)
		frac = digits[point:]
	} else {
		b = append(b, '0')
		frac = digits
	}
	for len(frac) > 0 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	if len(frac) == 0 {
		return b
	}
	b = append(b, '.')
	for ; point < 0; point++ {
		b = append(b, '0')
	}
	return append(b, frac...)
}

// coeffDigits appends the decimal digits of a coefficient of at most four
// 64-bit words; false when it is larger (or words are not 64 bits).
func coeffDigits(b []byte, c *apd.BigInt) ([]byte, bool) {
	if c.IsUint64() {
		return strconv.AppendUint(b, c.Uint64(), 10), true
	}
	const chunk = 10_000_000_000_000_000_000 // 10¹⁹, the largest power of ten in a word
	words := c.Bits()
	if bits.UintSize != 64 || len(words) > 4 {
		return b, false
	}
	var w [4]uint64
	n := len(words)
	for i, x := range words {
		w[i] = uint64(x)
	}
	var chunks [4]uint64 // 19-digit groups, least significant first
	k := 0
	for n > 1 {
		var r uint64
		for i := n - 1; i >= 0; i-- {
			w[i], r = bits.Div64(r, w[i], chunk)
		}
		chunks[k] = r
		k++
		for n > 1 && w[n-1] == 0 {
			n--
		}
	}
	b = strconv.AppendUint(b, w[0], 10)
	for k--; k >= 0; k-- {
		var tmp [19]byte
		x := chunks[k]
		for i := 18; i >= 0; i-- {
			tmp[i] = byte('0' + x%10)
			x /= 10
		}
		b = append(b, tmp[:]...)
	}
	return b, true
}
