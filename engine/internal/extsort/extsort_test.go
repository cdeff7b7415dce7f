package extsort

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
)

func TestSortSpillsAndMerges(t *testing.T) {
	for _, limit := range []int{1 << 30, 500, 64, 1} { // in memory, a few runs, many runs, more runs than MaxFanIn (merged in passes)
		s := New(t.TempDir(), limit)
		r := rand.New(rand.NewPCG(1, 2))
		var want []string
		for i := 0; i < 1000; i++ {
			k := fmt.Sprintf("k%03d", r.IntN(300)) // repeated keys keep insertion order
			v := fmt.Sprintf("%s#%04d", k, i)
			want = append(want, v)
			if err := s.Add(k, []byte(v)); err != nil {
				t.Fatal(err)
			}
		}
		sort.SliceStable(want, func(i, j int) bool { return want[i][:4] < want[j][:4] })
		var got []string
		if err := s.Each(func(v []byte) error { got = append(got, string(v)); return nil }); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if len(got) != len(want) {
			t.Fatalf("limit %d: %d values, want %d", limit, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("limit %d: value %d is %s, want %s", limit, i, got[i], want[i])
			}
		}
	}
}
