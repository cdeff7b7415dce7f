package input

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSpillingKeys: a set that moves to disk reports the duplicates it
// saw in memory at once and the others at the end, by line, with the line
// each key was first read on, whether that was in memory or on disk; its
// files are gone afterwards.
func TestSpillingKeys(t *testing.T) {
	k := NewSpillingKeys(3)
	add := func(subject string, line int) (int, bool) {
		f, d := k.Add(subject, "2026-10", int64(line), 7)
		return int(f), d
	}
	add("A", 1)
	add("B", 2)
	if first, dup := add("A", 3); !dup || first != 1 {
		t.Fatalf("in memory: A at line 3 gives (%d, %v), want (1, true)", first, dup)
	}
	add("C", 4) // the third key: the set moves to disk
	if k.dir == "" {
		t.Fatal("the set did not move to disk at its limit")
	}
	dir := k.dir
	for i := range 200 {
		if _, dup := add(fmt.Sprintf("S%d", i), 10+i); dup {
			t.Fatal("a set on disk reported a duplicate at once")
		}
	}
	long := strings.Repeat("Z", 3<<20) // a subject of 3 MiB: as long as a cell can be
	add(long, 250)
	add("S5", 300) // first read on disk
	add("B", 301)  // first read in memory
	add("S199", 302)
	add("B", 303)
	add(long, 304)
	late, err := k.Late()
	if err != nil {
		t.Fatal(err)
	}
	want := []Duplicate{
		{Line: 300, Column: 7, First: 15, Subject: "S5", Period: "2026-10"},
		{Line: 301, Column: 7, First: 2, Subject: "B", Period: "2026-10"},
		{Line: 302, Column: 7, First: 209, Subject: "S199", Period: "2026-10"},
		{Line: 303, Column: 7, First: 2, Subject: "B", Period: "2026-10"},
		{Line: 304, Column: 7, First: 250, Subject: long, Period: "2026-10"},
	}
	if diff := cmp.Diff(want, late); diff != "" {
		t.Errorf("late duplicates (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the partition files are still there: %v", err)
	}
}

// TestKeysStayInMemory: a set made by NewKeys, and one made by
// NewSpillingKeys that cannot make its partition files, keep every key in
// memory: each duplicate is told at once and none is left for Late.
func TestKeysStayInMemory(t *testing.T) {
	for name, tc := range map[string]struct {
		keys func(t *testing.T) *Keys
		n    int
	}{
		"NewKeys": {func(*testing.T) *Keys { return NewKeys() }, 1000},
		"no temporary space": {func(t *testing.T) *Keys {
			t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
			return NewSpillingKeys(2)
		}, 10},
	} {
		t.Run(name, func(t *testing.T) {
			k := tc.keys(t)
			for i := range tc.n {
				k.Add(fmt.Sprint(i), "2026-10", int64(i+1), 1)
			}
			last := tc.n - 1
			if first, dup := k.Add(fmt.Sprint(last), "2026-10", int64(2*tc.n), 1); !dup || first != int64(last+1) {
				t.Fatalf("got (%d, %v), want (%d, true)", first, dup, last+1)
			}
			if late, err := k.Late(); err != nil || late != nil {
				t.Fatalf("late duplicates of a set in memory: %v, %v", late, err)
			}
		})
	}
}

// BenchmarkKeys: the cost of a key in the duplicate check, held in memory
// and moved to disk past 65,536 keys (the stream's setting), with the check
// at the end included; reported per key.
func BenchmarkKeys(b *testing.B) {
	const n = 500_000
	subjects := make([]string, n)
	for i := range subjects {
		subjects[i] = fmt.Sprintf("A-%d", i)
	}
	for _, bc := range []struct {
		name  string
		limit int
	}{{"memory", 0}, {"disk", 1 << 16}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				k := NewSpillingKeys(bc.limit)
				for i, s := range subjects {
					k.Add(s, "2026-10", int64(i+2), 1)
				}
				if late, err := k.Late(); err != nil || len(late) != 0 {
					b.Fatal(late, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key")
		})
	}
}
