// Package htmlreport writes a static, self-contained HTML site of a
// policy's outcomes: an overview per period, a page per team and a
// statement per subject, for managers and agents to look at rather than
// read (docs/report.md). No network requests, no scripts: inline CSS, inline
// SVG charts each with a table of the same numbers, html/template escaping
// every value from the input.
package htmlreport

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/fsutil"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/evaluator/lang"
	"github.com/rubric-dev/rubric/evaluator/money"
	"github.com/rubric-dev/rubric/rules"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages are the report's templates, parsed the first time a report is
// written rather than when any rubric command starts; each report
// clones them with the functions of its language (funcs).
var pages = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("").Funcs(funcs(nil)).ParseFS(templateFS, "templates/*.html"))
})

// funcs are the templates' functions in a language: t a fragment, tf a
// sentence with arguments, num and pct numbers, lang the page's code.
func funcs(l *lang.Locale) template.FuncMap {
	c := charts{l}
	return template.FuncMap{
		"t":    l.S,
		"tf":   l.F,
		"lang": l.Code,
		"num": func(v any) string {
			switch x := v.(type) {
			case float64:
				if math.IsNaN(x) {
					return "–"
				}
				return c.num(x)
			case *float64:
				if x == nil {
					return "–"
				}
				return c.num(*x)
			}
			return fmt.Sprint(v)
		},
		"pct": func(f float64) string {
			if math.IsNaN(f) {
				return "–"
			}
			return c.num(math.Round(f*1000)/10) + "%"
		},
	}
}

// Options control a report.
type Options struct {
	Dir      string            // the site's directory (replaced whole)
	Team     string            // only this team's page and statements
	Subject  string            // only this subject's statement
	Verdicts map[string]string // achievability verdict per target (from calibrate)
	Stream   engine.StreamOptions
}

// Result says what was written.
type Result struct {
	Pages    int
	Periods  []string
	Subjects int
	Teams    int
}

// Build evaluates in and writes the site into opts.Dir, atomically (a
// directory written aside, then renamed into place).
func Build(p *engine.Policy, in engine.Input, opts Options) (*Result, *engine.StreamResult, error) {
	rp := p.Rules()
	sel, err := engine.NewSelection(in.Periods, rp.Period)
	if err != nil {
		return nil, nil, err
	}
	opts.Stream.Explain = true
	opts.Stream.EncodeAll = true
	var mu sync.Mutex
	var all []*evaluator.Outcome
	res, err := p.Stream(in, opts.Stream, func(o *evaluator.Outcome, buf []byte) []byte {
		mu.Lock()
		all = append(all, o.Clone())
		mu.Unlock()
		return buf
	}, func([]byte) error { return nil })
	if err != nil || res.Failed() {
		return nil, res, err
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i].Snapshot, all[j].Snapshot
		if a.Period.Index() != b.Period.Index() {
			return a.Period.Index() < b.Period.Index()
		}
		return a.Subject < b.Subject
	})
	l := opts.Stream.Lang
	s := &site{p: p, rp: rp, opts: opts, l: l, c: charts{l}, bySubject: map[string][]*evaluator.Outcome{}, teams: map[string]bool{}}
	for _, o := range all {
		sn := o.Snapshot
		s.bySubject[sn.Subject] = append(s.bySubject[sn.Subject], o) // every period: the statement's history
		if sn.HistoryOnly || !sel.Has(sn.Period) {
			continue
		}
		s.selected = append(s.selected, o)
		if sn.HasTeam {
			s.teams[sn.Team] = true
		}
	}
	return s.write(res)
}

type site struct {
	p         *engine.Policy
	rp        *rules.Policy
	opts      Options
	l         *lang.Locale // the language of the pages (SPEC §15)
	c         charts
	selected  []*evaluator.Outcome // in period, then subject order
	bySubject map[string][]*evaluator.Outcome
	teams     map[string]bool
}

// safeID is id as it is when it is a plain file name (letters, digits,
// ".", "_", "-"; A-1001), else made one: its plain characters and a hash
// of it, so that two ids never share a file.
func safeID(id string) string {
	plain := id != "" && len(id) <= 64 && id[0] != '.' && id != "index"
	for _, r := range id {
		if !(r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')) {
			plain = false
		}
	}
	if plain && !strings.HasPrefix(id, "statement-") && !strings.HasPrefix(id, "team-") {
		return id
	}
	name := fileName("s", id)
	return strings.TrimSuffix(strings.TrimPrefix(name, "s-"), ".html")
}

