package extsort

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
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
			if err := s.Add([]byte(k), []byte(v)); err != nil {
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

// TestSortedStretchesMakeFewRuns: input that arrives in order continues
// one run however often the buffer spills, and input in k sorted
// stretches makes k runs; the output is sorted either way.
func TestSortedStretchesMakeFewRuns(t *testing.T) {
	for _, stretches := range []int{1, 3, 12} {
		t.Run(fmt.Sprintf("%d stretches", stretches), func(t *testing.T) {
			s := New(t.TempDir(), 256) // spills every few records
			defer s.Close()
			var want []string
			for st := 0; st < stretches; st++ {
				for i := 0; i < 200; i++ {
					k := fmt.Sprintf("k%04d-%02d", i, st) // each stretch is sorted; the next starts below its end
					want = append(want, k)
					if err := s.Add([]byte(k), []byte("v"+k)); err != nil {
						t.Fatal(err)
					}
				}
			}
			if got := s.Runs(); got != stretches {
				t.Errorf("%d runs, want %d", got, stretches)
			}
			sort.Strings(want)
			i := 0
			err := s.Each(func(v []byte) error {
				if string(v) != "v"+want[i] {
					return fmt.Errorf("value %d is %s, want v%s", i, v, want[i])
				}
				i++
				return nil
			})
			if err != nil || i != len(want) {
				t.Fatalf("%v after %d of %d values", err, i, len(want))
			}
		})
	}
}

// TestSpillErrorIsReturned: a spill that fails behind the caller's back
// fails a later Add or Each, and the sorter stops holding records.
func TestSpillErrorIsReturned(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "missing"), 64)
	defer s.Close()
	var addErr error
	for i := 0; i < 1000 && addErr == nil; i++ {
		addErr = s.Add([]byte(fmt.Sprintf("k%04d", 999-i)), []byte("value"))
	}
	if addErr == nil {
		t.Fatal("Add never reported the failed spill")
	}
	for i := 0; i < 1000; i++ {
		s.Add([]byte("k"), []byte("value"))
	}
	if n := len(s.cur.items); n > 64 {
		t.Errorf("%d records held after the sort failed", n)
	}
	if err := s.Each(func([]byte) error { return nil }); err == nil {
		t.Fatal("Each succeeded after a failed spill")
	}
}
