package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/hashicorp/hcl/v2"

	"github.com/rubric-dev/rubric/dsl"
)

// Diagnostic codes produced by Resolve.
const (
	CodePolicyBlock dsl.Code = "policy-block"
	CodeMissing     dsl.Code = "missing-attribute"
	CodeDuplicate   dsl.Code = "duplicate-name"
	CodeReserved    dsl.Code = "reserved-name"
	CodeUnknownName dsl.Code = "unknown-name"
	CodeStage       dsl.Code = "stage-order"
	CodeEnum        dsl.Code = "bad-enum"
	CodeBadValue    dsl.Code = "bad-value"
	CodeExactlyOne  dsl.Code = "exactly-one"
	CodeConflict    dsl.Code = "conflict"
	CodeWeights     dsl.Code = "weights"
	CodeBounds      dsl.Code = "bounds-order"
	CodeCycle       dsl.Code = "cycle"
	CodeHistory     dsl.Code = "history"
	CodeTooLarge    dsl.Code = "too_large"
	CodeCurrency    dsl.Code = "currency"
	CodeExpression  dsl.Code = "expression"
)

// reserved names cannot name a metric, attribute or param: they are the
// roots of qualified names, keywords of CEL or expr, or functions.
var reserved = map[string]bool{
	"target": true, "score": true, "band": true, "breach": true, "breaches": true, "period": true,
	"team": true, "all": true,
	"true": true, "false": true, "null": true, "nil": true, "in": true, "as": true, "break": true,
	"const": true, "continue": true, "else": true, "for": true, "function": true, "if": true,
	"import": true, "let": true, "loop": true, "package": true, "namespace": true, "return": true,
	"var": true, "void": true, "while": true, "not": true, "and": true, "or": true, "matches": true,
	"contains": true, "startswith": true, "endswith": true,
}

// Resolve checks a parsed policy and builds its model. compilers supplies
// one Compiler per language; only the policy's language is used. The model
// is returned even when there are errors, for tools that want what was
// understood; it must not be evaluated unless diags.HasErrors() is false.
func Resolve(ast *dsl.Policy, compilers ...Compiler) (*Policy, hcl.Diagnostics) {
	r := &resolver{ast: ast, p: &Policy{Sources: ast.Sources, Files: ast.Files}, scope: newScope()}
	r.p.Scope = r.scope
	r.p.Digest = Digest(ast.Sources)
	if r.tooLarge() {
		return r.p, r.diags
	}
	r.policyBlock()
	for _, c := range compilers {
		if c.Language() == r.p.Language {
			r.compiler = c
		}
	}
	if r.compiler == nil && r.p.Language != LanguageInvalid {
		r.errorf(CodeEnum, r.policyRange(), "no compiler for language %s", r.p.Language)
	}
	r.declare()
	r.metrics()
	r.targets()
	r.scorecards()
	r.breaches()
	r.incentives()
	r.derivedOrder()
	return r.p, r.diags
}

// Limits on the size of a policy: a contact centre's policy has dozens of
// rules; these bound the work of validation (which is near-linear in the
// number of expressions) against a hostile or generated policy.
const (
	MaxPolicyBytes = 8 << 20 // all files together
	MaxBlocks      = 5000    // metrics, attributes, params, targets, scorecards, breaches and incentives together
)

// tooLarge reports (and says why) a policy over the size limits; it is
// then not resolved at all.
func (r *resolver) tooLarge() bool {
	total := 0
	for _, s := range r.ast.Sources {
		total += len(s.Bytes)
	}
	if total > MaxPolicyBytes {
		r.errorf(CodeTooLarge, r.policyRange(), "the policy's files hold %d bytes; a policy may hold at most %d", total, MaxPolicyBytes)
		return true
	}
	a := r.ast
	if n := len(a.Metrics) + len(a.Attributes) + len(a.Params) + len(a.Targets) + len(a.Scorecards) + len(a.Breaches) + len(a.Incentives); n > MaxBlocks {
		r.errorf(CodeTooLarge, r.policyRange(), "the policy declares %d rules and names; a policy may declare at most %d", n, MaxBlocks)
		return true
	}
	return false
}

