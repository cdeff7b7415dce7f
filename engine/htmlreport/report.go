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
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/cockroachdb/apd/v3"
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
// directory written aside, then renamed into place). It reads in twice
// (standard input is copied aside first): first for the
// numbers of every page (a brief of each outcome, not the outcome), then
// again with explanations, writing each statement as its outcome comes,
// so that memory grows with the snapshots' numbers, never with their
// explanations.
func Build(p *engine.Policy, in engine.Input, opts Options) (*Result, *engine.StreamResult, error) {
	rp := p.Rules()
	sel, err := engine.NewSelection(in.Periods, rp.Period)
	if err != nil {
		return nil, nil, err
	}
	in, release, err := in.Rewindable()
	if err != nil {
		return nil, nil, err
	}
	defer release()
	first := opts.Stream
	first.Explain = false
	first.EncodeAll = true
	var all []*brief
	var res *engine.StreamResult
	for o, err := range p.Outcomes(in, first, &res) {
		if err != nil {
			return nil, nil, err
		}
		all = append(all, newBrief(o, sel.Has(o.Snapshot.Period), opts.Stream.Lang.Code()))
	}
	if res.Failed() {
		return nil, res, nil
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.index != b.index {
			return a.index < b.index
		}
		return a.subject < b.subject
	})
	l := opts.Stream.Lang
	s := &site{p: p, rp: rp, opts: opts, l: l, c: charts{l}, bySubject: map[string][]*brief{}, teams: map[string]bool{},
		latest: map[string]*brief{}, periodsOf: map[string][]link{}, teamScores: map[string]*teamStat{}}
	for _, b := range all {
		s.bySubject[b.subject] = append(s.bySubject[b.subject], b) // every period: the statement's history
		if !b.selected {
			continue
		}
		s.selected = append(s.selected, b)
		s.latest[b.subject] = b
		s.periodsOf[b.subject] = append(s.periodsOf[b.subject], link{b.period, statementFile(b.subject, b.period)})
		if b.hasTeam {
			s.teams[b.team] = true
			if len(b.scores) > 0 && b.scores[0].ok {
				k := teamKey(b.team, b.period)
				ts := s.teamScores[k]
				if ts == nil {
					ts = &teamStat{}
					s.teamScores[k] = ts
				}
				ts.sorted = append(ts.sorted, b.scores[0].value)
				ts.sum += b.scores[0].value
			}
		}
	}
	for _, ts := range s.teamScores {
		sort.Float64s(ts.sorted)
	}
	return s.write(in, res)
}

// brief is what the report keeps of an outcome between its two reads:
// the numbers the overview, the team pages and a statement's history and
// standing show, without the explanation.
type brief struct {
	subject, team, period string
	index                 int // the period's
	hasTeam, selected     bool
	scores                []scoreBrief     // per scorecard
	targets               []targetBrief    // per target
	incentives            []incentiveBrief // per incentive
	breaches              []breachBrief    // the rules that fired
}

type scoreBrief struct {
	ok    bool
	value float64
	band  string
}

type targetBrief struct {
	status evaluator.TargetStatus
	value  float64 // NaN when not a number
}

type incentiveBrief struct {
	status evaluator.IncentiveStatus
	amount *apd.Decimal
}

type breachBrief struct {
	rule    int // the breach's index in the policy
	message string
}

func newBrief(o *evaluator.Outcome, selected bool, lang string) *brief {
	sn := o.Snapshot
	b := &brief{subject: strings.Clone(sn.Subject), period: sn.Period.Label, index: sn.Period.Index(),
		hasTeam: sn.HasTeam, selected: selected && !sn.HistoryOnly}
	if sn.HasTeam {
		b.team = strings.Clone(sn.Team)
	}
	b.scores = make([]scoreBrief, len(o.Scores))
	for i, sc := range o.Scores {
		b.scores[i] = scoreBrief{ok: sc.Status == evaluator.ScoreOK, value: sc.Value.Num, band: sc.Band.Str}
	}
	b.targets = make([]targetBrief, len(o.Targets))
	for i, t := range o.Targets {
		b.targets[i] = targetBrief{status: t.Status, value: valueOf(t.Value)}
	}
	b.incentives = make([]incentiveBrief, len(o.Incentives))
	for i, in := range o.Incentives {
		b.incentives[i].status = in.Status
		if in.Amount != nil {
			b.incentives[i].amount = new(apd.Decimal).Set(in.Amount)
		}
	}
	for i, br := range o.Breaches {
		if br.Status == evaluator.Breached {
			b.breaches = append(b.breaches, breachBrief{rule: i, message: br.MessageIn(lang, o.Snapshot)})
		}
	}
	return b
}

