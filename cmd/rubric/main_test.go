package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	voice     = "../../policies/voice-agents"
	voiceData = "../../fixtures/voice-agents/snapshots.csv"
)

type result struct {
	code           int
	stdout, stderr string
}

func rubric(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const badPolicy = `policy "bad" {
  version  = "1"
  currency = "EUR"
}

metric "csat" { better = "higher" }

target "csat" {
  metric = "csat"
  goal   = "csta * 1"
}
`

func TestCLI(t *testing.T) {
	tmp := t.TempDir()
	bad := write(t, tmp, "bad.hcl", badPolicy)
	badInput := write(t, tmp, "bad.csv", "subject,period,base_pay,handled\nA1,2026-10,3000,many\n")
	outFile := filepath.Join(tmp, "out.ndjson")
	rejects := filepath.Join(tmp, "rejects.csv")
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout []string // regexps
		stderr []string
	}{
		{"validate examples", []string{"validate", "../../policies/voice-agents", "../../policies/it-helpdesk", "../../policies/support-team"}, "", 0,
			[]string{`policy contact_center version 2026.10.1 is valid`, `it_helpdesk`, `support_team`}, nil},
		{"validate bad", []string{"validate", bad}, "", 1, nil,
			[]string{regexp.QuoteMeta(bad) + `:10:13: error: target "csat" goal: unknown name "csta"; did you mean "csat"\?`, `\n    goal   = "csta \* 1"\n {14}\^{4}\n`, `1 error\(s\)`}},
		{"validate github", []string{"validate", "--format", "github", bad}, "", 1,
			[]string{`::error file=.*bad.hcl,line=10,col=13,endLine=10,endColumn=17,title=rubric unknown-name::`}, nil},
		{"validate missing path", []string{"validate", filepath.Join(tmp, "nope")}, "", 2, nil, []string{`no such file`}},
		{"validate bad format", []string{"validate", "--format", "xml", voice}, "", 2, nil, []string{`unknown --format`}},
		{"eval ndjson", []string{"eval", "-p", voice, "-i", voiceData}, "", 0, []string{`^\{"subject":"A-1001","period":"2026-10","team":"west","policy":\{"name":"contact_center"`}, nil},
		{"eval table", []string{"eval", "-p", voice, "-i", voiceData, "--format", "table"}, "", 0, []string{`SUBJECT\s+PERIOD\s+TEAM\s+TARGETS\s+AGENT QUALITY\s+BAND\s+BREACHES\s+MONTHLY BONUS\s+CSAT AWARD`, `A-1001\s+2026-10\s+west\s+aht✓ fcr✓ csat✓ adherence✓ aht_vs_team✓\s+1.0638\s+strong`, `TOTAL\s+53364.62 EUR\s+5865.50 EUR`}, nil},
		{"eval csv", []string{"eval", "-p", voice, "-i", voiceData, "--format", "csv"}, "", 0, []string{`^subject,period,team,policy_version,`, `\nA-1001,2026-10,west,2026.10.1,`}, nil},
		{"eval json", []string{"eval", "-p", voice, "-i", voiceData, "--format", "json"}, "", 0, []string{`^\[\n\{"subject":"A-1001"`, `\}\n\]\n$`}, nil},
		{"eval to file", []string{"eval", "-p", voice, "-i", voiceData, "-o", outFile}, "", 0, nil, nil},
		{"eval stdin", []string{"eval", "-p", voice, "-i", "-", "--input-format", "csv"}, "subject,period,base_pay,tenure_days\nZ1,2026-10,1000,400\n", 0, []string{`"subject":"Z1"`}, nil},
		// SPEC §5: standard input's format is told from its first byte.
		{"eval stdin csv detected", []string{"eval", "-p", voice, "-i", "-", "--format", "csv"}, "subject,period,base_pay,tenure_days\nA1,2026-10,3000,400\n", 0, []string{`\nA1,2026-10,`}, nil},
		{"eval stdin ndjson detected", []string{"eval", "-p", voice, "-i", "-", "--format", "csv"}, "\ufeff\n {\"subject\":\"A1\",\"period\":\"2026-10\",\"base_pay\":3000,\"tenure_days\":400}\n", 0, []string{`\nA1,2026-10,`}, nil},
		{"eval stdin json detected", []string{"eval", "-p", voice, "-i", "-", "--format", "csv"}, "[{\"subject\":\"A1\",\"period\":\"2026-10\",\"base_pay\":3000,\"tenure_days\":400}]", 0, []string{`\nA1,2026-10,`}, nil},
		{"eval stdin empty", []string{"eval", "-p", voice, "-i", "-"}, "", 1, nil, []string{`the file is empty`}},
		{"eval bad input", []string{"eval", "-p", voice, "-i", badInput}, "", 1, []string{`^$`}, []string{regexp.QuoteMeta(badInput) + `:2:17: A1 2026-10: metric handled "many" is not a number`, `nothing was written`}},
		{"eval skip invalid", []string{"eval", "-p", voice, "-i", badInput, "--skip-invalid", rejects}, "", 0, []string{`^$`}, []string{`rejected 1 row\(s\)`}},
		{"eval bad policy", []string{"eval", "-p", bad, "-i", voiceData}, "", 1, nil, []string{`unknown name "csta"`, `has errors`}},
		{"eval missing policy flag", []string{"eval", "-i", voiceData}, "", 2, nil, []string{`--policy`}},
		{"eval missing input file", []string{"eval", "-p", voice, "-i", filepath.Join(tmp, "nope.csv")}, "", 2, nil, []string{`no such file`}},
		{"eval unknown flag", []string{"eval", "--bogus"}, "", 2, nil, []string{`unknown flag`}},
		{"unknown command", []string{"evaluate"}, "", 2, nil, []string{`unknown command`}},
		{"explain", []string{"explain", "-p", voice, "-i", voiceData, "--subject", "A-1001"}, "", 0,
			[]string{`A-1001, period 2026-10`, `\nTargets\n`, `Scorecard Agent quality: 1.0638, band strong`, `next band outstanding at 1.1`, `Monthly bonus: earned, 300.00 EUR \(tier met, code BON1\)`, `next tier outstanding \(×1.5\) needs score.quality >= 1.10`}, nil},
		{"explain unknown subject", []string{"explain", "-p", voice, "-i", voiceData, "--subject", "NOBODY"}, "", 1, nil, []string{`no snapshot of subject "NOBODY"`}},
		{"version", []string{"version"}, "", 0, []string{`^rubric \S+\ncommit: .+\nbuilt: .+\ngo: go1.+\nplatform: .+/.+\n$`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rubric(t, tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, trunc(r.stdout), r.stderr)
			}
			for _, rx := range tt.stdout {
				if !regexp.MustCompile(rx).MatchString(r.stdout) {
					t.Errorf("stdout does not match %s:\n%s", rx, trunc(r.stdout))
				}
			}
			for _, rx := range tt.stderr {
				if !regexp.MustCompile(rx).MatchString(r.stderr) {
					t.Errorf("stderr does not match %s:\n%s", rx, r.stderr)
				}
			}
		})
	}
	if b, err := os.ReadFile(outFile); err != nil || !bytes.HasPrefix(b, []byte(`{"subject":"A-1001"`)) {
		t.Errorf("-o file: %v %.60s", err, b)
	}
	if b, err := os.ReadFile(rejects); err != nil || !strings.Contains(string(b), "not a number") {
		t.Errorf("rejects file: %v %s", err, b)
	}
}

