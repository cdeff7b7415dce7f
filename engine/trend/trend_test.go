package trend_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/testkit"
	"github.com/rubric-dev/rubric/engine/trend"
)

const policy = `
policy "t" {
  version  = "1"
  currency = "EUR"
}
metric "aht" { better = "lower" }
metric "sales" { better = "higher" }
target "aht" {
  metric = "aht"
  goal   = 300
}
target "sales" {
  metric = "sales"
  goal   = 10
}
incentive "bonus" {
  gate "met" { when = "target.sales.met" }
  amount = "sales * 2"
}
`

func run(t *testing.T, opts trend.Options) *trend.Report {
	t.Helper()
	p := testkit.LoadSource(t, "t.hcl", policy)
	in := filepath.Join(t.TempDir(), "in.csv")
	os.WriteFile(in, []byte(`subject,period,team,aht,sales
A,2026-10,west,280,12
A,2026-08,west,320,8
A,2026-09,west,300,10
B,2026-09,west,310,20
B,2026-10,west,290,20
C,2026-10,east,250,1
`), 0o644)
	rep, res, err := trend.Run(p, engine.Input{Name: in}, opts)
	if err != nil || res.Failed() {
		t.Fatal(err, res)
	}
	return rep
}

func TestTrendDirections(t *testing.T) {
	rep := run(t, trend.Options{Subject: "A"})
	if len(rep.Subjects) != 1 || len(rep.Subjects[0].Periods) != 3 {
		t.Fatalf("subjects %+v", rep.Subjects)
	}
	per := rep.Subjects[0].Periods
	if per[0].Period != "2026-08" || per[2].Period != "2026-10" {
		t.Errorf("periods out of order: %s … %s", per[0].Period, per[2].Period)
	}
	// aht 300 → 280 (lower is better): improving; sales 10 → 12: improving.
	if a := per[2].Targets["aht"]; a.Direction != "improving" || *a.Change != -20 {
		t.Errorf("aht: %+v", a)
	}
	if s := per[1].Targets["sales"]; s.Direction != "improving" || per[1].Incentives["bonus"].Direction != "improving" {
		t.Errorf("sales: %+v", s)
	}
	if per[0].Targets["aht"].Change != nil {
		t.Errorf("the first period has no change")
	}
	if b := per[2].Incentives["bonus"]; *b.Amount != "24.00" || *b.Change != "4.00" {
		t.Errorf("bonus: %+v", b)
	}
}

func TestTrendTeam(t *testing.T) {
	rep := run(t, trend.Options{Team: "west"})
	if len(rep.Subjects) != 2 || len(rep.Teams) != 1 {
		t.Fatalf("%d subjects, %d teams", len(rep.Subjects), len(rep.Teams))
	}
	tm := rep.Teams[0]
	var oct *trend.TeamPeriod
	for _, p := range tm.Periods {
		if p.Period == "2026-10" {
			oct = p
		}
	}
	if oct == nil || oct.Members != 2 || *oct.Targets["aht"].Avg != 285 || *oct.Incentives["bonus"] != "64.00" {
		t.Fatalf("team west 2026-10: %+v", oct)
	}
	for _, w := range []func(*bytes.Buffer) error{
		func(b *bytes.Buffer) error { return rep.WriteText(b) },
		func(b *bytes.Buffer) error { return rep.WriteMarkdown(b) },
		func(b *bytes.Buffer) error { return rep.WriteCSV(b) },
		func(b *bytes.Buffer) error { return rep.WriteJSON(b) },
	} {
		var b bytes.Buffer
		if err := w(&b); err != nil || !strings.Contains(b.String(), "2026-10") {
			t.Errorf("render: %v %s", err, b.String())
		}
	}
	var b bytes.Buffer
	rep.WriteText(&b)
	// For people, the team's averages come first, members below them.
	if lines := strings.Split(b.String(), "\n"); len(lines) < 3 || !strings.HasPrefix(lines[1], "team west avg") || strings.Contains(strings.Join(lines[len(tm.Periods)+1:], "\n"), "team west avg") {
		t.Errorf("the team's average rows are not above its members':\n%s", b.String())
	}
	b.Reset()
	rep.WriteMarkdown(&b)
	if lines := strings.Split(b.String(), "\n"); len(lines) < 4 || !strings.HasPrefix(lines[2], "| **team west average** |") {
		t.Errorf("the team's average rows are not above its members' in markdown:\n%s", b.String())
	}
	b.Reset()
	rep.WriteCSV(&b)
	if !strings.Contains(b.String(), "\n,west,2026-10,285,team_average,") || !strings.Contains(b.String(), ",64.00,team_total,") {
		t.Errorf("no team average rows in the CSV:\n%s", b.String())
	}
}

