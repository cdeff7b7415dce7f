package evaluator

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/cockroachdb/apd/v3"
)

// TestFromFloat checks the string-free conversion against the definition:
// the decimal written by strconv.FormatFloat(f, 'g', -1, 64).
func TestFromFloat(t *testing.T) {
	cases := []float64{0, 1, -1, 12.505, 1000.4 * 0.0125, 0.1, 1e21, 1e-7, 123456789012345678, -0.000123, 300, math.MaxFloat64, math.SmallestNonzeroFloat64, 2.5e-300}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		cases = append(cases, (r.Float64()-0.5)*math.Pow(10, float64(r.IntN(40)-20)))
	}
	for _, f := range cases {
		got, ok := FromFloat(f)
		if !ok {
			t.Fatalf("%v: not converted", f)
		}
		want, _, err := apd.NewFromString(strconv.FormatFloat(f, 'g', -1, 64))
		if err != nil {
			t.Fatal(err)
		}
		if got.Cmp(want) != 0 {
			t.Fatalf("%v: got %s, want %s", f, got.Text('g'), want.Text('g'))
		}
	}
	if _, ok := FromFloat(math.Inf(1)); ok {
		t.Error("infinity converted")
	}
	if d, _ := FromFloat(math.Copysign(0, -1)); d.Negative {
		t.Error("negative zero")
	}
}
