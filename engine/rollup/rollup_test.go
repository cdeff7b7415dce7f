package rollup_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/testkit"
	"github.com/rubric-dev/rubric/engine/rollup"
)

const policy = `
policy "calls" {
  version  = "1"
  currency = "EUR"
  language = "LANG"
}
rollup "calls" {
  subject   = "agent"
  team      = "queue"
  time      = "at"
  time_zone = "Asia/Jakarta"
  column "answered" { type = "bool" }
  column "talk" { type = "duration" }
  column "wait" { type = "number" }
  measure "offered" { count = true }
  measure "answered" { count = "answered" }
  measure "talk_seconds" { sum = "talk", where = "answered" }
  measure "wait_sum" { sum = "wait" }
  measure "wait_min" { min = "wait" }
  measure "wait_max" { max = "wait" }
  measure "wait_p50" { quantile = 0.5, of = "wait" }
  measure "days" { distinct = "day" }
}
`

// rows makes n seeded interaction rows and the hand count of each
// (subject, period): offered, answered, talk seconds of answered calls
// and the exact sum of the wait cells (hundredths, so no float is needed).
func rows(n int) (string, map[string][4]int64) {
	r := rand.New(rand.NewPCG(7, 11))
	var b strings.Builder
	b.WriteString("agent,queue,at,answered,talk,wait\n")
	want := map[string][4]int64{}
	for i := 0; i < n; i++ {
		a := r.IntN(40)
		day := 1 + r.IntN(28)
		month := 1 + r.IntN(3)
		ans := r.IntN(10) < 8
		talk := r.IntN(900)
		wait := r.IntN(10000) // hundredths of a second
		yn := "N"
		if ans {
			yn = "y"
		}
		fmt.Fprintf(&b, "Agent %d (A-%02d),q%d,2026-%02d-%02d %02d:%02d:00,%s,%d:%02d,%d.%02d\n", a, a, a%3, month, day, r.IntN(24), r.IntN(60), yn, talk/60, talk%60, wait/100, wait%100)
		k := fmt.Sprintf("Agent %d (A-%02d) 2026-%02d", a, a, month)
		w := want[k]
		w[0]++
		if ans {
			w[1]++
			w[2] += int64(talk)
		}
		w[3] += int64(wait)
		want[k] = w
	}
	return b.String(), want
}

func run(t *testing.T, lang, input string, opts rollup.Options) string {
	t.Helper()
	p := testkit.LoadSource(t, "p.hcl", strings.Replace(policy, "LANG", lang, 1))
	var out bytes.Buffer
	res, err := rollup.Run(p, engine.Input{Name: input}, &out, opts)
	if err != nil || res.Failed() {
		t.Fatal(err, res)
	}
	return out.String()
}