// Digest is the SHA-256 over a policy's file names (base names, so the
// digest does not depend on where the directory lives) and contents.
func Digest(srcs []dsl.Source) string {
	h := sha256.New()
	for _, s := range srcs {
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.Base(s.Name), len(s.Bytes))
		h.Write(s.Bytes)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

type resolver struct {
	ast      *dsl.Policy
	p        *Policy
	scope    *Scope
	compiler Compiler
	diags    hcl.Diagnostics

	metricByName map[string]*Metric
	targetByName map[string]*Target
}

func (r *resolver) errorf(code dsl.Code, rng hcl.Range, format string, args ...any) *hcl.Diagnostic {
	d := dsl.Errorf(code, rng, format, args...)
	r.diags = append(r.diags, d)
	return d
}

func (r *resolver) policyRange() hcl.Range {
	if len(r.ast.Policy) > 0 {
		return r.ast.Policy[0].DefRange
	}
	for _, f := range r.ast.Sources {
		return hcl.Range{Filename: f.Name, Start: hcl.InitialPos, End: hcl.InitialPos}
	}
	return hcl.Range{}
}

// ---- small value helpers ----

func (r *resolver) str(v *dsl.Value, what string) (string, bool) {
	if v == nil {
		return "", false
	}
	if v.Kind == dsl.KindInvalid {
		return "", false
	}
	if v.Kind != dsl.KindString {
		r.errorf(CodeBadValue, v.Range, "%s must be a string, not a %s", what, v.Kind)
		return "", false
	}
	return v.Str, true
}

func (r *resolver) boolean(v *dsl.Value, what string) bool {
	if v == nil || v.Kind == dsl.KindInvalid {
		return false
	}
	if v.Kind != dsl.KindBool {
		r.errorf(CodeBadValue, v.Range, "%s must be true or false", what)
		return false
	}
	return v.Bool
}

func (r *resolver) number(v *dsl.Value, what string) (float64, *apd.Decimal, bool) {
	if v == nil || v.Kind == dsl.KindInvalid {
		return 0, nil, false
	}
	if v.Kind != dsl.KindNumber {
		r.errorf(CodeBadValue, v.Range, "%s must be a number, not a %s", what, v.Kind)
		return 0, nil, false
	}
	d, _, err := apd.NewFromString(v.Num)
	f, ferr := strconv.ParseFloat(v.Num, 64)
	if err != nil || ferr != nil || math.IsInf(f, 0) {
		r.errorf(CodeBadValue, v.Range, "%s: %s is not a usable number", what, v.Num)
		return 0, nil, false
	}
	return f, d, true
}

func (r *resolver) enum(v *dsl.Value, what string, def int, names ...string) int {
	if v == nil {
		return def
	}
	s, ok := r.str(v, what)
	if !ok {
		return def
	}
	if e := parseEnum(s, names...); e > 0 {
		return e
	}
	d := r.errorf(CodeEnum, v.Range, "%s must be one of %s, not %q", what, strings.Join(names, ", "), s)
	didYouMean(d, s, names)
	return def
}

func (r *resolver) date(v *dsl.Value, what string) *time.Time {
	s, ok := r.str(v, what)
	if !ok {
		return nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		r.errorf(CodeBadValue, v.Range, "%s must be a date written YYYY-MM-DD, not %q", what, s)
		return nil
	}
	return &t
}

// ---- policy block ----

func (r *resolver) policyBlock() {
	r.p.Language, r.p.Period = CEL, Month
	switch len(r.ast.Policy) {
	case 0:
		r.errorf(CodePolicyBlock, r.policyRange(), "no policy block: a policy needs exactly one policy \"name\" { version = ... }")
		return
	case 1:
	default:
		for _, b := range r.ast.Policy[1:] {
			r.errorf(CodePolicyBlock, b.DefRange, "a second policy block; the policy is already declared at %s", rangeString(r.ast.Policy[0].DefRange))
		}
	}
	b := r.ast.Policy[0]
	r.p.Name = b.Name
	r.p.Title, _ = r.str(b.Title, "title")
	r.p.Owner, _ = r.str(b.Owner, "owner")
	if b.Version == nil {
		r.errorf(CodeMissing, b.DefRange, "policy %q has no version: version is required and is shown in every outcome", b.Name)
	} else if b.Version.Kind == dsl.KindNumber {
		r.p.Version = b.Version.Num
	} else if v, ok := r.str(b.Version, "version"); ok {
		if strings.TrimSpace(v) == "" {
			r.errorf(CodeBadValue, b.Version.Range, "version must not be empty")
		}
		r.p.Version = v
	}
	r.p.Language = Language(r.enum(b.Language, "language", int(CEL), "cel", "expr"))
	r.p.Period = PeriodKind(r.enum(b.Period, "period", int(Month), "day", "week", "month", "quarter", "year", "half"))
	if b.MinTeam != nil {
		if f, _, ok := r.number(b.MinTeam, "min_team"); ok {
			if f != math.Trunc(f) || f < 1 || f > 1e6 {
				r.errorf(CodeBadValue, b.MinTeam.Range, "min_team must be a whole number of snapshots, at least 1, not %s", b.MinTeam.Num)
			} else {
				r.p.MinTeam = int(f)
			}
		}
	}
	if b.History != nil {
		if f, _, ok := r.number(b.History, "history"); ok {
			if f != math.Trunc(f) || f < 0 || f > MaxHistory {
				r.errorf(CodeBadValue, b.History.Range, "history must be a whole number of periods from 0 to %d, not %s", MaxHistory, b.History.Num)
			} else {
				r.p.History = int(f)
			}
		}
	}
	if b.Currency != nil {
		if c, ok := r.str(b.Currency, "currency"); ok {
			if n, ok := MinorUnit(c); ok {
				r.p.Currency, r.p.MinorUnit = c, n
			} else {
				d := r.errorf(CodeCurrency, b.Currency.Range, "%q is not an ISO 4217 currency code", c)
				if up := strings.ToUpper(c); up != c {
					if _, ok := MinorUnit(up); ok {
						d.Summary += fmt.Sprintf("; did you mean %q?", up)
					}
				}
			}
		}
	}
	r.p.EffectiveFrom = r.date(b.EffectiveFrom, "effective_from")
	r.p.EffectiveTo = r.date(b.EffectiveTo, "effective_to")
	if r.p.EffectiveFrom != nil && r.p.EffectiveTo != nil && r.p.EffectiveTo.Before(*r.p.EffectiveFrom) {
		r.errorf(CodeBounds, b.EffectiveTo.Range, "effective_to %s is before effective_from %s", r.p.EffectiveTo.Format(time.DateOnly), r.p.EffectiveFrom.Format(time.DateOnly))
	}
}

func rangeString(rng hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", rng.Filename, rng.Start.Line, rng.Start.Column)
}

// ---- declarations ----

// declare enters every name of the policy into the scope and reports
// duplicates, so that expressions anywhere may refer to rules declared
// later in the files.
func (r *resolver) declare() {
	seen := map[string]hcl.Range{}
	kindOf := map[string]string{}
	check := func(kind string, h dsl.Head) bool {
		if h.Name == "" {
			return false
		}
		if prev, ok := seen[h.Name]; ok {
			r.errorf(CodeDuplicate, h.NameRange, "%s %q is already declared as a %s at %s", kind, h.Name, kindOf[h.Name], rangeString(prev))
			return false
		}
		if reserved[h.Name] {
			r.errorf(CodeReserved, h.NameRange, "%q is a reserved word and cannot name a %s", h.Name, kind)
			return false
		}
		seen[h.Name], kindOf[h.Name] = h.NameRange, kind
		return true
	}
	r.metricByName = map[string]*Metric{}
	for _, m := range r.ast.Metrics {
		if check("metric", m.Head) {
			met := &Metric{Name: m.Name, Range: m.DefRange}
			met.Decl = r.scope.add(m.Name, TypeNumber, StageDerived, DeclMetric, m.Name)
			r.metricByName[m.Name] = met
			r.p.Metrics = append(r.p.Metrics, met)
		}
	}
	for _, a := range r.ast.Attributes {
		if check("attribute", a.Head) {
			at := &Attribute{Name: a.Name, Range: a.DefRange, Type: AttrType(r.enum(a.Type, "type", int(AttrInvalid), "string", "number", "bool", "money"))}
			if a.Type == nil {
				r.errorf(CodeMissing, a.DefRange, "attribute %q has no type: set type = \"string\", \"number\", \"bool\" or \"money\"", a.Name)
			}
			t := TypeNumber
			switch at.Type {
			case AttrString:
				t = TypeString
			case AttrBool:
				t = TypeBool
			}
			at.Title, _ = r.str(a.Title, "title")
			at.Required = r.boolean(a.Required, "required")
			at.Payroll = r.boolean(a.Payroll, "payroll")
			at.Decl = r.scope.add(a.Name, t, StageDerived, DeclAttribute, a.Name)
			r.p.Attributes = append(r.p.Attributes, at)
		}
	}
	for _, pa := range r.ast.Params {
		if check("param", pa.Head) {
			pm := &Param{Name: pa.Name, Range: pa.DefRange}
			pm.Title, _ = r.str(pa.Title, "title")
			switch {
			case pa.Value == nil:
				r.errorf(CodeMissing, pa.DefRange, "param %q has no value", pa.Name)
				pm.Type = TypeNumber
			case pa.Value.Kind == dsl.KindNumber:
				pm.Type = TypeNumber
				pm.Num, _, _ = r.number(pa.Value, "value")
			case pa.Value.Kind == dsl.KindString:
				pm.Type, pm.Str = TypeString, pa.Value.Str
			case pa.Value.Kind == dsl.KindBool:
				pm.Type, pm.Bool = TypeBool, pa.Value.Bool
			case pa.Value.Kind == dsl.KindInvalid:
				pm.Type = TypeNumber
			default:
				r.errorf(CodeBadValue, pa.Value.Range, "a param value must be a number, a string or a bool")
				pm.Type = TypeNumber
			}
			pm.Decl = r.scope.add(pa.Name, pm.Type, StageDerived, DeclParam, pa.Name)
			r.p.Params = append(r.p.Params, pm)
		}
	}
	r.scope.add("period.days", TypeNumber, StageDerived, DeclPeriod, "period")
	r.scope.add("period.start", TypeString, StageDerived, DeclPeriod, "period")
	r.scope.add("period.end", TypeString, StageDerived, DeclPeriod, "period")
	r.scope.add("period.label", TypeString, StageDerived, DeclPeriod, "period")
	for _, root := range []string{"team", "all"} {
		r.scope.add(root+".count", TypeNumber, StageTargets, DeclTeam, root)
		for _, stat := range []string{"avg", "sum", "min", "max"} {
			for _, m := range r.p.Metrics {
				r.scope.add(root+"."+stat+"."+m.Name, TypeNumber, StageTargets, DeclTeam, m.Name)
			}
		}
	}

	per := func(kind string) func(h dsl.Head) bool {
		names := map[string]hcl.Range{}
		return func(h dsl.Head) bool {
			if h.Name == "" {
				return false
			}
			if prev, ok := names[h.Name]; ok {
				r.errorf(CodeDuplicate, h.NameRange, "%s %q is already declared at %s", kind, h.Name, rangeString(prev))
				return false
			}
			names[h.Name] = h.NameRange
			return true
		}
	}
	r.targetByName = map[string]*Target{}
	tcheck := per("target")
	for _, t := range r.ast.Targets {
		if tcheck(t.Head) {
			tg := &Target{Name: t.Name, Range: t.DefRange}
			tg.Status = r.scope.add("target."+t.Name+".status", TypeString, StageBreaches, DeclTarget, t.Name)
			tg.ValueDecl = r.scope.add("target."+t.Name+".value", TypeNumber, StageBreaches, DeclTarget, t.Name)
			tg.Attainment = r.scope.add("target."+t.Name+".attainment", TypeNumber, StageBreaches, DeclTarget, t.Name)
			tg.Met = r.scope.add("target."+t.Name+".met", TypeBool, StageBreaches, DeclTarget, t.Name)
			r.targetByName[t.Name] = tg
			r.p.Targets = append(r.p.Targets, tg)
		}
	}
	scheck := per("scorecard")
	for _, s := range r.ast.Scorecards {
		if scheck(s.Head) {
			sc := &Scorecard{Name: s.Name, Range: s.DefRange}
			sc.Score = r.scope.add("score."+s.Name, TypeNumber, StageBreaches, DeclScore, s.Name)
			sc.Band = r.scope.add("band."+s.Name, TypeString, StageBreaches, DeclBand, s.Name)
			r.p.Scorecards = append(r.p.Scorecards, sc)
		}
	}
	bcheck := per("breach")
	for _, b := range r.ast.Breaches {
		if bcheck(b.Head) {
			br := &Breach{Name: b.Name, Range: b.DefRange}
			br.Decl = r.scope.add("breach."+b.Name, TypeBool, StageIncentives, DeclBreach, b.Name)
			r.p.Breaches = append(r.p.Breaches, br)
		}
	}
	for _, sev := range []string{"minor", "major", "critical", "any"} {
		r.scope.add("breaches."+sev, TypeNumber, StageIncentives, DeclBreaches, sev)
	}
	icheck := per("incentive")
	for _, in := range r.ast.Incentives {
		if icheck(in.Head) {
			r.p.Incentives = append(r.p.Incentives, &Incentive{Name: in.Name, Range: in.DefRange})
		}
	}
	if r.p.History > 0 {
		r.declareHistory()
	}
}

// ---- expressions ----

// expression compiles an expression string at a stage. what names the
// attribute for messages ("target \"aht\" goal").
func (r *resolver) expression(v *dsl.Value, stage Stage, want Type, what string) *Expression {
	if v == nil || v.Kind == dsl.KindInvalid {
		return nil
	}
	if v.Kind != dsl.KindString {
		r.errorf(CodeBadValue, v.Range, "%s must be an expression in quotes, not a %s", what, v.Kind)
		return nil
	}
	if strings.TrimSpace(v.Str) == "" {
		r.errorf(CodeExpression, v.Range, "%s is an empty expression", what)
		return nil
	}
	if r.compiler == nil {
		return nil
	}
	e := &Expression{Source: v.Str, Value: v, Want: want}
	parsed, errs := r.compiler.Parse(v.Str)
	if len(errs) > 0 {
		r.exprErrors(v, what, errs)
		return nil
	}
	ok := true
	seen := map[*Decl]bool{}
	for _, ref := range parsed.Refs() {
		rng := v.RangeAt(ref.Offset, ref.Length)
		d, _ := r.scope.resolveRef(ref.Name)
		if d == nil {
			ok = false
			r.unknownName(ref.Name, rng, what)
			continue
		}
		if d.Kind == DeclHistory {
			r.p.UsesHistory = true
		}
		if d.Stage > stage {
			ok = false
			dd := r.errorf(CodeStage, rng, "%s cannot use %s: it is computed after %s", what, d.Name, stage)
			dd.Detail = "Names are computed in order: derived metrics (metrics, attributes, params, period), then targets (plus team.* and all.*), then scorecards, then breaches (plus target.*, score.*, band.*), then incentives (plus breach.*, breaches.*). An expression may use names of its own stage and earlier ones."
			continue
		}
		r.scope.use(d)
		if !seen[d] {
			seen[d] = true
			e.Refs = append(e.Refs, d)
		}
		if d.Kind == DeclTeam {
			root := "all"
			if strings.HasPrefix(d.Name, "team.") {
				r.p.UsesTeam, root = true, "team"
			} else {
				r.p.UsesAll = true
			}
			// The count is always known when a statistic is used, so an
			// explanation can say over how many snapshots it was taken.
			if c, ok := r.scope.Lookup(root + ".count"); ok {
				r.scope.use(c)
			}
		}
	}
	if !ok {
		return nil
	}
	prog, errs := r.compiler.Compile(parsed, r.scope, want)
	if len(errs) > 0 {
		r.exprErrors(v, what, errs)
		return nil
	}
	e.Program = prog
	return e
}

func (r *resolver) exprErrors(v *dsl.Value, what string, errs []ExprError) {
	for _, e := range errs {
		r.errorf(CodeExpression, v.RangeAt(e.Offset, e.Length), "%s: %s", what, e.Message)
	}
}

func (r *resolver) unknownName(name string, rng hcl.Range, what string) {
	if comps := r.scope.completions(name); len(comps) > 0 {
		if len(comps) > 4 {
			comps = append(comps[:4], "…")
		}
		r.errorf(CodeUnknownName, rng, "%s: %s is not a value by itself; use %s", what, name, strings.Join(comps, ", "))
		return
	}
	if i := strings.IndexByte(name, '.'); i > 0 && r.p.History == 0 {
		switch name[:i] {
		case "prev", "window", "streak":
			d := r.errorf(CodeHistory, rng, "%s: %s looks back on earlier periods, but the policy has no history", what, name)
			d.Detail = "Set history = N on the policy block (the number of earlier periods an expression may look back on, 1 to 24) to use prev.*, window.* and streak.* names."
			return
		}
	}
	d := r.errorf(CodeUnknownName, rng, "%s: unknown name %q", what, name)
	if !strings.Contains(name, ".") {
		d.Detail = fmt.Sprintf("Every name an expression reads must be declared. If %s is a column of the input, declare it: metric %q { better = \"higher\" } for a number, or attribute %q { type = \"string\" } for text (number, bool and money too).", name, name, name)
	}
	if !didYouMean(d, name, r.scope.names()) {
		if i := strings.IndexByte(name, '.'); i > 0 {
			root := name[:i]
			switch root {
			case "target", "score", "band", "breach", "breaches", "period", "team", "all":
				d.Detail = fmt.Sprintf("Nothing named %s is declared.", name)
			}
		}
	}
}

// firstOf reports whether h's name is new among the blocks of one kind in
// a rule, and reports a duplicate when it is not.
func (r *resolver) firstOf(seen map[string]bool, h dsl.Head, what, kind string) bool {
	if seen[h.Name] {
		r.errorf(CodeDuplicate, h.NameRange, "%s: %s %q is declared twice", what, kind, h.Name)
		return false
	}
	seen[h.Name] = true
	return true
}

// firstByName indexes blocks by name, keeping the first of duplicates (the
// others were reported by declare).
func firstByName[T any](items []T, name func(T) string) map[string]T {
	m := make(map[string]T, len(items))
	for _, it := range items {
		if _, ok := m[name(it)]; !ok {
			m[name(it)] = it
		}
	}
	return m
}

// didYouMean appends a suggestion to d's summary when a candidate is close
// to given, and reports whether it did.
func didYouMean(d *hcl.Diagnostic, given string, candidates []string) bool {
	sug := nameSuggestion(given, candidates)
	if sug == "" {
		return false
	}
	d.Summary += fmt.Sprintf("; did you mean %q?", sug)
	return true
}

// amount reads an incentive's amount operand (basis, amount, multiplier,
// units, prorate, cap, floor): an expression is also compiled for exact
// decimal evaluation, which refuses lists, maps and functions outside the
// shared library.
func (r *resolver) amount(v *dsl.Value, what string) Operand {
	o := r.operand(v, StageIncentives, what)
	if o.Expr == nil || r.compiler == nil {
		return o
	}
	parsed, errs := r.compiler.Parse(o.Expr.Source)
	if len(errs) == 0 {
		o.Expr.Decimal, errs = r.compiler.CompileDecimal(parsed, r.scope)
	}
	if len(errs) > 0 {
		r.exprErrors(v, what, errs)
		return Operand{}
	}
	return o
}

// operand reads a number-or-expression attribute.
func (r *resolver) operand(v *dsl.Value, stage Stage, what string) Operand {
	if v == nil {
		return Operand{}
	}
	o := Operand{Set: true, Range: v.Range}
	switch v.Kind {
	case dsl.KindNumber:
		f, d, ok := r.number(v, what)
		if !ok {
			return Operand{}
		}
		o.Num, o.Dec = f, d
	case dsl.KindString:
		o.Expr = r.expression(v, stage, TypeNumber, what)
		if o.Expr == nil {
			return Operand{}
		}
	case dsl.KindInvalid:
		return Operand{}
	default:
		r.errorf(CodeBadValue, v.Range, "%s must be a number or an expression in quotes, not a %s", what, v.Kind)
		return Operand{}
	}
	return o
}

// ---- metrics ----

func (r *resolver) metrics() {
	byName := firstByName(r.ast.Metrics, func(x *dsl.Metric) string { return x.Name })
	for _, met := range r.p.Metrics {
		m := byName[met.Name]
		what := fmt.Sprintf("metric %q", m.Name)
		met.Title, _ = r.str(m.Title, "title")
		met.Unit, _ = r.str(m.Unit, "unit")
		met.Display = r.display(m.Format, m.Decimals, Display{Decimals: -1})
		met.Better = Direction(r.enum(m.Better, "better", int(DirectionInvalid), "higher", "lower"))
		met.betterGiven = m.Better != nil
		if m.Expr != nil {
			met.Derived = r.expression(m.Expr, StageDerived, TypeNumber, what+" expr")
			for _, extra := range []struct {
				v    *dsl.Value
				name string
			}{{m.Default, "default"}, {m.Required, "required"}, {m.Min, "min"}, {m.Max, "max"}} {
				if extra.v != nil {
					r.errorf(CodeConflict, extra.v.Range, "%s is derived (expr), so it cannot have %s: it is computed, never read from input", what, extra.name)
				}
			}
			continue
		}
		if v, _, ok := r.number(m.Min, "min"); ok {
			met.Min = &v
		}
		if v, _, ok := r.number(m.Max, "max"); ok {
			met.Max = &v
		}
		if met.Min != nil && met.Max != nil && *met.Min > *met.Max {
			r.errorf(CodeBounds, m.Max.Range, "%s: max %v is below min %v", what, *met.Max, *met.Min)
		}
		if v, _, ok := r.number(m.Default, "default"); ok {
			met.Default = &v
			if (met.Min != nil && v < *met.Min) || (met.Max != nil && v > *met.Max) {
				r.errorf(CodeBounds, m.Default.Range, "%s: default %v is outside min/max", what, v)
			}
		}
		met.Required = r.boolean(m.Required, "required")
		if met.Required && met.Default != nil {
			r.errorf(CodeConflict, m.Required.Range, "%s is required and has a default; a default is never used for a required metric", what)
		}
	}
}

// derivedOrder sorts derived metrics so that each comes after the derived
// metrics it uses, and reports cycles.
func (r *resolver) derivedOrder() {
	state := map[*Metric]int{} // 0 new, 1 visiting, 2 done
	var stack []*Metric
	var visit func(m *Metric)
	visit = func(m *Metric) {
		switch state[m] {
		case 2:
			return
		case 1:
			i := 0
			for stack[i] != m {
				i++
			}
			names := []string{}
			for _, s := range stack[i:] {
				names = append(names, s.Name)
			}
			names = append(names, m.Name)
			r.errorf(CodeCycle, m.Derived.Value.Range, "derived metrics form a cycle: %s", strings.Join(names, " → "))
			return
		}
		state[m] = 1
		stack = append(stack, m)
		for _, d := range m.Derived.Refs {
			if d.Kind == DeclHistory && d.Hist.Window() && d.Of.Kind == DeclMetric {
				d = d.Of // window.*.m needs this period's m first; prev.m does not
			}
			if d.Kind == DeclMetric {
				if dep := r.metricByName[d.Name]; dep != nil && dep.Derived != nil {
					visit(dep)
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[m] = 2
		r.p.Derived = append(r.p.Derived, m)
	}
	for _, m := range r.p.Metrics {
		if m.Derived != nil {
			visit(m)
		}
	}
}

// ---- targets ----

func (r *resolver) metricRef(v *dsl.Value, what string) *Metric {
	s, ok := r.str(v, what)
	if !ok {
		return nil
	}
	if m := r.metricByName[s]; m != nil {
		return m
	}
	names := make([]string, 0, len(r.metricByName))
	for n := range r.metricByName {
		names = append(names, n)
	}
	didYouMean(r.errorf(CodeUnknownName, v.Range, "%s: unknown metric %q", what, s), s, names)
	return nil
}

func (r *resolver) targets() {
	byName := firstByName(r.ast.Targets, func(x *dsl.Target) string { return x.Name })
	for _, tg := range r.p.Targets {
		t := byName[tg.Name]
		what := fmt.Sprintf("target %q", t.Name)
		tg.Title, _ = r.str(t.Title, "title")
		tg.Unit, _ = r.str(t.Unit, "unit")
		tg.Display = Display{Decimals: -1}
		if m := r.metricByName[strOf(t.Metric)]; m != nil {
			tg.Display = m.Display // metrics are resolved before targets
		}
		tg.Display = r.display(t.Format, t.Decimals, tg.Display)
		switch {
		case t.Metric != nil && t.Value != nil:
			r.errorf(CodeExactlyOne, t.Value.Range, "%s has both metric and value; set exactly one", what)
		case t.Metric == nil && t.Value == nil:
			r.errorf(CodeExactlyOne, t.DefRange, "%s has neither metric nor value; set exactly one", what)
		case t.Metric != nil:
			tg.Metric = r.metricRef(t.Metric, what+" metric")
		default:
			tg.Value = r.expression(t.Value, StageTargets, TypeNumber, what+" value")
		}
		tg.Better = Direction(r.enum(t.Better, "better", int(DirectionInvalid), "higher", "lower"))
		if tg.Better == DirectionInvalid && t.Better == nil {
			if t.Value != nil && t.Metric == nil {
				r.errorf(CodeMissing, t.DefRange, "%s computes its value, so it needs better = \"higher\" or \"lower\"", what)
			} else if tg.Metric != nil {
				tg.Better = tg.Metric.Better
				if tg.Better == DirectionInvalid && !tg.Metric.betterGiven {
					r.errorf(CodeMissing, t.Metric.Range, "%s: metric %q does not say which way is better; set better on the metric or the target", what, tg.Metric.Name)
				}
			}
		}
		if tg.Unit == "" && tg.Metric != nil {
			tg.Unit = tg.Metric.Unit
		}
		if t.Goal == nil {
			r.errorf(CodeMissing, t.DefRange, "%s has no goal", what)
		}
		tg.Goal = r.operand(t.Goal, StageTargets, what+" goal")
		tg.Threshold = r.operand(t.Threshold, StageTargets, what+" threshold")
		tg.Stretch = r.operand(t.Stretch, StageTargets, what+" stretch")
		tg.When = r.expression(t.When, StageTargets, TypeBool, what+" when")
		if t.Sample != nil {
			tg.Sample = r.metricRef(t.Sample, what+" sample")
			if t.MinSample == nil {
				r.errorf(CodeMissing, t.Sample.Range, "%s has a sample but no min_sample", what)
			}
		}
		if t.MinSample != nil {
			if v, _, ok := r.number(t.MinSample, "min_sample"); ok {
				tg.MinSample = v
				if v < 0 {
					r.errorf(CodeBadValue, t.MinSample.Range, "min_sample must not be negative")
				}
			}
			if t.Sample == nil {
				r.errorf(CodeMissing, t.MinSample.Range, "%s has min_sample but no sample: name the metric that counts observations", what)
			}
		}
		tg.Severity = Severity(r.enum(t.Severity, "severity", int(Major), "minor", "major", "critical"))
		if t.Curve != nil {
			tg.Scoring = Curve
			if t.Scoring != nil {
				r.errorf(CodeConflict, t.Scoring.Range, "%s has a curve, which replaces scoring; remove scoring", what)
			}
			if t.Cap != nil {
				r.errorf(CodeConflict, t.Cap.Range, "%s has a curve, which replaces cap; remove cap", what)
			}
			tg.Curve = r.curve(t.Curve, what)
		} else {
			tg.Scoring = Scoring(r.enum(t.Scoring, "scoring", int(Ratio), "ratio", "binary"))
			if t.Cap != nil {
				tg.Cap = r.operand(t.Cap, StageTargets, what+" cap")
				if tg.Cap.IsConst() && tg.Cap.Num < 0 {
					r.errorf(CodeBadValue, t.Cap.Range, "%s: cap must not be negative", what)
				}
			} else {
				tg.Cap = Operand{Set: true, Num: 1.5, Dec: apd.New(15, -1)}
			}
		}
		if tg.Scoring == Ratio && tg.Goal.IsConst() && tg.Goal.Num <= 0 {
			r.errorf(CodeBounds, tg.Goal.Range, "%s: a goal of %v cannot be scored as a ratio; use a positive goal, scoring = \"binary\" or a curve", what, tg.Goal.Num)
		}
		r.boundsOrder(tg, t, what)
	}
}

func (r *resolver) boundsOrder(tg *Target, t *dsl.Target, what string) {
	if tg.Better == DirectionInvalid {
		return
	}
	type b struct {
		name string
		o    Operand
	}
	seq := []b{{"threshold", tg.Threshold}, {"goal", tg.Goal}, {"stretch", tg.Stretch}}
	var set []b
	for _, x := range seq {
		if x.o.IsConst() {
			set = append(set, x)
		}
	}
	for i := 1; i < len(set); i++ {
		lo, hi := set[i-1], set[i]
		bad := (tg.Better == Higher && lo.o.Num > hi.o.Num) || (tg.Better == Lower && lo.o.Num < hi.o.Num)
		if bad {
			rel := "≤"
			if tg.Better == Lower {
				rel = "≥"
			}
			at := hi.o.Range // the bound that is not the goal is the one to move
			if hi.name == "goal" {
				at = lo.o.Range
			}
			d := r.errorf(CodeBounds, at, "%s: %s %v and %s %v are out of order for %s is better", what, lo.name, lo.o.Num, hi.name, hi.o.Num, tg.Better)
			d.Detail = fmt.Sprintf("When %s is better, bounds must satisfy threshold %s goal %s stretch.", tg.Better, rel, rel)
		}
	}
}

func (r *resolver) curve(v *dsl.Value, what string) []CurvePoint {
	if v.Kind == dsl.KindInvalid {
		return nil
	}
	if v.Kind != dsl.KindList || len(v.List) == 0 {
		r.errorf(CodeBadValue, v.Range, "%s curve must be a list of [value, attainment] points", what)
		return nil
	}
	var pts []CurvePoint
	for _, p := range v.List {
		if p == nil || p.Kind != dsl.KindList || len(p.List) != 2 {
			rng := v.Range
			if p != nil {
				rng = p.Range
			}
			r.errorf(CodeBadValue, rng, "%s curve: each point is [value, attainment]", what)
			return nil
		}
		x, _, ok1 := r.number(p.List[0], "curve value")
		y, _, ok2 := r.number(p.List[1], "curve attainment")
		if !ok1 || !ok2 {
			return nil
		}
		if y < 0 {
			r.errorf(CodeBadValue, p.List[1].Range, "%s curve: attainment %v is negative", what, y)
		}
		pts = append(pts, CurvePoint{x, y})
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].X < pts[j].X })
	for i := 1; i < len(pts); i++ {
		if pts[i].X == pts[i-1].X {
			r.errorf(CodeBadValue, v.Range, "%s curve has two points at value %v", what, pts[i].X)
			return nil
		}
	}
	return pts
}

// ---- scorecards ----

func (r *resolver) scorecards() {
	byName := firstByName(r.ast.Scorecards, func(x *dsl.Scorecard) string { return x.Name })
	for _, sc := range r.p.Scorecards {
		s := byName[sc.Name]
		what := fmt.Sprintf("scorecard %q", s.Name)
		sc.Title, _ = r.str(s.Title, "title")
		sc.Missing = Missing(r.enum(s.Missing, "missing", int(Reweight), "reweight", "zero", "void"))
		sc.MinCoverage = 50
		if v, _, ok := r.number(s.MinCoverage, "min_coverage"); ok {
			if v < 0 || v > 100 {
				r.errorf(CodeBadValue, s.MinCoverage.Range, "%s: min_coverage is a percentage from 0 to 100, not %v", what, v)
			}
			sc.MinCoverage = v
		}
		switch {
		case s.Weights == nil:
			r.errorf(CodeMissing, s.DefRange, "%s has no weights", what)
		case s.Weights.Kind == dsl.KindInvalid:
		case s.Weights.Kind != dsl.KindMap:
			r.errorf(CodeWeights, s.Weights.Range, "%s weights must be a map of target = weight", what)
		default:
			sum := new(apd.Decimal)
			seen := map[string]bool{}
			ok := true
			for _, e := range s.Weights.Map {
				tg := r.targetByName[e.Key]
				if tg == nil {
					names := make([]string, 0, len(r.targetByName))
					for n := range r.targetByName {
						names = append(names, n)
					}
					didYouMean(r.errorf(CodeUnknownName, e.KeyRange, "%s weights: unknown target %q", what, e.Key), e.Key, names)
					ok = false
					continue
				}
				if seen[e.Key] {
					r.errorf(CodeDuplicate, e.KeyRange, "%s weights: target %q appears twice", what, e.Key)
					ok = false
					continue
				}
				seen[e.Key] = true
				w, dec, wok := r.number(e.Value, "weight")
				if !wok {
					ok = false
					continue
				}
				if w <= 0 {
					r.errorf(CodeWeights, e.Value.Range, "%s: the weight of %q must be positive, not %v", what, e.Key, w)
					ok = false
					continue
				}
				apd.BaseContext.Add(sum, sum, dec)
				sc.Weights = append(sc.Weights, Weight{Target: tg, Weight: w})
			}
			if ok && sum.Cmp(apd.New(100, 0)) != 0 {
				r.errorf(CodeWeights, s.Weights.Range, "%s weights sum to %s; they must sum to 100", what, sum.Text('f'))
			}
		}
		names := map[string]bool{}
		mins := map[float64]string{}
		for _, b := range s.Bands {
			if !r.firstOf(names, b.Head, what, "band") {
				continue
			}
			band := Band{Name: b.Name}
			band.Title, _ = r.str(b.Title, "title")
			if b.Min == nil {
				r.errorf(CodeMissing, b.DefRange, "%s: band %q has no min", what, b.Name)
				continue
			}
			v, _, ok := r.number(b.Min, "min")
			if !ok {
				continue
			}
			if other, dup := mins[v]; dup {
				r.errorf(CodeBounds, b.Min.Range, "%s: bands %q and %q have the same min %v", what, other, b.Name, v)
				continue
			}
			mins[v] = b.Name
			band.Min = v
			sc.Bands = append(sc.Bands, band)
		}
		sort.SliceStable(sc.Bands, func(i, j int) bool { return sc.Bands[i].Min > sc.Bands[j].Min })
	}
}

// ---- breaches ----

func (r *resolver) breaches() {
	byName := firstByName(r.ast.Breaches, func(x *dsl.Breach) string { return x.Name })
	for _, br := range r.p.Breaches {
		b := byName[br.Name]
		what := fmt.Sprintf("breach %q", b.Name)
		br.Title, _ = r.str(b.Title, "title")
		br.Severity = Severity(r.enum(b.Severity, "severity", int(Major), "minor", "major", "critical"))
		if b.When == nil {
			r.errorf(CodeMissing, b.DefRange, "%s has no when", what)
		}
		br.When = r.expression(b.When, StageBreaches, TypeBool, what+" when")
		if b.Message != nil {
			for _, part := range b.Message.Parts {
				if part.Name == "" {
					br.Message = append(br.Message, MessagePart{Text: part.Text})
					continue
				}
				d, ok := r.scope.Lookup(part.Name)
				if !ok || (d.Kind != DeclMetric && d.Kind != DeclAttribute && d.Kind != DeclParam) {
					dd := r.errorf(CodeUnknownName, part.Range, "%s message: unknown metric, attribute or param %q", what, part.Name)
					names := []string{}
					for _, d := range r.scope.Decls {
						if d.Kind == DeclMetric || d.Kind == DeclAttribute || d.Kind == DeclParam {
							names = append(names, d.Name)
						}
					}
					didYouMean(dd, part.Name, names)
					continue
				}
				br.Message = append(br.Message, MessagePart{Decl: d})
			}
		}
	}
}

// ---- incentives ----

func (r *resolver) incentives() {
	byName := firstByName(r.ast.Incentives, func(x *dsl.Incentive) string { return x.Name })
	if len(r.p.Incentives) > 0 && r.p.Currency == "" && len(r.ast.Policy) > 0 && r.ast.Policy[0].Currency == nil {
		r.errorf(CodeCurrency, r.ast.Policy[0].DefRange, "the policy has incentives but no currency: set currency = \"EUR\" (an ISO 4217 code)")
	}
	for _, inc := range r.p.Incentives {
		in := byName[inc.Name]
		what := fmt.Sprintf("incentive %q", in.Name)
		inc.Title, _ = r.str(in.Title, "title")
		inc.Code, _ = r.str(in.Code, "code")
		names := map[string]bool{}
		for _, g := range in.Gates {
			if !r.firstOf(names, g.Head, what, "gate") {
				continue
			}
			gate := Gate{Name: g.Name}
			gate.Title, _ = r.str(g.Title, "title")
			if g.When == nil {
				r.errorf(CodeMissing, g.DefRange, "%s: gate %q has no when", what, g.Name)
			}
			gate.When = r.expression(g.When, StageIncentives, TypeBool, fmt.Sprintf("%s gate %q when", what, g.Name))
			inc.Gates = append(inc.Gates, gate)
		}
		n := 0
		for _, v := range []*dsl.Value{in.Basis, in.Units, in.Amount} {
			if v != nil {
				n++
			}
		}
		if n != 1 {
			rng := in.DefRange
			if n > 1 {
				for _, v := range []*dsl.Value{in.Amount, in.Units, in.Basis} {
					if v != nil {
						rng = v.Range
						break
					}
				}
			}
			r.errorf(CodeExactlyOne, rng, "%s must set exactly one of basis (with tiers), units (with rates) or amount; it sets %d", what, n)
		}
		switch {
		case in.Basis != nil:
			inc.Kind = AmountBasis
			inc.Basis = r.amount(in.Basis, what+" basis")
		case in.Units != nil:
			inc.Kind = AmountUnits
			inc.Units = r.amount(in.Units, what+" units")
		case in.Amount != nil:
			inc.Kind = AmountFormula
			inc.Amount = r.amount(in.Amount, what+" amount")
		}
		tnames := map[string]bool{}
		for _, t := range in.Tiers {
			if inc.Kind != AmountBasis {
				r.errorf(CodeConflict, t.DefRange, "%s: tier blocks go with basis; this incentive has none", what)
				break
			}
			if !r.firstOf(tnames, t.Head, what, "tier") {
				continue
			}
			tier := Tier{Name: t.Name}
			tier.Title, _ = r.str(t.Title, "title")
			tw := fmt.Sprintf("%s tier %q", what, t.Name)
			if t.When == nil {
				r.errorf(CodeMissing, t.DefRange, "%s has no when", tw)
			}
			if t.Multiplier == nil {
				r.errorf(CodeMissing, t.DefRange, "%s has no multiplier", tw)
			}
			tier.When = r.expression(t.When, StageIncentives, TypeBool, tw+" when")
			tier.Multiplier = r.amount(t.Multiplier, tw+" multiplier")
			if tier.Multiplier.IsConst() && tier.Multiplier.Num < 0 {
				r.errorf(CodeBadValue, t.Multiplier.Range, "%s: multiplier must not be negative", tw)
			}
			inc.Tiers = append(inc.Tiers, tier)
		}
		if in.Schedule != nil && inc.Kind != AmountUnits {
			r.errorf(CodeConflict, in.Schedule.Range, "%s: schedule goes with units and rates", what)
		}
		if inc.Kind == AmountUnits {
			if in.Schedule == nil {
				r.errorf(CodeMissing, in.DefRange, "%s: a rate schedule must say schedule = \"graduated\" (each slice at its own rate) or \"flat\" (all units at the rate reached)", what)
			}
			inc.Schedule = Schedule(r.enum(in.Schedule, "schedule", int(Graduated), "graduated", "flat"))
			if len(in.Rates) == 0 {
				r.errorf(CodeMissing, in.DefRange, "%s has units but no rate blocks", what)
			}
		}
		rnames := map[string]bool{}
		froms := map[string]string{}
		for _, rt := range in.Rates {
			if inc.Kind != AmountUnits {
				r.errorf(CodeConflict, rt.DefRange, "%s: rate blocks go with units; this incentive has none", what)
				break
			}
			if !r.firstOf(rnames, rt.Head, what, "rate") {
				continue
			}
			rate := Rate{Name: rt.Name}
			rate.Title, _ = r.str(rt.Title, "title")
			rw := fmt.Sprintf("%s rate %q", what, rt.Name)
			if rt.From == nil || rt.PerUnit == nil {
				r.errorf(CodeMissing, rt.DefRange, "%s needs from and per_unit", rw)
				continue
			}
			f, fd, ok1 := r.number(rt.From, "from")
			_, pd, ok2 := r.number(rt.PerUnit, "per_unit")
			if !ok1 || !ok2 {
				continue
			}
			key := fd.Text('f')
			if other, dup := froms[key]; dup {
				r.errorf(CodeBounds, rt.From.Range, "%s: rates %q and %q both start from %s", what, other, rt.Name, key)
				continue
			}
			froms[key] = rt.Name
			rate.From, rate.PerUnit, rate.FromNum = fd, pd, f
			inc.Rates = append(inc.Rates, rate)
		}
		sort.SliceStable(inc.Rates, func(i, j int) bool { return inc.Rates[i].From.Cmp(inc.Rates[j].From) < 0 })
		inc.Prorate = r.amount(in.Prorate, what+" prorate")
		inc.Cap = r.amount(in.Cap, what+" cap")
		inc.Floor = r.amount(in.Floor, what+" floor")
		if inc.Cap.IsConst() && inc.Floor.IsConst() && inc.Floor.Num > inc.Cap.Num {
			r.errorf(CodeBounds, inc.Floor.Range, "%s: floor %v is above cap %v", what, inc.Floor.Num, inc.Cap.Num)
		}
		inc.Rounding = Rounding(r.enum(in.Rounding, "rounding", int(HalfEven), "half_even", "half_up", "down", "up"))
	}
}

// display reads format and decimals; what is not written keeps def.
func (r *resolver) display(format, decimals *dsl.Value, def Display) Display {
	d := def
	if format != nil {
		d.Format = DisplayFormat(r.enum(format, "format", int(def.Format), "number", "percent", "duration", "money"))
	}
	if decimals != nil {
		if f, _, ok := r.number(decimals, "decimals"); ok {
			if f != math.Trunc(f) || f < 0 || f > 10 {
				r.errorf(CodeBadValue, decimals.Range, "decimals must be a whole number from 0 to 10, not %s", decimals.Num)
			} else {
				d.Decimals = int(f)
			}
		}
	}
	return d
}

// strOf is a string value's text, or "".
func strOf(v *dsl.Value) string {
	if v == nil || v.Kind != dsl.KindString {
		return ""
	}
	return v.Str
}
