package calibrate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/fsutil"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/evaluator/lang"
	"github.com/rubric-dev/rubric/evaluator/money"
	"github.com/rubric-dev/rubric/rules"
)

// GoalChange is a suggested goal put into the policy.
type GoalChange struct {
	Target string  `json:"target"`
	From   float64 `json:"from"`
	To     float64 `json:"to"`
}

// GoalSkipped is a suggestion left out, with the reason.
type GoalSkipped struct {
	Target    string   `json:"target"`
	Suggested *float64 `json:"suggested"`
	Reason    string   `json:"reason"`
}

// WhatIf is the price of the suggested goals: the same snapshots under
// the changed policy.
type WhatIf struct {
	Applied    []GoalChange              `json:"applied"`
	Skipped    []GoalSkipped             `json:"skipped"`
	Incentives map[string]*PriceChange   `json:"incentives"`
	Bands      map[string]map[string]int `json:"bands"` // scorecard → band → count under the suggested goals
	// Comments are the comments that state a changed goal's old number:
	// after --apply they would no longer be true ("policy.hcl:12: # 300 s
	// is five minutes").
	Comments []StaleComment `json:"stale_comments"`

	order []string
}

// StaleComment is a comment in a changed target's block that states its
// old goal.
type StaleComment struct {
	File    string  `json:"file"`
	Line    int     `json:"line"`
	Target  string  `json:"target"`
	Old     float64 `json:"old"`
	Comment string  `json:"comment"`
}

// staleComments finds, in each changed target's block, the comments that
// state its old goal as a number of their own (300 in "# 300 s", not in
// "# 3000").
func staleComments(srcs []dsl.Source, changes []GoalChange) []StaleComment {
	out := []StaleComment{}
	old := map[string]float64{}
	for _, c := range changes {
		old[c.Target] = c.From
	}
	for _, src := range srcs {
		if strings.HasSuffix(src.Name, ".json") {
			continue
		}
		f, diags := hclsyntax.ParseConfig(src.Bytes, src.Name, hcl.InitialPos)
		if diags.HasErrors() {
			continue
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		lines := strings.Split(string(src.Bytes), "\n")
		for _, b := range body.Blocks {
			if b.Type != "target" || len(b.Labels) != 1 {
				continue
			}
			from, changed := old[b.Labels[0]]
			if !changed {
				continue
			}
			num := regexp.MustCompile(`(^|[^0-9.])` + regexp.QuoteMeta(strconv.FormatFloat(from, 'f', -1, 64)) + `($|[^0-9])`)
			rng := b.Range()
			for ln := rng.Start.Line; ln <= rng.End.Line && ln <= len(lines); ln++ {
				if c := comment(lines[ln-1]); c != "" && num.MatchString(c) {
					out = append(out, StaleComment{File: src.Name, Line: ln, Target: b.Labels[0], Old: from, Comment: strings.TrimSpace(c)})
				}
			}
		}
	}
	return out
}

// comment is a line's comment (from #, // or /* outside a string), or "".
func comment(line string) string {
	inString := false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '"' && (i == 0 || line[i-1] != '\\'):
			inString = !inString
		case inString:
		case c == '#':
			return line[i:]
		case c == '/' && i+1 < len(line) && (line[i+1] == '/' || line[i+1] == '*'):
			return line[i:]
		}
	}
	return ""
}

// PriceChange is an incentive's total before and after.
type PriceChange struct {
	Before   string `json:"before"`
	After    string `json:"after"`
	Change   string `json:"change"`
	Currency string `json:"currency"`
}