func TestValidateJSON(t *testing.T) {
	bad := write(t, t.TempDir(), "bad.hcl", badPolicy)
	r := rubric(t, "", "validate", "--format", "json", bad)
	if r.code != 1 {
		t.Fatalf("exit %d", r.code)
	}
	var got struct {
		Valid       bool `json:"valid"`
		ErrorCount  int  `json:"error_count"`
		Diagnostics []struct {
			Severity, Code, Summary, File string
			Start, End                    struct{ Line, Column int }
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err, r.stdout)
	}
	if got.Valid || got.ErrorCount != 1 || len(got.Diagnostics) != 1 {
		t.Fatalf("%+v", got)
	}
	d := got.Diagnostics[0]
	if d.Severity != "error" || d.Code != "unknown-name" || d.File != bad || d.Start.Line != 10 || d.Start.Column != 13 || d.End.Column != 17 {
		t.Errorf("%+v", d)
	}
}

// TestEvalRerunIdentical runs the CLI twice and compares the bytes.
func TestEvalRerunIdentical(t *testing.T) {
	a := rubric(t, "", "eval", "-p", voice, "-i", voiceData)
	b := rubric(t, "", "eval", "-p", voice, "-i", voiceData)
	if a.code != 0 || a.stdout != b.stdout || len(a.stdout) == 0 {
		t.Fatal("reruns differ")
	}
}