// statementFile is the statement of a subject for a period:
// statement-<subject>-<period>.html.
func statementFile(subject, period string) string {
	return "statement-" + safeID(subject) + "-" + period + ".html"
}

// subjectFile is the subject's latest statement: <subject>.html.
func subjectFile(subject string) string { return safeID(subject) + ".html" }

// fileName is a safe, unique file name for a subject or team id.
func fileName(prefix, id string) string {
	var b strings.Builder
	for _, r := range id {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') && b.Len() < 40 {
			b.WriteRune(r)
		}
	}
	sum := sha256.Sum256([]byte(id))
	return prefix + "-" + b.String() + "-" + hex.EncodeToString(sum[:4]) + ".html"
}

func (s *site) write(res *engine.StreamResult) (*Result, *engine.StreamResult, error) {
	dir := filepath.Clean(s.opts.Dir)
	if fi, err := os.Lstat(dir); err == nil && (!fi.IsDir() || !isReport(dir)) {
		return nil, res, fmt.Errorf("%s exists and is not a rubric report; refusing to replace it", dir)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, res, err
	}
	// Made and written through fsutil, so that an interrupted run leaves
	// no half-written report behind.
	tmp, err := fsutil.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return nil, res, err
	}
	defer fsutil.Remove(tmp)
	out := &Result{}
	tmpl, err := pages().Clone()
	if err != nil {
		return nil, res, err
	}
	tmpl.Funcs(funcs(s.l))
	writePage := func(name, page string, data any) error {
		f, err := fsutil.OpenFile(filepath.Join(tmp, name), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o666)
		if err != nil {
			return err
		}
		if err := tmpl.ExecuteTemplate(f, page, data); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", name, err)
		}
		out.Pages++
		return f.Close()
	}
	idx := s.index()
	out.Periods = idx.PeriodLabels
	if err := writePage("index.html", "index.html", idx); err != nil {
		return nil, res, err
	}
	teams := sortedKeys(s.teams)
	for _, t := range teams {
		if s.opts.Team != "" && t != s.opts.Team {
			continue
		}
		if s.opts.Subject != "" {
			continue
		}
		if err := writePage(fileName("team", t), "team.html", s.teamPage(t)); err != nil {
			return nil, res, err
		}
		out.Teams++
	}
	// A statement per subject and period, and the latest again as the
	// subject's own page (SPEC §15).
	for _, subj := range s.subjects() {
		var latest *evaluator.Outcome
		for _, o := range s.selected {
			if o.Snapshot.Subject != subj {
				continue
			}
			if err := writePage(statementFile(subj, o.Snapshot.Period.Label), "statement.html", s.statement(o)); err != nil {
				return nil, res, err
			}
			latest = o
		}
		if err := writePage(subjectFile(subj), "statement.html", s.statement(latest)); err != nil {
			return nil, res, err
		}
		out.Subjects++
	}
	marker, err := fsutil.OpenFile(filepath.Join(tmp, ".rubric-report"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, res, err
	}
	_, err = marker.WriteString("a rubric report; rubric report replaces this directory whole\n")
	if cerr := marker.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, res, err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, res, err
	}
	if err := fsutil.ReplaceDir(tmp, dir); err != nil {
		return nil, res, err
	}
	return out, res, nil
}

// isReport reports whether dir holds a report written by rubric (or
// nothing).
func isReport(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	if len(entries) == 0 {
		return true
	}
	_, err = os.Stat(filepath.Join(dir, ".rubric-report"))
	return err == nil
}

