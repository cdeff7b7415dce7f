package rules

import (
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/hashicorp/hcl/v2"

	"github.com/rubric-dev/rubric/dsl"
)

// Compiler parses and type-checks expressions of one language. Package
// evaluator implements it for CEL and expr. Implementations must be safe for
// concurrent use, and so must the Programs they return.
type Compiler interface {
	Language() Language
	// Parse parses src and reports the qualified names it references.
	Parse(src string) (Parsed, []ExprError)
	// Compile type-checks a parsed expression against the scope, requires
	// its result to have type want, and returns the program to run.
	Compile(p Parsed, scope *Scope, want Type) (Program, []ExprError)
	// CompileDecimal compiles an expression Compile accepted as a number
	// into a program evaluated in exact decimal: an incentive's amount
	// expressions (docs/language.md, "Money").
	CompileDecimal(p Parsed, scope *Scope) (Program, []ExprError)
}

// Parsed is a parsed, not yet checked expression.
type Parsed interface {
	Refs() []Ref
}

// Ref is a dotted name referenced by an expression, at a rune offset of the
// expression source.
type Ref struct {
	Name           string
	Offset, Length int
}

// ExprError is an error inside an expression, at a rune offset of its source.
type ExprError struct {
	Offset, Length int
	Message        string
}

// Program is a compiled expression; its concrete type belongs to the
// Compiler that made it.
type Program any

// Expression is a compiled expression of the policy.
type Expression struct {
	Source  string
	Value   *dsl.Value // where it is written, for positions
	Want    Type
	Refs    []*Decl // every name it references, in order of first use, without repeats
	Bare    *Decl   // the name the expression is, when it is that name alone ("answered")
	Program Program
	// Decimal is the exact-decimal program of an amount expression (nil
	// for every other expression).
	Decimal Program
}

// Operand is a number that is either a constant written in the policy or an
// expression computed per snapshot.
type Operand struct {
	Set   bool
	Expr  *Expression  // nil for a constant
	Num   float64      // constant value
	Dec   *apd.Decimal // constant value, exactly as written
	Range hcl.Range
}

// IsConst reports whether the operand is set to a constant.
func (o Operand) IsConst() bool { return o.Set && o.Expr == nil }

// Policy is a resolved, checked policy. It is immutable and safe for
// concurrent use.
type Policy struct {
	Name, Title, Version, Owner string
	Language                    Language
	Currency                    string
	MinorUnit                   int
	Period                      PeriodKind
	EffectiveFrom, EffectiveTo  *time.Time
	Digest                      string // "sha256:<hex>" over file names and contents

	Sources []dsl.Source
	Files   map[string]*hcl.File
	Scope   *Scope

	Metrics    []*Metric // in declaration order
	Derived    []*Metric // derived metrics in dependency order
	Attributes []*Attribute
	Params     []*Param
	Targets    []*Target
	Scorecards []*Scorecard
	Breaches   []*Breach
	Incentives []*Incentive
	// Rollup, when the policy has a rollup block, counts its input
	// metrics from interaction rows (SPEC §14).
	Rollup *Rollup

	// History is how many earlier periods expressions may look back on
	// (history = N); UsesHistory says whether any expression does.
	History     int
	UsesHistory bool

	// MinTeam is the fewest snapshots a team may have in a period for
	// team.* to have a value (min_team; 0: no minimum).
	MinTeam int

	// UsesTeam and UsesAll say whether any expression references team.* or
	// all.* statistics; only then are they computed.
	UsesTeam, UsesAll bool
}

// Metric is an input or derived metric.
type Metric struct {
	Name, Title, Unit  string
	Label, Description Text      // for people (SPEC §15)
	Better             Direction // DirectionInvalid when not declared
	Min, Max           *float64  // an input's valid range (outside is bad input); a derived nps(…)'s −100 and 100
	Default            *float64
	Required           bool
	Derived            *Expression
	Decl               *Decl
	Range              hcl.Range
	Display            Display // how values are shown in sentences and reports

	betterGiven bool // better was written, even if invalid
}

// DisplayFormat says how a number is shown to people.
type DisplayFormat int