// teamStat is the first scores of a team's members in a period.
type teamStat struct {
	sorted []float64
	sum    float64
}

func teamKey(team, period string) string { return period + "\x00" + team }

type site struct {
	p          *engine.Policy
	rp         *rules.Policy
	opts       Options
	l          *lang.Locale // the language of the pages (SPEC §15)
	c          charts
	selected   []*brief // in period, then subject order
	bySubject  map[string][]*brief
	latest     map[string]*brief    // each subject's latest selected period
	periodsOf  map[string][]link    // each subject's statements
	teamScores map[string]*teamStat // the first scores of a team in a period (teamKey)
	teams      map[string]bool
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

func (s *site) write(in engine.Input, res *engine.StreamResult) (*Result, *engine.StreamResult, error) {
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
	var pagesMu sync.Mutex // statements are written on several goroutines
	writePage := func(name, page string, data any) error {
		f, err := fsutil.OpenFile(filepath.Join(tmp, name), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o666)
		if err != nil {
			return err
		}
		if err := tmpl.ExecuteTemplate(f, page, data); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", name, err)
		}
		pagesMu.Lock()
		out.Pages++
		pagesMu.Unlock()
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
	// subject's own page (SPEC §15), each written as the second read
	// brings its outcome with its explanation.
	want := map[string]bool{}
	for _, subj := range s.subjects() {
		want[subj] = true
	}
	out.Subjects = len(want)
	second := s.opts.Stream
	second.Explain = true
	second.EncodeAll = false
	// Each statement is rendered and written on its own goroutine, a
	// few at a time: writing 20,000 small files one after the other waits
	// on the file system (15 s against 19 s for 15k snapshots).
	var res2 *engine.StreamResult
	var wg sync.WaitGroup
	slots := make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	var werr error
	for o, err := range s.p.Outcomes(in, second, &res2) {
		if err != nil {
			wg.Wait()
			return nil, res, err
		}
		sn := o.Snapshot
		if sn.HistoryOnly || !want[sn.Subject] {
			continue
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			page := s.statement(o)
			err := writePage(statementFile(sn.Subject, sn.Period.Label), "statement.html", page)
			if err == nil && s.latest[sn.Subject].period == sn.Period.Label {
				err = writePage(subjectFile(sn.Subject), "statement.html", page)
			}
			if err != nil {
				pagesMu.Lock()
				if werr == nil {
					werr = err
				}
				pagesMu.Unlock()
			}
		}()
	}
	wg.Wait()
	if werr != nil {
		return nil, res, werr
	}
	if res2.Failed() {
		return nil, res, fmt.Errorf("the input changed between the report's two reads")
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
	for _, b := range s.selected {
		if (s.opts.Subject != "" && b.subject != s.opts.Subject) || (s.opts.Team != "" && b.team != s.opts.Team) || seen[b.subject] {
			continue
		}
		seen[b.subject] = true
		out = append(out, b.subject)
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
	NoScore   int // snapshots without a score: not in the shares
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
	GoalText                   string // the goal in the metric's form
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
	Key, Name, Total string // Key is the policy's name (data-incentive), Name what a person reads
	Earned           int
}

type breachCount struct {
	Name  string
	Count int
}

// attention lists who needs attention among a period's outcomes (in
// subject order): every breach rule that fired, and every target missed
// or breached in this period and the one before (a streak: since when).
func (s *site) attention(outs []*brief) []attentionRow {
	var rows []attentionRow
	for _, o := range outs {
		base := attentionRow{Subject: o.subject, File: statementFile(o.subject, o.period), Team: o.team}
		for _, fired := range o.breaches {
			b := s.rp.Breaches[fired.rule]
			r := base
			r.Rule, r.Severity, r.Message, r.Since = s.l.F("breach %s", b.Label.Or(s.l.Code(), b.Name)), s.l.S(b.Severity.String()), s.l.Num(fired.message), o.period
			rows = append(rows, r)
		}
		for i, t := range o.targets {
			if t.status != evaluator.Missed && t.status != evaluator.TargetBreached {
				continue
			}
			since, n := o.period, 1
			hist := s.bySubject[o.subject]
			idx := o.index
			for j := len(hist) - 1; j >= 0; j-- {
				h := hist[j]
				if h.index >= idx {
					continue
				}
				if h.index != idx-1 {
					break
				}
				if st := h.targets[i].status; st != evaluator.Missed && st != evaluator.TargetBreached {
					break
				}
				since, idx, n = h.period, h.index, n+1
			}
			if n < 2 {
				continue
			}
			tg := s.rp.Targets[i]
			r := base
			r.Rule, r.Severity, r.Since = s.l.F("target %s", tg.Label.Or(s.l.Code(), tg.Name)), s.l.S("missed"), since
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
	byPeriod := map[string][]*brief{}
	for _, o := range s.selected {
		if byPeriod[o.period] == nil {
			page.PeriodLabels = append(page.PeriodLabels, o.period)
		}
		byPeriod[o.period] = append(byPeriod[o.period], o)
	}
	var trendScores []float64
	for _, label := range page.PeriodLabels {
		outs := byPeriod[label]
		pv := &periodView{Label: label, Snapshots: len(outs), Attention: s.attention(outs)}
		var firstScores []float64
		for si, sc := range rp.Scorecards {
			var vals []float64
			counts := map[string]int{}
			noScore := 0
			for _, o := range outs {
				if r := o.scores[si]; r.ok {
					vals = append(vals, r.value)
					counts[r.band]++
				} else {
					noScore++
				}
			}
			sort.Float64s(vals)
			sv := scoreView{Name: sc.Label.Or(s.l.Code(), sc.Name), Median: math.NaN(), NoScore: noScore}
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
				if st := o.targets[ti].status; st.Scored() {
					eval++
					if st.Achieved() {
						met++
					}
				}
			}
			tv := targetView{Name: t.Name, Label: t.Label.Or(s.l.Code(), t.Name), Unit: t.Unit, Verdict: s.opts.Verdicts[t.Name], MetShare: math.NaN(), Goal: math.NaN(), Evaluable: eval}
			if eval > 0 {
				tv.MetShare = float64(met) / float64(eval)
			}
			tv.GoalText = "–"
			if t.Goal.IsConst() {
				tv.Goal = t.Goal.Num
				tv.GoalText = s.display(t, t.Goal.Num)
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
				total.Add(o.incentives[ii].amount)
				if o.incentives[ii].status == evaluator.Earned {
					earned++
				}
			}
			paid.AddTotal(&total)
			pv.Incentives = append(pv.Incentives, incentiveTotal{Key: in.Name, Name: in.Label.Or(s.l.Code(), in.Name), Total: s.l.Num(total.Decimal().Text('f')), Earned: earned})
		}
		fired := make([]int, len(rp.Breaches))
		for _, o := range outs {
			for _, b := range o.breaches {
				fired[b.rule]++
			}
		}
		for bi, b := range rp.Breaches {
			n := fired[bi]
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
func (s *site) teamAverages(outs []*brief) []teamAvg {
	if len(s.rp.Scorecards) == 0 {
		return nil
	}
	sums, counts := map[string]float64{}, map[string]int{}
	total, n := 0.0, 0
	for _, o := range outs {
		if !o.scores[0].ok {
			continue
		}
		v := o.scores[0].value
		total += v
		n++
		if o.hasTeam {
			sums[o.team] += v
			counts[o.team]++
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