// subjects lists the subjects that get a statement, sorted.
func (s *site) subjects() []string {
	seen := map[string]bool{}
	var out []string
	for _, o := range s.selected {
		sn := o.Snapshot
		if (s.opts.Subject != "" && sn.Subject != s.opts.Subject) || (s.opts.Team != "" && sn.Team != s.opts.Team) || seen[sn.Subject] {
			continue
		}
		seen[sn.Subject] = true
		out = append(out, sn.Subject)
	}
	sort.Strings(out)
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ---- the index ----

type indexPage struct {
	Title        string
	Policy       engine.PolicyRef
	Currency     string
	PeriodLabels []string
	Periods      []*periodView
	Teams        []link
	Subjects     []link
	Trend        template.HTML // the average score over the periods
	TrendRows    []trendRow
}

type link struct{ Name, File string }

type trendRow struct {
	Period string
	Score  float64
	Paid   string
}

type periodView struct {
	Label       string
	Snapshots   int
	ScoreChart  template.HTML
	Scorecards  []scoreView
	Targets     []targetView
	TargetChart template.HTML
	Teams       []teamAvg
	Incentives  []incentiveTotal
	Breaches    []breachCount
	Attention   []attentionRow // who needs attention (SPEC §15)
}

// attentionRow is a subject who needs attention in a period: a breach
// rule that fired, or a target missed two or more periods running.
type attentionRow struct {
	Subject, File, Team, Rule, Severity, Message, Since string
}

type scoreView struct {
	Name      string
	Median    float64
	Bands     []bandShare
	BandChart template.HTML
}

type bandShare struct {
	Band  string
	Count int
	Share float64
}

type targetView struct {
	Name, Label, Unit, Verdict string // Name is the policy's, for machines (data-target)
	MetShare, Goal             float64
	Evaluable                  int
}

type teamAvg struct {
	Team, File string
	Members    int
	Score      float64
	Diff       float64 // against everyone's average
}

type incentiveTotal struct {
	Name, Total string
	Earned      int
}

type breachCount struct {
	Name  string
	Count int
}

// attention lists who needs attention among a period's outcomes (in
// subject order): every breach rule that fired, and every target missed
// or breached in this period and the one before (a streak: since when).
func (s *site) attention(outs []*evaluator.Outcome) []attentionRow {
	var rows []attentionRow
	for _, o := range outs {
		sn := o.Snapshot
		base := attentionRow{Subject: sn.Subject, File: statementFile(sn.Subject, sn.Period.Label), Team: sn.Team}
		for _, b := range o.Breaches {
			if b.Status == evaluator.Breached {
				r := base
				r.Rule, r.Severity, r.Message, r.Since = s.l.F("breach %s", b.Breach.Label.Or(s.l.Code(), b.Breach.Name)), s.l.S(b.Breach.Severity.String()), b.Message, sn.Period.Label
				rows = append(rows, r)
			}
		}
		for i, t := range o.Targets {
			if t.Status != evaluator.Missed && t.Status != evaluator.TargetBreached {
				continue
			}
			since, n := sn.Period.Label, 1
			hist := s.bySubject[sn.Subject]
			idx := sn.Period.Index()
			for j := len(hist) - 1; j >= 0; j-- {
				h := hist[j]
				hi := h.Snapshot.Period.Index()
				if hi >= idx {
					continue
				}
				if hi != idx-1 {
					break
				}
				if st := h.Targets[i].Status; st != evaluator.Missed && st != evaluator.TargetBreached {
					break
				}
				since, idx, n = h.Snapshot.Period.Label, hi, n+1
			}
			if n < 2 {
				continue
			}
			r := base
			r.Rule, r.Severity, r.Since = s.l.F("target %s", t.Target.Label.Or(s.l.Code(), t.Target.Name)), s.l.S("missed"), since
			r.Message = s.l.F("missed %d periods running", n)
			rows = append(rows, r)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Subject < rows[j].Subject })
	return rows
}

func (s *site) index() *indexPage {
	rp := s.rp
	page := &indexPage{Title: rp.Title, Policy: s.p.Ref(), Currency: rp.Currency}
	if page.Title == "" {
		page.Title = rp.Name
	}
	byPeriod := map[string][]*evaluator.Outcome{}
	for _, o := range s.selected {
		l := o.Snapshot.Period.Label
		if byPeriod[l] == nil {
			page.PeriodLabels = append(page.PeriodLabels, l)
		}
		byPeriod[l] = append(byPeriod[l], o)
	}
	var trendScores []float64
	for _, label := range page.PeriodLabels {
		outs := byPeriod[label]
		pv := &periodView{Label: label, Snapshots: len(outs), Attention: s.attention(outs)}
		var firstScores []float64
		for si, sc := range rp.Scorecards {
			var vals []float64
			counts := map[string]int{}
			for _, o := range outs {
				r := o.Scores[si]
				if r.Status == evaluator.ScoreOK {
					vals = append(vals, r.Value.Num)
					counts[r.Band.Str]++
				}
			}
			sort.Float64s(vals)
			sv := scoreView{Name: sc.Label.Or(s.l.Code(), sc.Name), Median: math.NaN()}
			if len(vals) > 0 {
				sv.Median = vals[len(vals)/2]
			}
			var names []string
			var shares []float64
			for _, b := range append(append([]rules.Band(nil), sc.Bands...), rules.Band{Name: ""}) {
				share := 0.0
				if len(vals) > 0 {
					share = float64(counts[b.Name]) / float64(len(vals))
				}
				label := b.Name
				if label == "" {
					if counts[""] == 0 {
						continue
					}
					label = s.l.S("below every band")
				}
				sv.Bands = append(sv.Bands, bandShare{Band: label, Count: counts[b.Name], Share: share})
				names, shares = append(names, label), append(shares, share*100)
			}
			sv.BandChart = s.c.bars(s.l.F("share of subjects per band, scorecard %s, %s", sv.Name, label), names, shares, 100, nil, nil, func(f float64) string { return s.c.num(math.Round(f*10)/10) + "%" })
			pv.Scorecards = append(pv.Scorecards, sv)
			if si == 0 {
				firstScores = vals
				pv.ScoreChart = s.c.histogram(s.l.F("distribution of scores, scorecard %s, %s", sv.Name, label), vals, 20)
			}
		}
		if len(firstScores) > 0 {
			sum := 0.0
			for _, v := range firstScores {
				sum += v
			}
			trendScores = append(trendScores, sum/float64(len(firstScores)))
		} else {
			trendScores = append(trendScores, math.NaN())
		}
		var names []string
		var shares, goals []float64
		for ti, t := range rp.Targets {
			met, eval := 0, 0
			for _, o := range outs {
				switch o.Targets[ti].Status {
				case evaluator.Met, evaluator.Exceeded:
					met++
					eval++
				case evaluator.Missed, evaluator.TargetBreached:
					eval++
				}
			}
			tv := targetView{Name: t.Name, Label: t.Label.Or(s.l.Code(), t.Name), Unit: t.Unit, Verdict: s.opts.Verdicts[t.Name], MetShare: math.NaN(), Goal: math.NaN(), Evaluable: eval}
			if eval > 0 {
				tv.MetShare = float64(met) / float64(eval)
			}
			if t.Goal.IsConst() {
				tv.Goal = t.Goal.Num
			}
			pv.Targets = append(pv.Targets, tv)
			names, shares, goals = append(names, tv.Label), append(shares, tv.MetShare*100), append(goals, 70)
		}
		pv.TargetChart = s.c.bars(s.l.F("share of judged snapshots that met each target, %s (the mark is 70%%)", label), names, shares, 100, goals, nil, func(f float64) string { return s.c.num(math.Round(f*10)/10) + "%" })
		pv.Teams = s.teamAverages(outs)
		var paid money.Total
		for ii, in := range rp.Incentives {
			var total money.Total
			earned := 0
			for _, o := range outs {
				total.Add(o.Incentives[ii].Amount)
				if o.Incentives[ii].Status == evaluator.Earned {
					earned++
				}
			}
			paid.AddTotal(&total)
			pv.Incentives = append(pv.Incentives, incentiveTotal{Name: in.Label.Or(s.l.Code(), in.Name), Total: s.l.Num(total.Decimal().Text('f')), Earned: earned})
		}
		for bi, b := range rp.Breaches {
			n := 0
			for _, o := range outs {
				if o.Breaches[bi].Status == evaluator.Breached {
					n++
				}
			}
			pv.Breaches = append(pv.Breaches, breachCount{Name: b.Label.Or(s.l.Code(), b.Name), Count: n})
		}
		page.Periods = append(page.Periods, pv)
		page.TrendRows = append(page.TrendRows, trendRow{Period: label, Score: trendScores[len(trendScores)-1], Paid: s.l.Num(paid.Decimal().Text('f'))})
	}
	page.Trend = s.c.line(s.l.S("average score over the periods"), page.PeriodLabels, trendScores)
	for _, t := range sortedKeys(s.teams) {
		page.Teams = append(page.Teams, link{t, fileName("team", t)})
	}
	for _, subj := range s.subjects() {
		page.Subjects = append(page.Subjects, link{subj, subjectFile(subj)})
	}
	return page
}

// teamAverages is each team's average score (first scorecard) against
// everyone's, lowest first, so a team-level dip stands out.
func (s *site) teamAverages(outs []*evaluator.Outcome) []teamAvg {
	if len(s.rp.Scorecards) == 0 {
		return nil
	}
	sums, counts := map[string]float64{}, map[string]int{}
	total, n := 0.0, 0
	for _, o := range outs {
		if o.Scores[0].Status != evaluator.ScoreOK {
			continue
		}
		v := o.Scores[0].Value.Num
		total += v
		n++
		if o.Snapshot.HasTeam {
			sums[o.Snapshot.Team] += v
			counts[o.Snapshot.Team]++
		}
	}
	var out []teamAvg
	for t, c := range counts {
		avg := sums[t] / float64(c)
		out = append(out, teamAvg{Team: t, File: fileName("team", t), Members: c, Score: avg, Diff: avg - total/float64(n)})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Score < out[j].Score || out[i].Score == out[j].Score && out[i].Team < out[j].Team
	})
	return out
}
