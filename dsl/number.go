package dsl

import (
	"math/big"
	"strconv"
)

// shortest returns the shortest decimal text that reads back as f at f's
// precision, exactly what f.Text('g', -1) returns. HCL reads number literals
// at 512 bits, where big.Float's shortest-digit search costs about ten
// microseconds a number, a millisecond for an ordinary policy at every start.
// A literal a person writes has a handful of digits: the float64 nearest f
// prints them (strconv), and reading that text back at f's precision proves
// they are f's shortest digits (no shorter decimal can fall inside f's far
// narrower rounding interval, and two decimals of that length cannot both
// fall inside it). Anything else takes big.Float's own search.
func shortest(f *big.Float) string {
	if x, _ := f.Float64(); x != 0 && !isInfOrNaN(x) {
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if back, _, err := big.ParseFloat(s, 10, f.Prec(), f.Mode()); err == nil && back.Cmp(f) == 0 {
			return s
		}
	}
	return f.Text('g', -1)
}

func isInfOrNaN(x float64) bool { return x-x != 0 }
