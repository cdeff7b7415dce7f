package rules

// Closed sets of the policy language. Each has an invalid zero value, so a
// field that was never set is never mistaken for a default.

// Language is the expression language of a policy.
type Language int

const (
	LanguageInvalid Language = iota
	CEL
	Expr
)

func (l Language) String() string { return enumString(int(l), "cel", "expr") }

// Direction says which way is better for a metric or target.
type Direction int

const (
	DirectionInvalid Direction = iota
	Higher
	Lower
)

func (d Direction) String() string { return enumString(int(d), "higher", "lower") }

// Scoring is how a target's attainment is computed.
type Scoring int

const (
	ScoringInvalid Scoring = iota
	Ratio
	Binary
	Curve
)

func (s Scoring) String() string { return enumString(int(s), "ratio", "binary", "curve") }

// Missing is what a scorecard does with a no_data target.
type Missing int

const (
	MissingInvalid Missing = iota
	Reweight
	Zero
	Void
)

func (m Missing) String() string { return enumString(int(m), "reweight", "zero", "void") }

// Severity of a breach.
type Severity int

const (
	SeverityInvalid Severity = iota
	Minor
	Major
	Critical
)

func (s Severity) String() string { return enumString(int(s), "minor", "major", "critical") }

// Rounding mode of an incentive amount.
type Rounding int

const (
	RoundingInvalid Rounding = iota
	HalfEven
	HalfUp
	Down
	Up
)

func (r Rounding) String() string { return enumString(int(r), "half_even", "half_up", "down", "up") }

// Schedule of a rate-based incentive.
type Schedule int

const (
	ScheduleInvalid Schedule = iota
	Graduated
	Flat
)

func (s Schedule) String() string { return enumString(int(s), "graduated", "flat") }

// PeriodKind is the length of a policy's period.
type PeriodKind int

const (
	PeriodInvalid PeriodKind = iota
	Day
	Week
	Month
	Quarter
	Year
	Half
)

func (p PeriodKind) String() string {
	return enumString(int(p), "day", "week", "month", "quarter", "year", "half")
}

// AttrType is the declared type of an attribute.
type AttrType int

const (
	AttrInvalid AttrType = iota
	AttrString
	AttrNumber
	AttrBool
	AttrMoney
)

func (a AttrType) String() string { return enumString(int(a), "string", "number", "bool", "money") }

// Type is the type of a name or expression result in the expression
// languages.
type Type int

const (
	TypeInvalid Type = iota
	TypeNumber
	TypeString
	TypeBool
)

func (t Type) String() string { return enumString(int(t), "number", "string", "bool") }

func enumString(v int, names ...string) string {
	if v < 1 || v > len(names) {
		return "invalid"
	}
	return names[v-1]
}

// parseEnum returns the 1-based index of s in names, or 0.
func parseEnum(s string, names ...string) int {
	for i, n := range names {
		if n == s {
			return i + 1
		}
	}
	return 0
}
