package dsl

import (
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestShortestMatchesBigFloat checks the fast path against big.Float's own
// shortest-digit search on the numbers policies hold and on awkward ones.
func TestShortestMatchesBigFloat(t *testing.T) {
	texts := []string{
		"0", "-0", "1", "-1", "0.1", "0.2", "0.3", "1.5", "1.50", "0.875", "90", "300", "2987.22",
		"1000000", "1e6", "123456", "1234567", "0.0001", "0.00001", "1e-7", "1e21", "1e22", "1e300", "1e-300",
		"0.30000000000000004", "9007199254740993", "12345678901234567890", "3.141592653589793238462643383279",
		"0.1000000000000000055511151231257827021181583404541015625", "9.31322574615478515625e-10",
		"1e400", "1e-400", "123456789012345678901234567890.123456789", "2.5e-8", "99999999999999999",
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5000; i++ {
		digits := 1 + r.IntN(20)
		n := r.Int64N(1_000_000_000_000_000_000)
		s := strconv.FormatInt(n, 10)
		if len(s) > digits {
			s = s[:digits]
		}
		exp := r.IntN(40) - 20
		texts = append(texts, s+"e"+strconv.Itoa(exp))
		if i%7 == 0 {
			texts = append(texts, "-"+s+"e"+strconv.Itoa(exp))
		}
	}
	for _, s := range texts {
		f, _, err := big.ParseFloat(s, 10, 512, big.ToNearestEven)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if got, want := shortest(f), f.Text('g', -1); got != want {
			t.Errorf("shortest(%s) = %s, big.Float says %s", s, got, want)
		}
	}
}

func BenchmarkShortest(b *testing.B) {
	f, _, _ := big.ParseFloat("2987.22", 10, 512, big.ToNearestEven)
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			_ = shortest(f)
		}
	})
	b.Run("big", func(b *testing.B) {
		for b.Loop() {
			_ = f.Text('g', -1)
		}
	})
}
