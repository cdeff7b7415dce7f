package htmlreport_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/htmlreport"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/evaluator/lang"
)

var screenshots = flag.String("screenshots", "", "also write the screenshots of the first example here (docs/img)")

// chromium finds Debian's Chromium. Under CI=true the browser tests must
// run; elsewhere they skip, saying how to enable them.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true but no Chromium: .ci/run installs it with apt-get install -y chromium")
	}
	t.Skip("no Chromium: install it (apt-get install -y chromium) to run the browser tests")
	return ""
}

type pageCheck struct {
	file     string
	selector string // an element whose text is checked
	want     string
}

// TestReportInBrowser opens every page of each example's report in
// headless Chromium: no console error, no network request, the numbers on
// the page equal the outcomes, the statement prints on A4, and a
// screenshot of each page is saved.
func TestReportInBrowser(t *testing.T) {
	bin := chromium(t)
	artifacts := os.Getenv("RUBRIC_ARTIFACTS")
	if artifacts == "" {
		artifacts = filepath.Join(os.TempDir(), "rubric-report-artifacts")
	}
	os.MkdirAll(artifacts, 0o755)
	for _, ex := range []struct{ policy, data string }{
		{"voice-agents", "history.csv"},
		{"it-helpdesk", "history.csv"},
		{"support-team", "snapshots.csv"},
	} {
		t.Run(ex.policy, func(t *testing.T) {
			p, diags, err := engine.Load(filepath.Join("../../policies", ex.policy))
			if err != nil || diags.HasErrors() {
				t.Fatal(err, diags)
			}
			in := engine.Input{Name: filepath.Join("../../fixtures", ex.policy, ex.data)}
			dir := filepath.Join(t.TempDir(), "report")
			res, sres, err := htmlreport.Build(p, in, htmlreport.Options{Dir: dir})
			if err != nil || sres.Failed() {
				t.Fatal(err, sres)
			}
			checks := expectations(t, p, in, dir, res)
			allocCtx, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
				chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU)...)
			defer cancel()
			for _, c := range checks {
				ctx, cancel := chromedp.NewContext(allocCtx)
				ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
				var mu sync.Mutex
				var problems []string
				if err := chromedp.Listen(ctx, func(ev any) {
					mu.Lock()
					defer mu.Unlock()
					switch e := ev.(type) {
					case *runtime.EventConsoleAPICalled:
						if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
							problems = append(problems, fmt.Sprintf("console %s", e.Type))
						}
					case *runtime.EventExceptionThrown:
						problems = append(problems, "exception: "+e.ExceptionDetails.Text)
					case *network.EventRequestWillBeSent:
						if !strings.HasPrefix(e.Request.URL, "file://") && !strings.HasPrefix(e.Request.URL, "data:") {
							problems = append(problems, "network request: "+e.Request.URL)
						}
					}
				}); err != nil {
					t.Fatal(err)
				}
				url := "file://" + filepath.Join(dir, c.file)
				if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
					t.Fatal(err)
				}
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(1000, 1400), chromedp.Navigate(url)); err != nil {
					t.Fatalf("%s: %v", c.file, err)
				}
				got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(c.selector)))
				if err != nil {
					t.Fatalf("%s %s: %v", c.file, c.selector, err)
				}
				// axe-core: no serious or critical WCAG 2 A/AA violation
				// (contrast, names, structure).
				if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axeSource(t)+";true")); err != nil {
					t.Fatalf("%s: injecting axe: %v", c.file, err)
				}
				violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}).then(r =>
  r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => v.id + " (" + v.impact + ", " + v.nodes.length + " node(s)): " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join("; ")))`, chromedp.EvalAwaitPromise))
				if err != nil {
					t.Fatalf("%s: axe: %v", c.file, err)
				}
				for _, v := range violations {
					t.Errorf("%s: axe: %s", c.file, v)
				}
				shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(80))
				if err != nil {
					t.Fatalf("%s: screenshot: %v", c.file, err)
				}
				background := true
				printed, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PaperWidth: 8.27, PaperHeight: 11.69, PrintBackground: &background})
				pdf := printed.Data
				cancelT()
				cancel()
				if err != nil {
					t.Fatalf("%s: print: %v", c.file, err)
				}
				mu.Lock()
				if len(problems) > 0 {
					t.Errorf("%s: %v", c.file, problems)
				}
				mu.Unlock()
				if strings.TrimSpace(got) != c.want {
					t.Errorf("%s %s: the page shows %q, the outcomes say %q", c.file, c.selector, strings.TrimSpace(got), c.want)
				}
				pagesN := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1))
				if pagesN < 1 || (strings.HasPrefix(c.file, "statement") && pagesN > 4) {
					t.Errorf("%s prints on %d A4 page(s)", c.file, pagesN)
				}
				name := ex.policy + "-" + strings.TrimSuffix(strings.SplitN(c.file, "-", 2)[0], ".html") + ".jpg"
				os.WriteFile(filepath.Join(artifacts, name), shot, 0o644)
			}
		})
	}
}

// axeSource is the vendored axe-core script (testdata/axe).
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDocScreenshots writes the screenshots of docs/report.md with
// -screenshots DIR: the first screen of the voice-agent example's
// overview, a team page and a statement, in English and in Indonesian
// (report-*.png, report-id-*.png).
func TestDocScreenshots(t *testing.T) {
	if *screenshots == "" {
		t.Skip("only with -screenshots DIR")
	}
	bin := chromium(t)
	p, diags, err := engine.Load("../../policies/voice-agents")
	if err != nil || diags.HasErrors() {
		t.Fatal(err, diags)
	}
	id, err := lang.Parse("id")
	if err != nil {
		t.Fatal(err)
	}
	allocCtx, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU)...)
	defer cancel()
	for prefix, l := range map[string]*lang.Locale{"report-": nil, "report-id-": id} {
		dir := filepath.Join(t.TempDir(), "report")
		if _, sres, err := htmlreport.Build(p, engine.Input{Name: "../../fixtures/voice-agents/history.csv"}, htmlreport.Options{Dir: dir, Stream: engine.StreamOptions{Lang: l}}); err != nil || sres.Failed() {
			t.Fatal(err, sres)
		}
		pages := map[string]string{"index": "index.html", "statement": "A-2001.html"}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "team-") && pages["team"] == "" {
				pages["team"] = e.Name()
			}
		}
		for name, file := range pages {
			ctx, cancel := chromedp.NewContext(allocCtx)
			var png []byte
			err := chromedp.Do(ctx, chromedp.EmulateViewport(1000, 1250), chromedp.Navigate("file://"+filepath.Join(dir, file)))
			if err == nil {
				png, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
			}
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(*screenshots, prefix+name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// expectations picks, for the index, a team page and a statement, a number
// on the page and what the outcomes say it must be.
func expectations(t *testing.T, p *engine.Policy, in engine.Input, dir string, res *htmlreport.Result) []pageCheck {
	t.Helper()
	rp := p.Rules()
	var buf bytes.Buffer
	sel := engine.Input{Name: in.Name, Periods: []string{res.Periods[len(res.Periods)-1]}}
	if _, err := p.Eval(sel, engine.Output{W: &buf}, engine.EvalOptions{Format: engine.OutCSV}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var team, statement string
	for _, e := range entries {
		switch {
		case team == "" && strings.HasPrefix(e.Name(), "team-"):
			team = e.Name()
		case statement == "" && strings.HasPrefix(e.Name(), "statement-"):
			statement = e.Name()
		}
	}
	checks := []pageCheck{}
	if len(rp.Incentives) > 0 {
		// The last period's total of the first incentive, from eval.
		last := res.Periods[len(res.Periods)-1]
		total := sumColumn(t, buf.String(), "incentives."+rp.Incentives[0].Name+".amount")
		checks = append(checks, pageCheck{"index.html", fmt.Sprintf(`section[aria-labelledby="p-%s"] [data-incentive=%q]`, last, rp.Incentives[0].Name), total})
	} else {
		checks = append(checks, pageCheck{"index.html", "h1", rp.Title})
	}
	if team != "" {
		checks = append(checks, pageCheck{team, "h1", "Team " + strings.SplitN(readTitle(t, filepath.Join(dir, team)), "Team ", 2)[1]})
	}
	if statement != "" {
		b, _ := os.ReadFile(filepath.Join(dir, statement))
		m := regexp.MustCompile(`<h1>([^<:]+): ([^<]+)</h1>`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("%s has no title", statement)
		}
		subject, period := string(m[1]), string(m[2])
		if len(rp.Scorecards) > 0 {
			checks = append(checks, pageCheck{statement, fmt.Sprintf(`[data-score=%q]`, rp.Scorecards[0].Name), scoreOf(t, p, in, subject, period)})
		}
	}
	return checks
}

func readTitle(t *testing.T, path string) string {
	b, _ := os.ReadFile(path)
	m := regexp.MustCompile(`<h1>([^<]+)</h1>`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s has no h1", path)
	}
	return string(m[1])
}

// sumColumn adds up a money column of eval's CSV output.
func sumColumn(t *testing.T, csvText, column string) string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(csvText))
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(rows[0], column)
	if col < 0 {
		t.Fatalf("no column %s", column)
	}
	total := new(apd.Decimal)
	for _, row := range rows[1:] {
		if row[col] == "" {
			continue
		}
		d, _, err := apd.NewFromString(row[col])
		if err != nil {
			t.Fatal(err)
		}
		apd.BaseContext.Add(total, total, d)
	}
	return total.Text('f')
}

// scoreOf is the first scorecard's score of one snapshot, as the report
// prints it.
func scoreOf(t *testing.T, p *engine.Policy, in engine.Input, subject, period string) string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := p.Eval(engine.Input{Name: in.Name, Periods: []string{period}}, engine.Output{W: &buf}, engine.EvalOptions{Format: engine.OutNDJSON}); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var o struct {
			Subject string
			Scores  map[string]struct {
				Status string
				Value  *float64
			}
		}
		json.Unmarshal([]byte(line), &o)
		if o.Subject != subject {
			continue
		}
		sc := o.Scores[p.Rules().Scorecards[0].Name]
		if sc.Value == nil {
			return "–"
		}
		return evaluator.Short(*sc.Value)
	}
	t.Fatalf("no outcome for %s %s", subject, period)
	return ""
}
