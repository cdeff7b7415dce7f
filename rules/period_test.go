package rules

import (
	"sync"
	"testing"
)

// TestPeriodIndex: consecutive periods have consecutive indexes, and
// PeriodAt inverts Index, across year ends.
func TestPeriodIndex(t *testing.T) {
	pairs := [][2]string{{"2025-12", "2026-01"}, {"2025-W52", "2026-W01"}, {"2026-W53", "2027-W01"}, {"2025-Q4", "2026-Q1"},
		{"2025-H2", "2026-H1"}, {"2026-H1", "2026-H2"}, {"2025", "2026"}, {"2025-12-31", "2026-01-01"}, {"2024-02-28", "2024-02-29"}}
	for _, pr := range pairs {
		a, err1 := ParsePeriod(pr[0])
		b, err2 := ParsePeriod(pr[1])
		if err1 != nil || err2 != nil {
			t.Fatalf("%v %v", err1, err2)
		}
		if b.Index() != a.Index()+1 {
			t.Errorf("%s → %s: indexes %d, %d", pr[0], pr[1], a.Index(), b.Index())
		}
		for _, p := range []Period{a, b} {
			if got := PeriodAt(p.Kind, p.Index()); got.Label != p.Label {
				t.Errorf("PeriodAt(%s) = %s", p.Label, got.Label)
			}
		}
	}
	h, err := ParsePeriod("2026-H2")
	if err != nil || h.StartDate() != "2026-07-01" || h.EndDate() != "2026-12-31" || h.Days != 184 {
		t.Errorf("2026-H2: %v %+v", err, h)
	}
	// A Period not made by ParsePeriod formats its bounds when asked.
	if p := (Period{Start: h.Start, End: h.End}); p.StartDate() != "2026-07-01" || p.EndDate() != "2026-12-31" {
		t.Errorf("bounds of a Period made whole: %s to %s", p.StartDate(), p.EndDate())
	}
}

// TestFingerprintConcurrent: the fingerprint is computed once, safely, when
// goroutines ask for it at the same time (go test -race).
func TestFingerprintConcurrent(t *testing.T) {
	s := newScope()
	s.add("a", TypeNumber, StageDerived, DeclMetric, "a")
	var wg sync.WaitGroup
	got := make([]string, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = s.FingerprintHash()
		}()
	}
	wg.Wait()
	for _, g := range got {
		if g != got[0] || g == "" {
			t.Fatalf("fingerprints differ: %v", got)
		}
	}
}
