package pipeline

import (
	"slices"
	"testing"
)

// TestOrderedKeepsInputOrder: batches processed on several workers are
// taken in the order they were filled, every entry once.
func TestOrderedKeepsInputOrder(t *testing.T) {
	next := 0
	fill := func(entries []int) ([]int, bool) {
		for len(entries) < cap(entries) && next < 10_000 {
			entries = append(entries, next)
			next++
		}
		return entries, next < 10_000
	}
	double := func() func([]int) {
		return func(entries []int) {
			for i := range entries {
				entries[i] *= 2
			}
		}
	}
	var got []int
	Ordered(4, 7, fill, double, func(entries []int, panicked any) bool {
		if panicked != nil {
			t.Fatal(panicked)
		}
		got = append(got, entries...)
		return true
	})
	want := make([]int, 10_000)
	for i := range want {
		want[i] = 2 * i
	}
	if !slices.Equal(got, want) {
		t.Fatalf("took %d entries, not in input order or not each once", len(got))
	}
}

// TestOrderedStopsAndPassesPanics: once take says stop, fill is not
// called again; a worker's panic reaches take with its batch.
func TestOrderedStopsAndPassesPanics(t *testing.T) {
	fills, taken := 0, 0
	fill := func(entries []int) ([]int, bool) {
		fills++
		return append(entries, fills), true // endless
	}
	boom := func() func([]int) {
		return func(entries []int) {
			if entries[0] == 3 {
				panic("boom")
			}
		}
	}
	var caught any
	Ordered(2, 1, fill, boom, func(entries []int, panicked any) bool {
		taken++
		if panicked != nil {
			caught = panicked
			return false
		}
		return true
	})
	if caught != "boom" || taken != 3 {
		t.Fatalf("caught %v after %d batches, want boom after 3", caught, taken)
	}
	if fills > 3+2*2+2+1 {
		t.Errorf("fill called %d times after the stop", fills)
	}
}
