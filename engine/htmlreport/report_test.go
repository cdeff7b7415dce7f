package htmlreport_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/htmlreport"
	"github.com/rubric-dev/rubric/engine/internal/testkit"
	"github.com/rubric-dev/rubric/evaluator/lang"
)

const policy = `
policy "r" {
  version  = "1"
  currency = "EUR"
}
metric "sales" { better = "higher" }
target "sales" {
  metric = "sales"
  goal   = 10
}
scorecard "s" {
  weights = { sales = 100 }
  band "good" { min = 1 }
}
incentive "bonus" {
  gate "met" { when = "target.sales.met" }
  amount = "sales * 2"
}
`

// TestReportEscapesAndIsSelfContained: values from the input are escaped,
// no page refers to the network, --subject writes one statement, and a
// directory that is not a report is never replaced.
func TestReportEscapesAndIsSelfContained(t *testing.T) {
	p := testkit.LoadSource(t, "r.hcl", policy)
	in := filepath.Join(t.TempDir(), "in.csv")
	os.WriteFile(in, []byte("subject,period,team,sales\n<b>x</b>,2026-10,\"t<i>\",12\nB,2026-10,t2,8\n"), 0o644)
	dir := filepath.Join(t.TempDir(), "site")
	res, sres, err := htmlreport.Build(p, engine.Input{Name: in}, htmlreport.Options{Dir: dir})
	if err != nil || sres.Failed() {
		t.Fatal(err, sres)
	}
	if res.Subjects != 2 || res.Teams != 2 {
		t.Errorf("%+v", res)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		page := string(b)
		if strings.Contains(page, "<b>x</b>") || strings.Contains(page, "t<i>") {
			t.Errorf("%s holds an unescaped value from the input", e.Name())
		}
		// The SVG namespace is a name, not a request.
		page = strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, "")
		for _, ref := range []string{"http://", "https://", "<script", `src="//`, "url("} {
			if strings.Contains(page, ref) {
				t.Errorf("%s refers to %s", e.Name(), ref)
			}
		}
	}
	// From standard input, which the report reads twice: the same site.
	csv, _ := os.ReadFile(in)
	piped := filepath.Join(t.TempDir(), "piped")
	if _, sres, err := htmlreport.Build(p, engine.Input{Name: "-", Format: "csv", Stdin: strings.NewReader(string(csv))}, htmlreport.Options{Dir: piped}); err != nil || sres.Failed() {
		t.Fatal(err, sres)
	}
	for _, e := range entries {
		a, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		b, err := os.ReadFile(filepath.Join(piped, e.Name()))
		if err != nil || string(a) != string(b) {
			t.Errorf("%s differs when the input comes from standard input (%v)", e.Name(), err)
		}
	}
	// One subject alone.
	one := filepath.Join(t.TempDir(), "one")
	res, _, err = htmlreport.Build(p, engine.Input{Name: in}, htmlreport.Options{Dir: one, Subject: "B"})
	if err != nil || res.Subjects != 1 || res.Teams != 0 {
		t.Errorf("--subject: %v %+v", err, res)
	}
	// A directory that is not a report.
	precious := t.TempDir()
	os.WriteFile(filepath.Join(precious, "notes.txt"), []byte("keep"), 0o644)
	if _, _, err := htmlreport.Build(p, engine.Input{Name: in}, htmlreport.Options{Dir: precious}); err == nil {
		t.Errorf("a directory that is not a report was replaced")
	}
	if _, err := os.Stat(filepath.Join(precious, "notes.txt")); err != nil {
		t.Errorf("notes.txt is gone")
	}
}

// TestReportInIndonesian: with an Indonesian locale every page is
// lang="id", its headings, statuses, numbers and amounts are Indonesian
// (€24,00, not 24.00 EUR), and the English report keeps its words.
func TestReportInIndonesian(t *testing.T) {
	p := testkit.LoadSource(t, "r.hcl", policy)
	in := filepath.Join(t.TempDir(), "in.csv")
	os.WriteFile(in, []byte("subject,period,team,sales\nA,2026-10,t1,12\nB,2026-10,t1,1234.5\n"), 0o644)
	id, err := lang.Parse("id")
	if err != nil {
		t.Fatal(err)
	}
	read := func(dir, name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	dir := filepath.Join(t.TempDir(), "laporan")
	if _, sres, err := htmlreport.Build(p, engine.Input{Name: in}, htmlreport.Options{Dir: dir, Stream: engine.StreamOptions{Lang: id}}); err != nil || sres.Failed() {
		t.Fatal(err, sres)
	}
	a := read(dir, "A.html")
	for _, want := range []string{`<html lang="id">`, "Ringkasan", "Rincian pembayaran", "€24,00", "diperoleh", "tercapai", "Tidak ada pelanggaran."} {
		if !strings.Contains(a, want) {
			t.Errorf("A.html lacks %q", want)
		}
	}
	if b := read(dir, "B.html"); !strings.Contains(b, "€2.469,00") {
		t.Errorf("B.html lacks the amount in Indonesian form €2.469,00")
	}
	idx := read(dir, "index.html")
	for _, want := range []string{"Siapa yang perlu perhatian", "Pembayaran", "2.493,00"} {
		if !strings.Contains(idx, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	for _, english := range []string{"Summary", "What the pay was made of", "Who needs attention", " EUR<"} {
		if strings.Contains(a+idx, english) {
			t.Errorf("the Indonesian report says %q", english)
		}
	}
	en := filepath.Join(t.TempDir(), "report")
	if _, _, err := htmlreport.Build(p, engine.Input{Name: in}, htmlreport.Options{Dir: en}); err != nil {
		t.Fatal(err)
	}
	if a := read(en, "A.html"); !strings.Contains(a, `<html lang="en">`) || !strings.Contains(a, "Summary") || !strings.Contains(a, "24.00 EUR") {
		t.Errorf("the English statement changed")
	}
}

// TestNoLongFractions: on the shipped examples no page shows a number
// with seven significant decimals or more (the JSON why keeps them; a page rounds
// them as explain's numbers are).
func TestNoLongFractions(t *testing.T) {
	long := regexp.MustCompile(`\d+[.,]0*[1-9]\d{6,}`) // seven significant decimals or more
	for _, ex := range []struct{ policy, data string }{{"voice-agents", "history.csv"}, {"it-helpdesk", "history.csv"}} {
		p, diags, err := engine.Load(filepath.Join("../../policies", ex.policy))
		if err != nil || diags.HasErrors() {
			t.Fatal(err, diags)
		}
		dir := filepath.Join(t.TempDir(), "report")
		if _, sres, err := htmlreport.Build(p, engine.Input{Name: filepath.Join("../../fixtures", ex.policy, ex.data)}, htmlreport.Options{Dir: dir}); err != nil || sres.Failed() {
			t.Fatal(err, sres)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			// The SVG geometry is not text a person reads.
			text := regexp.MustCompile(`(?s)<svg.*?</svg>`).ReplaceAllString(string(b), "")
			if m := long.FindString(text); m != "" {
				t.Errorf("%s/%s shows %s", ex.policy, e.Name(), m)
				break
			}
		}
	}
}
