package lang

import (
	"os"
	"regexp"
	"strconv"
	"testing"
	"unicode"
)

// TestEveryFragmentTranslated: every fragment and format the sentence
// writers pass to the catalogue (found in their source, so a new one
// cannot be forgotten) has an Indonesian translation; a format of verbs
// and punctuation only needs none.
func TestEveryFragmentTranslated(t *testing.T) {
	// Go calls (l.S("…")) and the report's templates ({{t "…"}}, {{tf "…" …}}).
	call := regexp.MustCompile(`(?:(?:\bl\.S|\bl\.F|\bpr|Lang\.F|Lang\.S|\bsection)\(|[{(]tf? )("(?:[^"\\]|\\.)*"|` + "`[^`]*`" + `)`)
	n := 0
	for _, file := range []string{"../why.go", "../../engine/internal/explain/explain.go", "../../engine/trend/render.go",
		"../../engine/calibrate/render.go", "../../engine/calibrate/apply.go", "../../engine/diff/render.go", "../../engine/internal/encode/encode.go",
		"../../engine/htmlreport/report.go", "../../engine/htmlreport/pages.go", "../../engine/htmlreport/svg.go",
		"../../engine/htmlreport/templates/index.html", "../../engine/htmlreport/templates/team.html", "../../engine/htmlreport/templates/statement.html"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllSubmatch(src, -1) {
			key := string(m[1])
			if key[0] == '"' {
				if key, err = strconv.Unquote(key); err != nil {
					t.Fatal(err)
				}
			} else {
				key = key[1 : len(key)-1]
			}
			if !hasWord(key) {
				continue
			}
			n++
			if !Has(key) {
				t.Errorf("%s: %q has no Indonesian translation", file, key)
			}
		}
	}
	if n < 60 {
		t.Errorf("found %d fragments; the search is broken", n)
	}
}

// hasWord reports whether a format has a word (two letters in a row)
// outside its verbs.
func hasWord(s string) bool {
	s = regexp.MustCompile(`%[-0-9.]*[a-z]`).ReplaceAllString(s, "")
	run := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			run++
			if run >= 2 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// TestIndonesianNumbersAndMoney: CLDR's Indonesian forms, and the digits
// of names, dates and versions left alone.
func TestIndonesianNumbersAndMoney(t *testing.T) {
	id, err := Parse("id")
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"1234.56":                     "1.234,56",
		"-1234567.5":                  "-1.234.567,5",
		"85.3%":                       "85,3%",
		"A-1001 in 2026-10, 09:00":    "A-1001 in 2026-10, 09:00",
		"answered_30s = 12345":        "answered_30s = 12.345",
		"version 2026.10.1":           "version 2026.10.1",
		"attainment 300/287 = 1.0453": "attainment 300/287 = 1,0453",
	} {
		if got := id.Num(in); got != want {
			t.Errorf("Num(%q) = %q, want %q", in, got, want)
		}
	}
	for _, c := range []struct{ amount, cur, want string }{
		{"1250000.00", "IDR", "Rp1.250.000"},
		{"1250000.50", "IDR", "Rp1.250.000,50"},
		{"300.00", "EUR", "€300,00"},
		{"-10.00", "EUR", "-€10,00"},
	} {
		if got := id.Money(c.amount, c.cur); got != c.want {
			t.Errorf("Money(%s %s) = %q, want %q", c.amount, c.cur, got, c.want)
		}
	}
	var en *Locale
	if en.Num("1234.56") != "1234.56" || en.Money("300.00", "EUR") != "300.00 EUR" || en.S("met") != "met" {
		t.Error("English changed what rubric writes")
	}
	if _, err := Parse("fr"); err == nil {
		t.Error("fr accepted")
	}
	if Match("id-ID,id;q=0.9,en;q=0.8").Code() != "id" || Match("en-US,en;q=0.9").Code() != "en" || Match("de").Code() != "en" {
		t.Error("Accept-Language not matched")
	}
}

// TestShortRoundsLongFractions: seven decimals or more round to four, in
// either locale's decimal point, one that would round to zero to three
// significant digits; amounts and short numbers stay.
func TestShortRoundsLongFractions(t *testing.T) {
	id, err := Parse("id")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		l        *Locale
		in, want string
	}{
		{nil, "attainment 0.7480519480519481/0.75 = 0.9974", "attainment 0.7481/0.75 = 0.9974"},
		{nil, "score.quality = 0.9909357898738429, pay 172.5215, 1250000.00 EUR", "score.quality = 0.9909, pay 172.5215, 1250000.00 EUR"},
		{nil, "rate 0.00000012345", "rate 0.000000123"},
		{nil, "the score is 0.000011465991369030704 short", "the score is 0.0000115 short"},
		{nil, "-12.30000000001 and 3.1000000", "-12.3 and 3.1"},
		{id, "pencapaian 0,6438053097345132/0,75 = 0,8584; Rp1.250.000", "pencapaian 0,6438/0,75 = 0,8584; Rp1.250.000"},
		{id, "1.234,5678912", "1.234,5679"},
	} {
		if got := c.l.Short(c.in); got != c.want {
			t.Errorf("%v Short(%q) = %q, want %q", c.l.Code(), c.in, got, c.want)
		}
	}
}
