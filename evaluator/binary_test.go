package evaluator_test

import (
	"testing"

	"github.com/rubric-dev/rubric/evaluator"
)

// TestSnapshotBinaryRoundTrip: a snapshot written by AppendBinary and read
// back by a SnapshotDecoder (into a recycled snapshot, across periods)
// evaluates to the same outcome, exact input decimals included; truncated
// bytes are an error, never a panic.
func TestSnapshotBinaryRoundTrip(t *testing.T) {
	p := amountPolicy(t, "cel", "base_pay * 1", "down")
	slot := func(name string) int {
		d, ok := p.Scope.Lookup(name)
		if !ok {
			t.Fatalf("no name %s", name)
		}
		return d.Slot
	}
	var dec evaluator.SnapshotDecoder
	into := evaluator.NewSnapshot(p)
	ev := evaluator.New(p, evaluator.Options{Explain: true})
	for _, label := range []string{"2026-10", "2026-10", "2026-11", "2026-10", "2026-12", "2026-11"} { // periods coming back
		s := evaluator.NewSnapshot(p)
		s.Subject, s.Team, s.HasTeam, s.Line, s.HistoryOnly = "Zoë", "north", true, 42, label != "2026-10"
		s.Period = mustPeriod(t, label)
		s.Values[slot("base_pay")] = evaluator.Num(0.0099999999999999999)
		s.SetExact(slot("base_pay"), "0.0099999999999999999")
		b := s.AppendBinary(nil)

		into.Reset()
		if err := dec.DecodeInto(into, b); err != nil {
			t.Fatal(err)
		}
		if into.Subject != s.Subject || into.Team != s.Team || !into.HasTeam || into.Line != 42 || into.HistoryOnly != s.HistoryOnly || into.Period != s.Period {
			t.Fatalf("decoded %+v, want %+v", into, s)
		}
		want, got := ev.Evaluate(s, nil), ev.Evaluate(into, nil)
		if w, g := want.Incentives[0].Amount.Text('f'), got.Incentives[0].Amount.Text('f'); w != g || g != "0.00" {
			t.Errorf("amount from the decoded snapshot %s, from the original %s, want 0.00", g, w)
		}
		for n := range len(b) {
			if err := dec.DecodeInto(evaluator.NewSnapshot(p), b[:n]); err == nil {
				t.Fatalf("%d of %d bytes decoded without error", n, len(b))
			}
		}
	}
}
