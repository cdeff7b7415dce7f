package rules

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/dsl"
)

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
	DidYouMean(d, s, names)
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