// TestWriteStreamsWhatRunBuilds: Write, which renders subject by subject
// as the outcomes come in key order, writes in every format the bytes
// the whole report renders; a subject chosen and not found writes
// nothing, and neither does a run with a bad row.
func TestWriteStreamsWhatRunBuilds(t *testing.T) {
	p := testkit.LoadSource(t, "t.hcl", policy)
	in := filepath.Join(t.TempDir(), "in.csv")
	os.WriteFile(in, []byte("subject,period,team,aht,sales\nC,2026-10,east,250,1\nA,2026-10,west,280,12\nB,2026-09,west,310,20\nA,2026-08,west,320,8\nA,2026-09,west,300,10\nB,2026-10,west,290,20\n"), 0o644)
	for _, opts := range []trend.Options{{}, {Team: "west"}, {Subject: "A"}} {
		rep, _, err := trend.Run(p, engine.Input{Name: in}, opts)
		if err != nil {
			t.Fatal(err)
		}
		for format, whole := range map[string]func(*bytes.Buffer) error{
			"text": func(b *bytes.Buffer) error { return rep.WriteText(b) }, "markdown": func(b *bytes.Buffer) error { return rep.WriteMarkdown(b) },
			"csv": func(b *bytes.Buffer) error { return rep.WriteCSV(b) }, "json": func(b *bytes.Buffer) error { return rep.WriteJSON(b) },
		} {
			var want, got bytes.Buffer
			if err := whole(&want); err != nil {
				t.Fatal(err)
			}
			n, res, err := trend.Write(p, engine.Input{Name: in}, opts, format, &got)
			if err != nil || res.Failed() || n != len(rep.Subjects) {
				t.Fatalf("%s %+v: %v %v n=%d", format, opts, err, res, n)
			}
			if got.String() != want.String() {
				t.Errorf("%s %+v: streamed\n%s\nwhole\n%s", format, opts, got.String(), want.String())
			}
		}
	}
	var b bytes.Buffer
	if n, _, err := trend.Write(p, engine.Input{Name: in}, trend.Options{Subject: "Z"}, "csv", &b); err != nil || n != 0 || b.Len() != 0 {
		t.Errorf("an absent subject: n=%d err=%v wrote %q", n, err, b.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("subject,period,team,aht,sales\nA,2026-10,west,abc,12\n"), 0o644)
	if _, res, err := trend.Write(p, engine.Input{Name: bad}, trend.Options{}, "json", &b); err != nil || !res.Failed() || b.Len() != 0 {
		t.Errorf("a bad row: err=%v failed=%v wrote %q", err, res.Failed(), b.String())
	}
	// Empty: the document with no subject.
	empty := filepath.Join(t.TempDir(), "empty.csv")
	os.WriteFile(empty, []byte("subject,period,team,aht,sales\n"), 0o644)
	if _, _, err := trend.Write(p, engine.Input{Name: empty, AllowEmpty: true}, trend.Options{}, "json", &b); err != nil || !strings.Contains(b.String(), `"subjects": [],`) {
		t.Errorf("empty: %v %q", err, b.String())
	}
}