// Suggestions lists the goals to change: each target with a constant goal
// and a suggestion, when the suggestion keeps the target's bounds ordered.
func (r *Report) Suggestions() ([]GoalChange, []GoalSkipped) {
	var applied []GoalChange
	var skipped []GoalSkipped
	for _, name := range r.order.targets {
		tr := r.Targets[name]
		t := tr.target
		switch {
		case tr.Goal == nil:
			skipped = append(skipped, GoalSkipped{Target: name, Reason: "the goal is an expression"})
			continue
		case tr.SuggestedGoal == nil:
			skipped = append(skipped, GoalSkipped{Target: name, Reason: "no snapshot could be judged"})
			continue
		}
		g := *tr.SuggestedGoal
		ordered := true
		if t.Better == rules.Lower {
			ordered = (tr.Threshold == nil || *tr.Threshold >= g) && (tr.Stretch == nil || g >= *tr.Stretch)
		} else {
			ordered = (tr.Threshold == nil || *tr.Threshold <= g) && (tr.Stretch == nil || g <= *tr.Stretch)
		}
		switch {
		case !ordered:
			skipped = append(skipped, GoalSkipped{Target: name, Suggested: &g, Reason: "it would put the goal outside the threshold and stretch"})
		case t.Scoring == rules.Ratio && t.Curve == nil && g <= 0:
			skipped = append(skipped, GoalSkipped{Target: name, Suggested: &g, Reason: "ratio scoring needs a goal above 0"})
		case g == *tr.Goal:
			skipped = append(skipped, GoalSkipped{Target: name, Suggested: &g, Reason: "it is the goal already"})
		default:
			applied = append(applied, GoalChange{Target: name, From: *tr.Goal, To: g})
		}
	}
	return applied, skipped
}

// Apply returns the policy's files with the goals changed, edited through
// hclwrite so formatting and comments stay where they were. JSON-syntax
// files cannot be edited this way: a goal in one is an error.
func Apply(srcs []dsl.Source, changes []GoalChange) ([]dsl.Source, error) {
	want := map[string]float64{}
	for _, c := range changes {
		want[c.Target] = c.To
	}
	out := make([]dsl.Source, 0, len(srcs))
	for _, src := range srcs {
		if strings.HasSuffix(src.Name, ".json") {
			for name := range want {
				if strings.Contains(string(src.Bytes), `"`+name+`"`) {
					return nil, fmt.Errorf("%s: goals in HCL's JSON syntax cannot be rewritten; change target %s by hand", src.Name, name)
				}
			}
			out = append(out, src)
			continue
		}
		f, diags := hclwrite.ParseConfig(src.Bytes, src.Name, hcl.InitialPos)
		if diags.HasErrors() {
			return nil, diags
		}
		for _, b := range f.Body().Blocks() {
			if b.Type() != "target" || len(b.Labels()) != 1 {
				continue
			}
			g, ok := want[b.Labels()[0]]
			if !ok {
				continue
			}
			b.Body().SetAttributeRaw("goal", hclwrite.Tokens{{Type: hclsyntax.TokenNumberLit, Bytes: []byte(strconv.FormatFloat(g, 'f', -1, 64))}})
			delete(want, b.Labels()[0])
		}
		out = append(out, dsl.Source{Name: src.Name, Bytes: hclwrite.Format(f.Bytes())})
	}
	for name := range want {
		return nil, fmt.Errorf("target %s was not found in the policy's files", name)
	}
	return out, nil
}

// WriteDir writes a policy's files into dir (created if needed), each under
// its base name and each atomically (a full disk leaves the file as it
// was). It refuses, before writing anything, when dir holds policy files
// of another policy, or a policy file that is not one of these (the copy
// would not load as one policy). dir may be the policy's own directory:
// its files are replaced and its tests left as they are.
func WriteDir(dir string, srcs []dsl.Source) error {
	names := map[string]bool{}
	for _, s := range srcs {
		names[filepath.Base(s.Name)] = true
	}
	if err := checkApplyDir(dir, srcs, names); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, fsutil.DirMode()); err != nil {
		return err
	}
	for _, s := range srcs {
		if err := fsutil.WriteFile(filepath.Join(dir, filepath.Base(s.Name)), s.Bytes); err != nil {
			return err
		}
	}
	return nil
}