func trunc(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

func TestPayrollCLI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "2026-10")
	r := rubric(t, "", "payroll", "-p", voice, "-i", voiceData, "-o", dir)
	if r.code != 0 || !regexp.MustCompile(`^wrote .*2026-10: 598 rows for 299 snapshots \(earned \d+, not_earned \d+, ineligible \d+, no_data \d+\), run [0-9a-f]{32}\ntotals: csat_award [0-9.]+ EUR; monthly_bonus [0-9.]+ EUR\n$`).MatchString(r.stdout) {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "need review before payment") {
		t.Errorf("no review warning: %s", r.stderr)
	}
	if r := rubric(t, "", "payroll", "-p", voice, "-i", voiceData, "-o", dir); r.code != 0 || !strings.Contains(r.stdout, "already holds this export") {
		t.Errorf("rerun: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := rubric(t, "", "payroll", "--verify", dir); r.code != 0 || !strings.Contains(r.stdout, "matches manifest.json") {
		t.Errorf("verify: %d %s %s", r.code, r.stdout, r.stderr)
	}
	other := write(t, t.TempDir(), "other.csv", "subject,period,base_pay,tenure_days\nZ1,2026-10,1000,400\n")
	if r := rubric(t, "", "payroll", "-p", voice, "-i", other, "-o", dir); r.code != 1 || !strings.Contains(r.stderr, "holds a different export") {
		t.Errorf("different export: %d %s", r.code, r.stderr)
	}
	if r := rubric(t, "", "payroll", "-p", voice, "-i", other, "-o", dir, "--force"); r.code != 0 {
		t.Errorf("--force: %d %s", r.code, r.stderr)
	}
	csvPath := filepath.Join(dir, "payroll.csv")
	b, _ := os.ReadFile(csvPath)
	os.WriteFile(csvPath, bytes.Replace(b, []byte(",EUR,"), []byte(",USD,"), 1), 0o644)
	if r := rubric(t, "", "payroll", "--verify", dir); r.code != 1 || !strings.Contains(r.stderr, "does not match its manifest") {
		t.Errorf("verify edited: %d %s", r.code, r.stderr)
	}
	if r := rubric(t, "", "payroll", "-p", voice, "-i", voiceData); r.code != 2 {
		t.Errorf("missing -o: %d", r.code)
	}
}

