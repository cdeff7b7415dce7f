package rules

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/rubric-dev/rubric/dsl"
)

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
