package evaluator

import (
	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/rules"
)

// TargetStatus is the status of a target (SPEC §4).
type TargetStatus uint8

const (
	TargetInvalid TargetStatus = iota
	NotApplicable
	TargetNoData
	Exceeded
	Met
	TargetBreached
	Missed
)

func (s TargetStatus) String() string {
	return [...]string{"invalid", "not_applicable", "no_data", "exceeded", "met", "breached", "missed"}[s]
}

// ScoreStatus is the status of a scorecard's score.
type ScoreStatus uint8

const (
	ScoreInvalid ScoreStatus = iota
	ScoreOK
	ScoreNoData
	ScoreNotApplicable
)

func (s ScoreStatus) String() string {
	return [...]string{"invalid", "ok", "no_data", "not_applicable"}[s]
}

// BreachStatus is the status of a breach rule.
type BreachStatus uint8

const (
	BreachInvalid BreachStatus = iota
	Breached
	Clear
	BreachNoData
)

func (s BreachStatus) String() string {
	return [...]string{"invalid", "breached", "clear", "no_data"}[s]
}

// IncentiveStatus is the status of an incentive.
type IncentiveStatus uint8

const (
	IncentiveInvalid IncentiveStatus = iota
	Earned
	NotEarned
	Ineligible
	IncentiveNoData
)

func (s IncentiveStatus) String() string {
	return [...]string{"invalid", "earned", "not_earned", "ineligible", "no_data"}[s]
}

// Outcome is what a policy says about one snapshot. Results are in
// declaration order of their rules.
type Outcome struct {
	Snapshot   *Snapshot
	Defaulted  []string
	Window     []string // with history: the window's periods that have a snapshot, oldest first
	Targets    []TargetResult
	Scores     []ScoreResult
	Breaches   []BreachResult
	Incentives []IncentiveResult
}

// TargetResult is a target's result.
type TargetResult struct {
	Target                   *rules.Target
	Status                   TargetStatus
	Value                    Value // no value when missing
	Goal, Threshold, Stretch Value
	Attainment               Value
	Reason                   string // why there is no data
	Why                      string
}

// Contribution is a target's share of a score.
type Contribution struct {
	Target string
	Value  float64
}

// ScoreResult is a scorecard's result.
type ScoreResult struct {
	Scorecard     *rules.Scorecard
	Status        ScoreStatus
	Value         Value
	Band          Value   // a string; "" below every band; no value unless ok
	Coverage      float64 // percent of weight counted; meaningful when CoverageSet
	CoverageSet   bool
	Contributions []Contribution
	Why           string
}

// BreachResult is a breach rule's result.
type BreachResult struct {
	Breach  *rules.Breach
	Status  BreachStatus
	Message string
	Why     string
}

// IncentiveResult is an incentive's result. Amount is nil for no_data.
type IncentiveResult struct {
	Incentive *rules.Incentive
	Status    IncentiveStatus
	Amount    *apd.Decimal
	Tier      string // the matching tier, "" for none
	Gate      string // the gate that made it ineligible or no_data
	Steps     []Step
	Why       string
}

// Step is one step of an incentive's arithmetic.
type Step struct {
	Step       string // gate, basis, tier, units, rate, amount, prorate, cap, floor, round
	Name       string
	Expr       string
	Inputs     []Input
	Result     string
	Multiplier string
	Limit      string
	Mode       string
	Note       string
}

// Input is a name and its value as an expression saw it.
type Input struct {
	Name  string
	Value Value
}

// Clone returns a copy of o that a later EvaluateInto does not overwrite.
func (o *Outcome) Clone() *Outcome {
	c := *o
	c.Defaulted = append([]string(nil), o.Defaulted...)
	c.Targets = append([]TargetResult(nil), o.Targets...)
	c.Breaches = append([]BreachResult(nil), o.Breaches...)
	c.Scores = append([]ScoreResult(nil), o.Scores...)
	for i := range c.Scores {
		c.Scores[i].Contributions = append([]Contribution(nil), c.Scores[i].Contributions...)
	}
	c.Incentives = append([]IncentiveResult(nil), o.Incentives...)
	for i := range c.Incentives {
		c.Incentives[i].Steps = append([]Step(nil), c.Incentives[i].Steps...)
	}
	return &c
}