func TestTestAndFmtCLI(t *testing.T) {
	if r := rubric(t, "", "test", "../../policies/"); r.code != 0 || !strings.Contains(r.stdout, "39 passed, 0 failed") {
		t.Errorf("test policies/: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := rubric(t, "", "test", "--coverage", "--min-coverage", "100", "../../policies/voice-agents")
	if r.code != 0 || !strings.Contains(r.stdout, "coverage: 100.0% (44 of 44)") {
		t.Errorf("coverage: %d\n%s", r.code, r.stdout)
	}
	// A copy of the voice-agent policy with one expectation broken.
	dir := t.TempDir()
	for _, f := range []string{"policy.hcl", "metrics.hcl", "targets.hcl", "incentives.hcl", "bonus.test.hcl"} {
		b, err := os.ReadFile(filepath.Join(voice, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "bonus.test.hcl" {
			b = bytes.Replace(b, []byte(`amount = "300.00"`), []byte(`amount = "310.00"`), 1)
		}
		write(t, dir, f, string(b))
	}
	r = rubric(t, "", "test", dir)
	if r.code != 1 || !regexp.MustCompile(`--- FAIL: strong agent earns the full bonus \(.*bonus.test.hcl:4\)\n    .*bonus.test.hcl:\d+: incentive monthly_bonus amount: expected "310.00", got "300.00"\n        why: eligible \(tenure, no_autofail passed\)`).MatchString(r.stdout) ||
		!strings.Contains(r.stdout, "11 passed, 1 failed") {
		t.Errorf("broken expectation: %d\n%s", r.code, r.stdout)
	}
	r = rubric(t, "", "test", "--format", "junit", dir)
	if r.code != 1 || !strings.Contains(r.stdout, `<testsuites tests="12" failures="1" errors="0">`) || !strings.Contains(r.stdout, `<failure message="incentive monthly_bonus amount: expected &#34;310.00&#34;, got &#34;300.00&#34;" type="expectation">`) {
		t.Errorf("junit: %s", r.stdout)
	}
	r = rubric(t, "", "test", "--format", "json", "--coverage", dir)
	var tj struct {
		Passed, Failed int
		Policies       []struct {
			Coverage struct{ Percent float64 }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &tj); err != nil || tj.Passed != 11 || tj.Failed != 1 || tj.Policies[0].Coverage.Percent <= 0 {
		t.Errorf("json: %v %s", err, r.stdout)
	}
	if r := rubric(t, "", "test", "--run", "^nothing matches$", voice); r.code != 1 || !strings.Contains(r.stderr, "no test ran") {
		t.Errorf("no tests: %d %s", r.code, r.stderr)
	}
	if r := rubric(t, "", "test", "--run", "^nothing matches$", "--allow-empty", voice); r.code != 0 {
		t.Errorf("--allow-empty: %d", r.code)
	}
	// fmt: a messy file is listed by --check, shown by --diff, fixed by fmt.
	messy := write(t, t.TempDir(), "m.hcl", "metric \"aht\" {\nbetter=\"lower\"\n}\n")
	if r := rubric(t, "", "fmt", "--check", messy); r.code != 1 || strings.TrimSpace(r.stdout) != messy {
		t.Errorf("fmt --check: %d %q", r.code, r.stdout)
	}
	if r := rubric(t, "", "fmt", "--diff", messy); r.code != 1 || !strings.Contains(r.stdout, "+  better = \"lower\"") {
		t.Errorf("fmt --diff: %d %s", r.code, r.stdout)
	}
	if r := rubric(t, "", "fmt", messy); r.code != 0 {
		t.Errorf("fmt: %d %s", r.code, r.stderr)
	}
	if r := rubric(t, "", "fmt", "--check", messy, "../../policies"); r.code != 0 {
		t.Errorf("fmt --check after fmt: %d %s", r.code, r.stdout)
	}
}

func TestDiffCLI(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"policy.hcl", "metrics.hcl", "targets.hcl", "incentives.hcl"} {
		b, _ := os.ReadFile(filepath.Join(voice, f))
		write(t, dir, f, string(bytes.Replace(b, []byte("multiplier = 1.5"), []byte("multiplier = 2.0"), 1)))
	}
	r := rubric(t, "", "diff", voice, dir, "-i", voiceData)
	if r.code != 0 || !regexp.MustCompile(`Monthly bonus\s+EUR\s+[0-9.]+\s+[0-9.]+\s+\+[0-9.]+\s+\+[0-9.]+%`).MatchString(r.stdout) || !strings.Contains(r.stdout, "Largest changes") {
		t.Errorf("text: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = rubric(t, "", "diff", voice, dir, "-i", voiceData, "--format", "markdown", "--max-total-change", "50")
	if r.code != 0 || !strings.Contains(r.stdout, "| incentive | currency | old | new | delta | change |") {
		t.Errorf("markdown: %d\n%s", r.code, r.stdout)
	}
	if r := rubric(t, "", "diff", voice, dir, "-i", voiceData, "--max-total-change", "1"); r.code != 1 || !strings.Contains(r.stderr, "more than --max-total-change 1%") {
		t.Errorf("--max-total-change: %d %s", r.code, r.stderr)
	}
	r = rubric(t, "", "diff", voice, voice, "-i", voiceData, "--format", "json", "--max-total-change", "0")
	var rep struct {
		Snapshots  int
		Incentives []struct{ Delta string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 || rep.Snapshots != 299 || rep.Incentives[0].Delta != "0.00" {
		t.Errorf("json: %d %v %s", r.code, err, r.stdout)
	}
	if r := rubric(t, "", "diff", voice, "-i", voiceData); r.code != 2 {
		t.Errorf("one policy: %d", r.code)
	}
}

func TestValidateSARIF(t *testing.T) {
	bad := write(t, t.TempDir(), "bad.hcl", badPolicy)
	r := rubric(t, "", "validate", "--format", "sarif", bad)
	var log struct {
		Version string
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string
					Rules []struct {
						ID                                string
						ShortDescription, FullDescription struct{ Text string }
						Help                              struct{ Text, Markdown string }
					}
				}
			}
			Results []struct {
				RuleID    string
				Level     string
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine, StartColumn int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &log); err != nil || r.code != 1 {
		t.Fatal(r.code, err, r.stdout)
	}
	res := log.Runs[0].Results[0]
	loc := res.Locations[0].PhysicalLocation
	if log.Version != "2.1.0" || log.Runs[0].Tool.Driver.Name != "rubric" || res.RuleID != "rubric/unknown-name" || res.Level != "error" ||
		loc.ArtifactLocation.URI != filepath.ToSlash(bad) || loc.Region.StartLine != 10 || loc.Region.StartColumn != 13 {
		t.Errorf("%+v", log)
	}
	// GitHub code scanning requires a rule's fullDescription and help
	// (GH2012); each code says what it is, not "rubric diagnostic: …".
	for _, rule := range log.Runs[0].Tool.Driver.Rules {
		if rule.FullDescription.Text == "" || rule.Help.Text == "" || rule.Help.Markdown == "" || strings.Contains(rule.ShortDescription.Text, "rubric diagnostic") {
			t.Errorf("rule %s: %+v", rule.ID, rule)
		}
	}
	if r := rubric(t, "", "validate", "--format", "sarif", voice); r.code != 0 || !strings.Contains(r.stdout, `"results": []`) {
		t.Errorf("valid policy: %d %s", r.code, r.stdout)
	}
}

func TestCalibrateCLI(t *testing.T) {
	r := rubric(t, "", "calibrate", "-p", voice, "-i", voiceData)
	if r.code != 0 || !regexp.MustCompile(`(?m)^First contact resolution: ok — [0-9.]+% of \d+ judged snapshots met the goal 75.0%; 70% would meet [0-9.]+%$`).MatchString(r.stdout) {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := rubric(t, "", "calibrate", "-p", voice, "-i", voiceData, "--format", "json"); r.code != 0 || !strings.Contains(r.stdout, `"suggested_goal"`) {
		t.Errorf("json: %d %s", r.code, r.stderr)
	}
	// With --max-share 1, any target met by more than 1% is too easy.
	if r := rubric(t, "", "calibrate", "-p", voice, "-i", voiceData, "--max-share", "1", "--fail-on", "too_easy"); r.code != 1 || !strings.Contains(r.stderr, "too_easy") {
		t.Errorf("--fail-on: %d %s", r.code, r.stderr)
	}
	dir := filepath.Join(t.TempDir(), "proposed")
	if r := rubric(t, "", "calibrate", "-p", voice, "-i", voiceData, "--apply", dir); r.code != 0 {
		t.Fatalf("--apply: %d %s", r.code, r.stderr)
	}
	if r := rubric(t, "", "validate", dir); r.code != 0 {
		t.Errorf("the applied policy does not validate: %s %s", r.stdout, r.stderr)
	}
	if r := rubric(t, "", "calibrate", "-p", voice, "-i", voiceData, "--fail-on", "hard"); r.code != 2 {
		t.Errorf("bad --fail-on: %d", r.code)
	}
	// Standard input is read twice (as it is, then with the suggested
	// goals): the same answer as from the file, and for report too.
	data, err := os.ReadFile(voiceData)
	if err != nil {
		t.Fatal(err)
	}
	fromFile := rubric(t, "", "calibrate", "-p", voice, "-i", voiceData, "--format", "json")
	if r := rubric(t, string(data), "calibrate", "-p", voice, "-i", "-", "--input-format", "csv", "--format", "json"); r.code != 0 || r.stdout != fromFile.stdout {
		t.Errorf("calibrate from stdin: %d %s", r.code, r.stderr)
	}
	site := filepath.Join(t.TempDir(), "site")
	if r := rubric(t, string(data), "report", "-p", voice, "-i", "-", "--input-format", "csv", "-o", site); r.code != 0 {
		t.Errorf("report from stdin: %d %s", r.code, r.stderr)
	} else if _, err := os.Stat(filepath.Join(site, "index.html")); err != nil {
		t.Errorf("report from stdin wrote no index: %v", err)
	}
}

// TestHistoryCommandsOnExamples: trend, explain's history and calibrate run
// on the shipped examples and their months of history.
func TestHistoryCommandsOnExamples(t *testing.T) {
	help := "../../policies/it-helpdesk"
	data := "../../fixtures/it-helpdesk/history.csv"
	if r := rubric(t, "", "trend", "-p", help, "-i", data, "--subject", "H-2001"); r.code != 0 || strings.Count(r.stdout, "H-2001") != 3 {
		t.Errorf("trend: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := rubric(t, "", "explain", "-p", help, "-i", data, "--subject", "H-2001"); r.code != 0 || !strings.Contains(r.stdout, "History (the window of 2 earlier period(s))") || !strings.Contains(r.stdout, "2026-09") {
		t.Errorf("explain: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := rubric(t, "", "explain", "-p", help, "-i", data, "--subject", "H-2001", "--all"); r.code != 0 || strings.Count(r.stdout, "H-2001, period") != 3 {
		t.Errorf("explain --all: %d\n%s", r.code, r.stderr)
	}
	if r := rubric(t, "", "eval", "-p", help, "-i", data, "--period", "2026-11", "--format", "ndjson"); r.code != 0 || strings.Count(r.stdout, "\n") != 279 {
		t.Errorf("eval --period: %d, %d lines", r.code, strings.Count(r.stdout, "\n"))
	}
	if r := rubric(t, "", "calibrate", "-p", voice, "-i", "../../fixtures/voice-agents/history.csv", "--period", "2026-08..2026-09"); r.code != 0 || !strings.Contains(r.stdout, "over 558 snapshot(s)") {
		t.Errorf("calibrate: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestProgressLine(t *testing.T) {
	sec := time.Second
	for _, tt := range []struct {
		name  string
		ticks [][5]int64 // total, bytes, rows, evaluated, seconds elapsed
		want  string     // the last tick's line
	}{
		{"nothing read yet", [][5]int64{{1000, 0, 0, 0, 3}}, "rubric: reading, 0 rows, 0 rows/s, 3s elapsed"},
		{"reading a file", [][5]int64{{1000, 250, 3000, 2900, 3}}, "rubric: reading, 3000 rows, 1000 rows/s, 3s elapsed, 25%, about 9s left"},
		{"read, evaluating: its own rate and time left", [][5]int64{{1000, 1000, 3000, 1200, 3}, {1000, 1000, 3000, 2100, 6}},
			"rubric: evaluating, 2100 of 3000 (70%), 300/s, about 3s left, 6s elapsed"},
		{"read, evaluating, first tick", [][5]int64{{1000, 1000, 3000, 1200, 3}}, "rubric: evaluating, 1200 of 3000 (40%), 3s elapsed"},
		{"a pipe still growing", [][5]int64{{0, 5000, 2000, 1200, 2}, {0, 7000, 3000, 1200, 3}}, "rubric: reading, 3000 rows, 1000 rows/s, 3s elapsed"},
		{"a pipe read to its end", [][5]int64{{0, 7000, 3000, 1200, 3}, {0, 7000, 3000, 1500, 4}, {0, 7000, 3000, 2100, 5}},
			"rubric: evaluating, 2100 of 3000 (70%), 600/s, about 1s left, 5s elapsed"},
		{"all evaluated", [][5]int64{{1000, 1000, 3000, 3000, 3}}, "rubric: reading, 3000 rows, 1000 rows/s, 3s elapsed"},
	} {
		var ph phases
		got := ""
		for _, k := range tt.ticks {
			got = ph.line(k[0], k[1], k[2], k[3], time.Duration(k[4])*sec)
		}
		if got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	// Not a terminal: nothing is shown, and stop returns at once.
	var buf bytes.Buffer
	_, stop := progress(&env{stderr: &buf}, []string{"x"}, false)
	stop()
	if buf.Len() != 0 {
		t.Errorf("progress on a non-terminal: %q", buf.String())
	}
}

// TestCollectorPace: the collector runs at a quarter of its pace, its heap
// capped, while a run starts, and at the usual pace with the usual safety
// net soon after, so a long run's memory is bounded as before.
func TestCollectorPace(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT is set: rubric leaves the collector alone")
	}
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	steadyOnce = sync.Once{}
	startupGC()
	if gogc, limit := debug.SetGCPercent(-1), debug.SetMemoryLimit(-1); gogc != 400 || limit != startupHeap {
		t.Fatalf("pace while starting: GOGC %d, limit %d; want 400, %d", gogc, limit, startupHeap)
	}
	debug.SetGCPercent(400)
	deadline := time.Now().Add(10 * time.Second) // the pace changes after startupPace; a loaded machine may take longer
	for {
		gogc := debug.SetGCPercent(-1)
		debug.SetGCPercent(gogc)
		if gogc == 100 && debug.SetMemoryLimit(-1) == steadyLimit {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pace %v after start: GOGC %d, limit %d; want 100, %d", time.Since(deadline.Add(-10*time.Second)), gogc, debug.SetMemoryLimit(-1), steadyLimit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
