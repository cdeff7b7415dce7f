package dsl

import "github.com/hashicorp/hcl/v2"

// Source is one policy file as read from disk.
type Source struct {
	Name  string // path as given (directory joined with the file name)
	Bytes []byte
}

// Policy is the syntax tree of one policy: the merged contents of its files.
// Blocks keep the order of the files (sorted by name) and, within a file,
// the order of declaration.
type Policy struct {
	Sources    []Source
	Files      map[string]*hcl.File
	Policy     []*PolicyBlock
	Metrics    []*Metric
	Attributes []*Attribute
	Params     []*Param
	Targets    []*Target
	Scorecards []*Scorecard
	Breaches   []*Breach
	Incentives []*Incentive
	Rollups    []*Rollup

	posMaps map[string]*posMap // files whose single-line blocks had commas (commaBlocks)
}

// Rollup is a rollup "name" block: how the policy's input metrics are
// counted from interaction rows (SPEC §14).
type Rollup struct {
	Head
	Subject, Team, Time, TimeZone, TimeLayout, Where *Value
	Columns                                          []*RollupColumn
	Measures                                         []*Measure
}

// RollupColumn is a column "name" block inside a rollup.
type RollupColumn struct {
	Head
	Type, From *Value
}

// Measure is a measure "name" block inside a rollup: one of count, sum,
// min, max, avg, quantile (with of) or distinct, and an optional where.
type Measure struct {
	Head
	Count, Sum, Min, Max, Avg, Quantile, Of, Distinct, Where *Value
}

// Head is what every labelled block has.
type Head struct {
	Name      string
	NameRange hcl.Range
	DefRange  hcl.Range // the block header, for diagnostics about the whole block
	// Label and Description are for people (SPEC §15): a string, or a map
	// from language code to string; nil when not written.
	Label, Description *Value
}

// PolicyBlock is the policy "name" { ... } block.
type PolicyBlock struct {
	Head
	Title, Version, Owner, Language, Currency, Period *Value
	EffectiveFrom, EffectiveTo                        *Value
	History, MinTeam                                  *Value
}

// Metric is a metric "name" block: an input or, with Expr, a derived metric.
type Metric struct {
	Head
	Title, Unit, Better, Min, Max, Default, Expr, Required *Value
	Format, Decimals                                       *Value // how its values are shown to people
}

// Attribute is an attribute "name" block.
type Attribute struct {
	Head
	Title, Type, Required, Payroll *Value
}

// Param is a param "name" block: a named constant.
type Param struct {
	Head
	Title, Value *Value
}

// Target is a target "name" block.
type Target struct {
	Head
	Title, Metric, Value, Better, Unit     *Value
	Goal, Threshold, Stretch, When         *Value
	Sample, MinSample, Scoring, Cap, Curve *Value
	Severity                               *Value
	Format, Decimals                       *Value // how its values are shown to people
}

// Scorecard is a scorecard "name" block with its bands.
type Scorecard struct {
	Head
	Title, Weights, Missing, MinCoverage *Value
	Bands                                []*Band
}

// Band is a band "name" block inside a scorecard.
type Band struct {
	Head
	Title, Min *Value
}

// Breach is a breach "name" block.
type Breach struct {
	Head
	Title, When, Severity *Value
	Message               *Message
	// Messages is the message per language when it was written as a map
	// (message = { en = "…", id = "…" }), in source order; Message is nil
	// then.
	Messages []*LangMessage
}

// LangMessage is a breach message in one language.
type LangMessage struct {
	Code      string
	CodeRange hcl.Range
	Message   *Message
}

// Message is an HCL template such as "QA failed ${qa_fails} time(s)": text
// with names inserted. Only plain names may be inserted.
type Message struct {
	Range hcl.Range
	Parts []MessagePart
}

// MessagePart is literal text or, when Name is set, an inserted name.
type MessagePart struct {
	Text  string
	Name  string
	Range hcl.Range
}

// Incentive is an incentive "name" block.
type Incentive struct {
	Head
	Title, Code                   *Value
	Gates                         []*Gate
	Basis                         *Value
	Tiers                         []*Tier
	Units, Schedule               *Value
	Rates                         []*Rate
	Amount                        *Value
	Prorate, Cap, Floor, Rounding *Value
}

// Gate is a gate "name" block inside an incentive.
type Gate struct {
	Head
	Title, When *Value
}

// Tier is a tier "name" block inside an incentive.
type Tier struct {
	Head
	Title, When, Multiplier *Value
}

// Rate is a rate "name" block inside an incentive.
type Rate struct {
	Head
	Title, From, PerUnit *Value
}
