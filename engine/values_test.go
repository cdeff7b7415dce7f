package engine

import (
	"strings"
	"testing"
)

// TestChecker: values given as data are checked as input is — a bad value
// is reported at its line and column, a second snapshot of the same
// subject and period is a duplicate.
func TestChecker(t *testing.T) {
	p := inputTestPolicy(t)
	c := p.NewChecker("t.test.hcl")
	vals := func(handled Value) []Value {
		return []Value{
			handled,
			{Name: "pay", Kind: ValueString, Text: "1000", Line: 5, Column: 5},
			{Name: "period", Kind: ValueString, Text: "2026-10", Line: 3, Column: 5},
			{Name: "subject", Kind: ValueString, Text: "A1", Line: 2, Column: 5},
		}
	}
	s, errs := c.Snapshot(1, vals(Value{Name: "handled", Kind: ValueNumber, Text: "12", Line: 4, Column: 7}))
	if len(errs) > 0 || s == nil || s.Subject != "A1" {
		t.Fatalf("good values: %v", errs)
	}
	if _, errs := c.Snapshot(10, vals(Value{Name: "handled", Kind: ValueNumber, Text: "12", Line: 12, Column: 7})); len(errs) == 0 || !strings.Contains(errs[0].Error(), "line 1") {
		t.Errorf("duplicate subject and period: %v", errs)
	}
	c = p.NewChecker("t.test.hcl")
	_, errs = c.Snapshot(1, vals(Value{Name: "handled", Kind: ValueOther, Line: 4, Column: 7}))
	if len(errs) != 1 || errs[0].Line != 4 || errs[0].Column != 7 || errs[0].File != "t.test.hcl" {
		t.Errorf("a list for a number: %+v", errs)
	}
}