const (
	FormatDefault  DisplayFormat = iota // the shortest exact form, with the unit
	FormatNumber                        // a number with Decimals digits
	FormatPercent                       // a fraction as a percentage: 0.2356 → 23.6%
	FormatDuration                      // seconds as 4m 26s
	FormatMoney                         // with the currency's minor digits
)

// Display is how a metric's or target's values are shown: in sentences,
// explain, tables and reports. Outcome JSON keeps full precision.
type Display struct {
	Format   DisplayFormat
	Decimals int // -1: the format's default
}

// Attribute is a per-snapshot attribute.
type Attribute struct {
	Name, Title string
	Type        AttrType
	Required    bool
	Payroll     bool // exported as a column of payroll.csv (an employee number, a cost centre)
	Decl        *Decl
	Range       hcl.Range
}

// Param is a named constant.
type Param struct {
	Name, Title string
	Type        Type
	Num         float64
	Str         string
	Bool        bool
	Decl        *Decl
	Range       hcl.Range
}

// Target is a resolved target.
type Target struct {
	Name, Title, Unit        string
	Label, Description       Text        // for people (SPEC §15)
	Metric                   *Metric     // exactly one of Metric and Value
	Value                    *Expression //
	Better                   Direction
	Goal, Threshold, Stretch Operand
	Cap                      Operand
	When                     *Expression
	Sample                   *Metric
	MinSample                float64
	Scoring                  Scoring
	Curve                    []CurvePoint // sorted by X
	Severity                 Severity

	Status, ValueDecl, Attainment, Met *Decl
	Range                              hcl.Range
	Display                            Display // the metric's unless the target sets its own
}

// CurvePoint is a point of an attainment curve.
type CurvePoint struct{ X, Y float64 }

// Scorecard is a resolved scorecard.
type Scorecard struct {
	Name, Title        string
	Label, Description Text     // for people (SPEC §15)
	Weights            []Weight // in declaration order
	Missing            Missing
	MinCoverage        float64
	Bands              []Band // sorted by Min, highest first

	Score, Band *Decl
	Range       hcl.Range
}

// Weight is a target's weight in a scorecard.
type Weight struct {
	Target *Target
	Weight float64
}

// Band is a scorecard band.
type Band struct {
	Name, Title        string
	Label, Description Text // for people (SPEC §15)
	Min                float64
}

// Breach is a resolved breach rule.
type Breach struct {
	Name, Title        string
	Label, Description Text // for people (SPEC §15)
	When               *Expression
	Severity           Severity
	Message            []MessagePart // the message without a language: the only one, or the map's en (else its first code's)
	// Messages are the message per language code, when a map was written
	// (SPEC §15): for people, in their language; JSON keeps Message.
	Messages map[string][]MessagePart
	Decl     *Decl
	Range    hcl.Range
}

// MessagePart is literal text or, when Decl is set, an inserted value.
type MessagePart struct {
	Text string
	Decl *Decl
}

// AmountKind says how an incentive's gross amount is computed.
type AmountKind int

const (
	AmountInvalid AmountKind = iota
	AmountBasis              // basis × tier multiplier
	AmountUnits              // units through a rate schedule
	AmountFormula            // a formula
)

// Incentive is a resolved incentive.
type Incentive struct {
	Name, Title, Code  string
	Label, Description Text // for people (SPEC §15)
	Gates              []Gate
	Kind               AmountKind
	Basis              Operand
	Tiers              []Tier
	Units              Operand
	Schedule           Schedule
	Rates              []Rate // sorted by From, ascending
	Amount             Operand
	Prorate, Cap       Operand
	Floor              Operand
	Rounding           Rounding
	Range              hcl.Range
}

// Gate is an eligibility condition of an incentive.
type Gate struct {
	Name, Title        string
	Label, Description Text // for people (SPEC §15)
	When               *Expression
}

// Tier is a tier of a basis incentive.
type Tier struct {
	Name, Title        string
	Label, Description Text // for people (SPEC §15)
	When               *Expression
	Multiplier         Operand
}

// Rate is a band of a rate schedule.
type Rate struct {
	Name, Title string
	From        *apd.Decimal
	PerUnit     *apd.Decimal
	FromNum     float64
}
