package input

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// TestInvisible: the first control or format character of an id, after a
// printable ASCII start or without one; none in printable text.
func TestInvisible(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want rune
	}{
		{"A-1001", 0}, {"", 0}, {"Zoë Ångström", 0}, {"A\t1", '\t'}, {"A\x7f", 0x7f}, {"\x00", 0},
		{"A-1001\u200b", 0x200b}, {"é\u200d", 0x200d}, {"A\u00ad", 0xad}, {"\ufeffA", 0xfeff},
	} {
		r, ok := invisible(tc.in)
		if ok != (tc.want != 0 || tc.in == "\x00") || r != tc.want {
			t.Errorf("invisible(%q) = %U, %v; want %U", tc.in, r, ok, tc.want)
		}
	}
}

// TestColumnsByPosition: the converter finds columns by position when
// records name them alike, and still by name when they do not (JSON
// records in any order, with unknown names between).
func TestColumnsByPosition(t *testing.T) {
	src := `policy "t" {
  version  = "1"
  currency = "EUR"
}
metric "a" {}
metric "b" {}
attribute "pay" { type = "money" }
`
	p := resolve(t, src)
	in := `{"subject":"S1","period":"2026-10","a":1,"b":2,"pay":3}
{"b":20,"a":10,"period":"2026-10","subject":"S2","pay":30}
{"x":0,"pay":300,"subject":"S3","period":"2026-10","a":100,"b":200}
{"subject":"S4","period":"2026-10","a":1000,"b":2000,"pay":3000}
`
	rr, err := NewReader(strings.NewReader(in), "t.ndjson", FormatNDJSON)
	if err != nil {
		t.Fatal(err)
	}
	c := NewConverter(p, "t.ndjson")
	for i, scale := range []float64{1, 10, 100, 1000} {
		rec, err := rr.Next()
		if err != nil {
			t.Fatal(err)
		}
		s, errs := c.Convert(rec)
		if len(errs) > 0 {
			t.Fatalf("row %d: %v", i+1, errs[0])
		}
		for name, want := range map[string]float64{"a": scale, "b": 2 * scale, "pay": 3 * scale} {
			d, _ := p.Scope.Lookup(name)
			if got := s.Values[d.Slot]; got.Num != want {
				t.Errorf("row %d: %s = %v, want %v", i+1, name, got, want)
			}
		}
	}
}

// TestTeamAndPeriodRemembered: the converter remembers the good teams and
// periods it read, by text: a bad one between two good ones is read
// afresh, and a value of another kind too.
func TestTeamAndPeriodRemembered(t *testing.T) {
	p := resolve(t, onePerPeriod("month"))
	in := `{"subject":"S1","period":"2026-10","team":"north","a":1}
{"subject":"S2","period":"2026-10","team":"no\u200brth","a":1}
{"subject":"S2b","period":"2026-10","team":"no\u200brth","a":1}
{"subject":"S3","period":"2026-13","team":"north","a":1}
{"subject":"S3b","period":"2026-13","team":"north","a":1}
{"subject":"S4","period":"2026-10","team":"north","a":1}
{"subject":"S5","period":"2026-10","team":true,"a":1}
{"subject":"S6","period":"2026-11","team":7,"a":1}
{"subject":"S7","period":"2026-Q4","team":"7","a":1}
{"subject":"S8","period":"2026-11","team":"nórth","a":1}
`
	want := []string{"north 2026-10", "bad team", "bad team", "bad period", "bad period", "north 2026-10", "bad team", "7 2026-11", "bad period", "nórth 2026-11"}
	convertEach(t, p, in, FormatNDJSON, len(want), func(i int, s *evaluator.Snapshot, errs []*Error) {
		w := want[i]
		got := ""
		switch {
		case len(errs) == 0:
			got = s.Team + " " + s.Period.Label
		case strings.Contains(errs[0].Msg, "team"):
			got = "bad team"
		case strings.Contains(errs[0].Msg, "period"):
			got = "bad period"
		default:
			got = errs[0].Msg
		}
		if got != w {
			t.Errorf("row %d: %s, want %s", i+1, got, w)
		}
	})
}

// TestManyTeamsAndPeriodsRemembered: teams and periods that come back
// after others, more of them than the converter remembers, are read
// right every time.
func TestManyTeamsAndPeriodsRemembered(t *testing.T) {
	p := resolve(t, onePerPeriod("week"))
	var b strings.Builder
	b.WriteString("subject,period,team,a\n")
	type want struct{ team, period string }
	var wants []want
	for i := range 3 * maxMemo {
		team := fmt.Sprintf("team %d", i%(maxMemo+maxMemo/2)) // more teams than remembered, each coming back
		period := fmt.Sprintf("2026-W%02d", 1+i%7)
		if i%5 == 0 {
			team = "Zoe\u0308" // NFC: Zoë
		}
		fmt.Fprintf(&b, "S%d,%s,%s,1\n", i, period, team)
		if i%5 == 0 {
			team = "Zoë"
		}
		wants = append(wants, want{team, period})
	}
	convertEach(t, p, b.String(), FormatCSV, len(wants), func(i int, s *evaluator.Snapshot, errs []*Error) {
		w := wants[i]
		if len(errs) > 0 {
			t.Fatalf("row %d: %v", i+1, errs[0])
		}
		if s.Team != w.team || s.Period.Label != w.period {
			t.Fatalf("row %d: team %q period %s, want %q %s", i+1, s.Team, s.Period.Label, w.team, w.period)
		}
	})
}

// convertEach reads n records of text in format and converts each on one
// converter, passing what it gives to check.
func convertEach(t *testing.T, p *rules.Policy, text, format string, n int, check func(i int, s *evaluator.Snapshot, errs []*Error)) {
	t.Helper()
	rr, err := NewReader(strings.NewReader(text), "t."+format, format)
	if err != nil {
		t.Fatal(err)
	}
	c := NewConverter(p, "t."+format)
	for i := range n {
		rec, err := rr.Next()
		if err != nil {
			t.Fatal(err)
		}
		s, errs := c.Convert(rec)
		check(i, s, errs)
	}
}

// resolve is the policy src, which must be valid.
func resolve(t *testing.T, src string) *rules.Policy {
	t.Helper()
	ast, diags := dsl.Parse([]dsl.Source{{Name: "t.hcl", Bytes: []byte(src)}})
	p, d2 := rules.Resolve(ast, evaluator.NewCEL(), evaluator.NewExpr())
	if diags = append(diags, d2...); diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

// onePerPeriod is a policy of one metric, evaluated per period.
func onePerPeriod(period string) string {
	return `policy "t" {
  version  = "1"
  currency = "EUR"
  period   = "` + period + `"
}
metric "a" {}
`
}
