package evaluator

import (
	"testing"

	"github.com/cockroachdb/apd/v3"
)

// TestDecText: a decimal as explanations print it, with no exponent and
// no trailing zeros, whatever its coefficient and exponent.
func TestDecText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"0", "0"}, {"-0", "0"}, {"0.000", "0"}, {"-0.00", "0"},
		{"1", "1"}, {"-1", "-1"}, {"10", "10"}, {"1E+3", "1000"}, {"-1.5E+2", "-150"},
		{"0.1", "0.1"}, {"0.0100", "0.01"}, {"123.4500", "123.45"}, {"120.00", "120"},
		{"18446744073709551616", "18446744073709551616"},
		{"-18446744073709551616E-20", "-0.18446744073709551616"},
		{"1E-5", "0.00001"},
		{"0.5483870967741935483870967741935484", "0.5483870967741935483870967741935484"},
		{"317.97483870967741935483870967741935E+1", "3179.7483870967741935483870967741935"},
	} {
		d, _, err := apd.NewFromString(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := decText(d); got != tt.want {
			t.Errorf("decText(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