// checkApplyDir refuses a directory whose policy files are not this
// policy's.
func checkApplyDir(dir string, srcs []dsl.Source, names map[string]bool) error {
	if st, err := os.Stat(dir); os.IsNotExist(err) {
		return nil
	} else if err != nil {
		return err
	} else if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if dsl.IsPolicyFile(e.Name()) && !names[e.Name()] {
			return fmt.Errorf("%s holds %s, which is not one of the policy's files; refusing to write the policy beside it (choose an empty directory)", dir, e.Name())
		}
	}
	existing, err := dsl.ReadSources(dir)
	if err != nil {
		return nil // no policy files: nothing to overwrite
	}
	want, _ := dsl.Parse(srcs)
	have, _ := dsl.Parse(existing)
	if policyName(have) != policyName(want) {
		other := policyName(have)
		if other == "" {
			other = "unreadable"
		}
		return fmt.Errorf("%s holds another policy's files (%s, not %s); refusing to overwrite them (choose an empty directory or the policy's own)", dir, other, policyName(want))
	}
	return nil
}

func policyName(p *dsl.Policy) string {
	if p == nil || len(p.Policy) == 0 {
		return ""
	}
	return p.Policy[0].Name
}

// Price loads the policy with the suggested goals, runs it over the same
// snapshots and records the change in payout and bands in r.WhatIf. It
// returns the changed files.
func Price(p *engine.Policy, in engine.Input, opts Options, r *Report) ([]dsl.Source, error) {
	applied, skipped := r.Suggestions()
	srcs, err := Apply(p.Rules().Sources, applied)
	if err != nil {
		return nil, err
	}
	np, diags := engine.LoadSources(p.Path(), srcs)
	if diags.HasErrors() {
		return nil, fmt.Errorf("the policy with the suggested goals does not validate: %s", diags.Error())
	}
	after, res, err := Run(np, in, opts)
	if err != nil {
		return nil, err
	}
	if res.Failed() {
		return nil, errors.New("the input could not be read a second time")
	}
	w := &WhatIf{Applied: applied, Skipped: skipped, Incentives: map[string]*PriceChange{}, Bands: map[string]map[string]int{},
		Comments: staleComments(p.Rules().Sources, applied)}
	if w.Applied == nil {
		w.Applied = []GoalChange{}
	}
	if w.Skipped == nil {
		w.Skipped = []GoalSkipped{}
	}
	for _, name := range r.order.incentives {
		b, a := r.Incentives[name], after.Incentives[name]
		bd, err := money.Parse(b.Total)
		if err != nil {
			return nil, err
		}
		ad, err := money.Parse(a.Total)
		if err != nil {
			return nil, err
		}
		var diff apd.Decimal
		if err := money.Sub(&diff, ad, bd); err != nil {
			return nil, err
		}
		w.Incentives[name] = &PriceChange{Before: b.Total, After: a.Total, Change: diff.Text('f'), Currency: b.Currency}
		w.order = append(w.order, name)
	}
	for name, sr := range after.Scorecards {
		w.Bands[name] = sr.Bands
	}
	r.WhatIf = w
	return srcs, nil
}

func (w *WhatIf) text(l *lang.Locale) string {
	var b strings.Builder
	b.WriteString(l.F("with the suggested goals:\n"))
	for _, c := range w.Applied {
		b.WriteString(l.F("    %s: goal %s → %s\n", c.Target, l.Num(evaluator.Short(c.From)), l.Num(evaluator.Short(c.To))))
	}
	for _, s := range w.Skipped {
		b.WriteString(l.F("    %s: left as it is (%s)\n", s.Target, l.S(s.Reason)))
	}
	for _, c := range w.Comments {
		b.WriteString(l.F("    %s:%s: this comment states %s, the old goal of %s: revise it with the goal (%s)\n", c.File, strconv.Itoa(c.Line), l.Num(evaluator.Short(c.Old)), c.Target, c.Comment))
	}
	for _, name := range w.order {
		pc := w.Incentives[name]
		verb := "more"
		change := pc.Change
		if strings.HasPrefix(change, "-") {
			verb, change = "less", change[1:]
		}
		b.WriteString(l.F("    incentive %s: %s instead of %s (%s %s)\n", name, l.Money(pc.After, pc.Currency), l.Money(pc.Before, pc.Currency), l.Money(change, pc.Currency), l.S(verb)))
	}
	return b.String()
}