// TestRollupHandCount: the counts and sums of 20,000 rows agree with a
// hand count, in both languages; the output is the same whether the
// groups stay in memory or spill to disk after every few (partial groups
// merged), and the same on every run.
func TestRollupHandCount(t *testing.T) {
	text, want := rows(20000)
	input := filepath.Join(t.TempDir(), "calls.csv")
	if err := os.WriteFile(input, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	inMemory := run(t, "cel", input, rollup.Options{})
	lines := strings.Split(strings.TrimSpace(inMemory), "\n")
	if lines[0] != "subject,period,team,offered,answered,talk_seconds,wait_sum,wait_min,wait_max,wait_p50,days" {
		t.Fatalf("header %s", lines[0])
	}
	got := map[string]bool{}
	var order []string
	for _, l := range lines[1:] {
		c := strings.Split(l, ",")
		k := c[0] + " " + c[1]
		w, ok := want[k]
		if !ok {
			t.Errorf("unexpected snapshot %s", l)
			continue
		}
		got[k] = true
		order = append(order, c[1]+" "+c[0])
		exp := []string{fmt.Sprint(w[0]), fmt.Sprint(w[1]), fmt.Sprint(w[2]), waitText(w[3])}
		if strings.Join(c[3:7], ",") != strings.Join(exp, ",") {
			t.Errorf("%s: %v, want %v", k, c[3:7], exp)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d snapshots, want %d", len(got), len(want))
	}
	if !sort.StringsAreSorted(order) {
		t.Error("snapshots are not sorted by period, then subject")
	}
	if spilled := run(t, "cel", input, rollup.Options{SortMemory: 4096}); spilled != inMemory {
		t.Error("spilling to disk changed the output")
	}
	for _, opts := range []rollup.Options{{Workers: 1}, {Workers: 3}, {Workers: 4, SortMemory: 4096}} {
		if other := run(t, "cel", input, opts); other != inMemory {
			t.Errorf("%d worker(s), sort memory %d: the output changed", opts.Workers, opts.SortMemory)
		}
	}
	if again := run(t, "expr", input, rollup.Options{}); again != inMemory {
		t.Error("expr gives another output than CEL, or a rerun differs")
	}
}

// waitText is a sum of hundredths as the exact decimal the cells add up
// to, with their two digits.
func waitText(h int64) string { return fmt.Sprintf("%d.%02d", h/100, h%100) }

// TestRollupTeamOfLatestRow: a subject-period's team is that of its latest
// row, the later row in the input when times tie, however many workers
// count the rows (each batch of rows goes to any of them).
func TestRollupTeamOfLatestRow(t *testing.T) {
	var b strings.Builder
	b.WriteString("agent,queue,at,answered,talk,wait\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "A-1,q%d,2026-03-01 10:00:00,y,1:00,1\n", i%5)
		fmt.Fprintf(&b, "A-2,q%d,2026-03-0%d 09:00:00,y,1:00,1\n", i%3, 1+i%2)
	}
	b.WriteString("A-1,q9,2026-03-01 10:00:00,n,,2\n") // ties A-1's latest time, and comes last
	b.WriteString("A-2,q8,2026-03-01 23:00:00,n,,2\n") // not A-2's latest day
	input := filepath.Join(t.TempDir(), "calls.csv")
	if err := os.WriteFile(input, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2, 5} {
		out := run(t, "cel", input, rollup.Options{Workers: workers})
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[1], "A-1,2026-03,q9,3001,3000,") || !strings.HasPrefix(lines[2], "A-2,2026-03,q2,3001,3000,") {
			t.Errorf("%d worker(s):\n%s", workers, out)
		}
	}
}

// TestVoiceAgentsCallExport rolls up the shipped call export (shaped like
// a contact-centre platform's: names with commas and parentheses, Y/y/N
// flags, H:MM:SS durations, empty cells on unanswered calls, outbound
// calls) through the shipped voice-agents policy and checks every field
// against a count by hand.
func TestVoiceAgentsCallExport(t *testing.T) {
	const export = "../../fixtures/voice-agents/calls.csv"
	p, diags, err := engine.Load("../../policies/voice-agents")
	if err != nil || diags.HasErrors() {
		t.Fatal(err, diags)
	}
	var out bytes.Buffer
	res, err := rollup.Run(p, engine.Input{Name: export}, &out, rollup.Options{})
	if err != nil || res.Failed() {
		t.Fatal(err, res)
	}

	f, err := os.Open(export)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	secs := func(hms string) int64 {
		var h, m, s int64
		if _, err := fmt.Sscanf(hms, "%d:%d:%d", &h, &m, &s); err != nil {
			t.Fatalf("%q: %v", hms, err)
		}
		return h*3600 + m*60 + s
	}
	type count struct {
		team                                       string
		latest                                     string
		handled, handle, resolved, surveys, satisf int64
		days                                       map[string]bool
	}
	want := map[string]*count{}
	for _, r := range recs[1:] {
		if r[col["Direction"]] != "Inbound" {
			continue
		}
		k := r[col["Agent ID"]] + "," + r[col["Start Time"]][:7]
		c := want[k]
		if c == nil {
			c = &count{days: map[string]bool{}}
			want[k] = c
		}
		if at := r[col["Start Time"]]; at >= c.latest {
			c.latest, c.team = at, r[col["Team"]]
		}
		c.days[r[col["Start Time"]][:10]] = true
		if strings.EqualFold(r[col["Answered"]], "y") {
			c.handled++
			c.handle += secs(r[col["Talk Time"]]) + secs(r[col["Hold Time"]]) + secs(r[col["Wrap-up Time"]])
			if r[col["Resolved"]] == "Y" && r[col["Repeat Within 7 Days"]] == "N" {
				c.resolved++
			}
		}
		if s := r[col["Survey Score"]]; s != "" {
			c.surveys++
			if s >= "4" {
				c.satisf++
			}
		}
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if lines[0] != "subject,period,team,handled,aht,resolved_first,surveys,satisfied,days_worked" {
		t.Fatalf("header %s", lines[0])
	}
	if len(lines)-1 != len(want) {
		t.Fatalf("%d snapshots, counted %d by hand", len(lines)-1, len(want))
	}
	for _, l := range lines[1:] {
		c := strings.Split(l, ",")
		w := want[c[0]+","+c[1]]
		if w == nil {
			t.Errorf("unexpected snapshot %s", l)
			continue
		}
		// aht: the handle seconds over the answered calls (34 digits).
		aht, ok := new(big.Rat).SetString(c[4])
		exact := big.NewRat(w.handle, w.handled)
		if !ok || new(big.Rat).Abs(new(big.Rat).Sub(aht, exact)).Cmp(big.NewRat(1, 1e18)) > 0 {
			t.Errorf("%s %s: aht %s, by hand %s", c[0], c[1], c[4], exact.FloatString(30))
		}
		got := strings.Join([]string{c[2], c[3], c[5], c[6], c[7], c[8]}, ",")
		exp := fmt.Sprintf("%s,%d,%d,%d,%d,%d", w.team, w.handled, w.resolved, w.surveys, w.satisf, len(w.days))
		if got != exp {
			t.Errorf("%s %s: team, handled, resolved_first, surveys, satisfied, days_worked = %s; by hand %s", c[0], c[1], got, exp)
		}
	}
}
