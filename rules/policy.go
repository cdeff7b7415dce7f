package rules

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/rubric-dev/rubric/dsl"
)

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
						suggest(d, up)
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
