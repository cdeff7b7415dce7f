package engine

import (
	"fmt"
	"strings"
	"testing"
)

// TestOutcomesInOrder: Outcomes yields every outcome in input order on
// several workers (and in key order when asked), each the caller's to
// keep; breaking out stops the run; an unreadable input is yielded as an
// error.
func TestOutcomesInOrder(t *testing.T) {
	p := inputTestPolicy(t)
	var b strings.Builder
	b.WriteString("subject,period,handled,pay\n")
	var want []string
	for i := 0; i < 5000; i++ {
		s := fmt.Sprintf("S%05d", (i*7919)%5000)
		want = append(want, s)
		fmt.Fprintf(&b, "%s,2026-10,%d,100\n", s, i)
	}
	in := writeFile(t, "in.csv", b.String())
	var res *StreamResult
	var got []string
	var kept []string // read after the loop: the outcomes are the caller's
	var keep []*string
	for o, err := range p.Outcomes(Input{Name: in}, StreamOptions{Workers: 4}, &res) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, o.Snapshot.Subject)
		keep = append(keep, &o.Snapshot.Subject)
	}
	for _, s := range keep {
		kept = append(kept, *s)
	}
	if res == nil || res.Failed() || res.Evaluated != 5000 {
		t.Fatalf("result %+v", res)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") || strings.Join(kept, ",") != strings.Join(want, ",") {
		t.Errorf("not in input order, or changed after yield")
	}
	// Key order.
	got = got[:0]
	for o, err := range p.Outcomes(Input{Name: in}, StreamOptions{Workers: 4, InKeyOrder: true}, nil) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, o.Snapshot.Subject)
	}
	for i := 1; i < len(got); i++ {
		if got[i-1] > got[i] {
			t.Fatalf("not in key order at %d: %s > %s", i, got[i-1], got[i])
		}
	}
	// Breaking out.
	n := 0
	for range p.Outcomes(Input{Name: in}, StreamOptions{Workers: 4}, &res) {
		if n++; n == 10 {
			break
		}
	}
	if n != 10 {
		t.Errorf("yielded %d after break", n)
	}
	// Unreadable.
	var errs []error
	for o, err := range p.Outcomes(Input{Name: in + ".missing"}, StreamOptions{}, nil) {
		if o != nil {
			t.Errorf("an outcome from a missing file")
		}
		errs = append(errs, err)
	}
	if len(errs) != 1 || errs[0] == nil {
		t.Errorf("missing file: %v", errs)
	}
}
