package input

import (
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
	ast, diags := dsl.Parse([]dsl.Source{{Name: "t.hcl", Bytes: []byte(src)}})
	p, d2 := rules.Resolve(ast, evaluator.NewCEL(), evaluator.NewExpr())
	if diags = append(diags, d2...); diags.HasErrors() {
		t.Fatal(diags)
	}
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

// TestTeamAndPeriodRemembered: the converter remembers the last good team
// and period it read, by kind and text: a bad one between two good ones,
// or the same text of another kind, is read afresh.
func TestTeamAndPeriodRemembered(t *testing.T) {
	src := `policy "t" {
  version  = "1"
  currency = "EUR"
  period   = "month"
}
metric "a" {}
`
	ast, diags := dsl.Parse([]dsl.Source{{Name: "t.hcl", Bytes: []byte(src)}})
	p, d2 := rules.Resolve(ast, evaluator.NewCEL(), evaluator.NewExpr())
	if diags = append(diags, d2...); diags.HasErrors() {
		t.Fatal(diags)
	}
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
	rr, err := NewReader(strings.NewReader(in), "t.ndjson", FormatNDJSON)
	if err != nil {
		t.Fatal(err)
	}
	c := NewConverter(p, "t.ndjson")
	for i, w := range want {
		rec, err := rr.Next()
		if err != nil {
			t.Fatal(err)
		}
		s, errs := c.Convert(rec)
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
	}
}
