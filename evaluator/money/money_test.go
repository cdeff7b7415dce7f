package money

import (
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"
)

func dec(t *testing.T, s string) *apd.Decimal {
	t.Helper()
	d, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestTotalExactAndChecked: sums of amounts are exact at any size, written
// with the minor digits (0.00, never 0 or -0.00); an operation out of
// range is an error that the total keeps, never a wrong amount.
func TestTotalExactAndChecked(t *testing.T) {
	var tot Total
	for _, s := range []string{"0.10", "0.20", "-0.30", "12345678901234567890123456789012345678901234567890.01", "-12345678901234567890123456789012345678901234567890.01"} {
		tot.Add(dec(t, s))
	}
	if tot.Err() != nil || tot.Format(2) != "0.00" {
		t.Errorf("total %s (%v), want 0.00", tot.Format(2), tot.Err())
	}
	if got := Format(dec(t, "-0.001"), 2); got != "0.00" {
		t.Errorf("-0.001 as money: %s", got)
	}
	if got := Format(dec(t, "1500"), 0); got != "1500" {
		t.Errorf("JPY: %s", got)
	}
	var big Total
	big.Add(dec(t, "9e4000"))
	big.Add(dec(t, "9e4000"))
	if big.Err() == nil || !strings.Contains(big.Err().Error(), "money: add") {
		t.Errorf("overflow: %v, sum %s", big.Err(), big.Decimal().Text('e'))
	}
	var r apd.Decimal
	if err := Ratio(&r, dec(t, "1"), dec(t, "3")); err != nil || r.Text('f') != "0.3333333333333333333333333333333333" {
		t.Errorf("1/3 = %s (%v)", r.Text('f'), err)
	}
	if err := Ratio(&r, dec(t, "1"), dec(t, "0")); err == nil {
		t.Error("a division by zero gave no error")
	}
	if _, err := Parse("12,50"); err == nil {
		t.Error("12,50 parsed")
	}
}
