package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestBaselineAgreesWithRubric runs the hand-written voice-agent program on
// the fixture data and compares every payroll row's status and amount with
// rubric's golden outcomes: two independent implementations of the policy.
func TestBaselineAgreesWithRubric(t *testing.T) {
	out := filepath.Join(t.TempDir(), "payroll.csv")
	if err := run("../../fixtures/voice-agents/snapshots.csv", out, "../../policies/voice-agents"); err != nil {
		t.Fatal(err)
	}
	type pay struct{ status, amount string }
	want := map[string]pay{}
	f, err := os.Open("../../fixtures/voice-agents/expected.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var o struct {
			Subject, Period string
			Incentives      map[string]struct {
				Status string
				Amount *string
			}
		}
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatal(err)
		}
		for name, in := range o.Incentives {
			a := ""
			if in.Amount != nil {
				a = *in.Amount
			}
			want[o.Subject+" "+o.Period+" "+name] = pay{in.Status, a}
		}
	}
	g, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	rows, err := csv.NewReader(g).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != len(want) || len(want) < 500 {
		t.Fatalf("%d rows, %d expected", len(rows)-1, len(want))
	}
	for _, r := range rows[1:] {
		k := r[2] + " " + r[3] + " " + r[6]
		if got := (pay{r[8], r[9]}); got != want[k] {
			t.Errorf("%s: baseline %v, rubric %v", k, got, want[k])
		}
	}
}
