package evaluator

import (
	"slices"

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

// Scored reports whether the target was scored against its goal:
// exceeded, met, missed or breached (not no_data or not_applicable).
func (s TargetStatus) Scored() bool { return s >= Exceeded }

// Achieved reports whether the target reached its goal: met or exceeded.
func (s TargetStatus) Achieved() bool { return s == Exceeded || s == Met }

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

	// inputs holds the Inputs of every condition and step of the
	// evaluation, back to back, reused by the next EvaluateInto.
	inputs []Input
}

// TargetResult is a target's result.
type TargetResult struct {
	Target                   *rules.Target
	Status                   TargetStatus
	Value                    Value // no value when missing
	Goal, Threshold, Stretch Value
	Attainment               Value
	Reason                   *Reason // why there is no data

	// What decided it, recorded when the evaluation is explained (Why
	// renders it):
	When   Condition // the when condition, when it made the target not applicable
	Ratio  float64   // ratio scoring: the attainment before the cap and the floor of 0
	Cap    float64   // ratio scoring: the attainment cap
	policy *rules.Policy
}

// Contribution is a target's share of a score.
type Contribution struct {
	Target     string
	Value      float64 // Weight × Attainment / the weight counted
	Weight     float64
	Attainment float64 // 0 for a target with no data counted as 0
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
	Missing       []string // the targets with no data: left out, counted as 0, or voiding the score
	Reason        *Reason  // when a target with no data voided the score: why it had none
	explained     bool
}

// BreachResult is a breach rule's result.
type BreachResult struct {
	Breach  *rules.Breach
	Status  BreachStatus
	Message string
	Reason  *Reason   // why there is no data
	When    Condition // how the condition came out (explained only)

	explained bool
}

// MessageIn is the message of a breach that fired, in the language of
// code when the policy gives one in it (SPEC §15), else Message; s is the
// outcome's snapshot, whose values the message inserts. It is written
// here, for the renderings for people, not during evaluation.
func (b *BreachResult) MessageIn(code string, s *Snapshot) string {
	if parts, ok := b.Breach.Messages[code]; ok && b.Status == Breached {
		return message(parts, s.Values)
	}
	return b.Message
}

// IncentiveResult is an incentive's result. Amount is nil for no_data.
type IncentiveResult struct {
	Incentive *rules.Incentive
	Status    IncentiveStatus
	Amount    *apd.Decimal
	Tier      string // the matching tier, "" for none
	Gate      string // the gate that made it ineligible or no_data
	Steps     []Step // the arithmetic, recorded when explained

	// What decided it beyond the steps, recorded when explained:
	NoData          string       // the step that had no value: basis, units, amount, gate, tier, …
	NoDataName      string       // its name, for a gate or a tier
	Reason          *Reason      // why it had none
	Gross           *apd.Decimal // the amount before prorate, cap and floor
	Capped, Floored bool         // the cap or the floor changed the amount
	Negative        bool         // a negative amount was counted as 0
	policy          *rules.Policy
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
	Units      string // a rate step: the units paid in its band (below the first band: every unit)
	PerUnit    string // a rate step: the band's rate
	Flat       bool   // a rate step of a flat schedule: every unit at the band's rate
	FirstBand  string // a rate step below the first band: that band
	From       string // … and where it starts
}

// Input is a name and its value as an expression saw it.
type Input struct {
	Name      string
	Value     Value
	Note      *Reason // what the value was made of (history), nil for none
	Defaulted bool    // the metric took its default
}

// Clone returns a copy of o, with its snapshot, that a later EvaluateInto
// (or the reuse of the snapshot for another row) does not overwrite.
func (o *Outcome) Clone() *Outcome {
	c := *o
	if o.Snapshot != nil {
		c.Snapshot = o.Snapshot.clone()
	}
	c.Defaulted = append([]string(nil), o.Defaulted...)
	c.Targets = append([]TargetResult(nil), o.Targets...)
	c.Breaches = append([]BreachResult(nil), o.Breaches...)
	c.Scores = append([]ScoreResult(nil), o.Scores...)
	for i := range c.Scores {
		c.Scores[i].Contributions = append([]Contribution(nil), c.Scores[i].Contributions...)
		c.Scores[i].Missing = append([]string(nil), c.Scores[i].Missing...)
	}
	c.Incentives = append([]IncentiveResult(nil), o.Incentives...)
	for i := range c.Incentives {
		c.Incentives[i].Steps = append([]Step(nil), c.Incentives[i].Steps...)
		for j := range c.Incentives[i].Steps {
			st := &c.Incentives[i].Steps[j]
			st.Inputs = slices.Clone(st.Inputs)
		}
	}
	// The inputs live in o's arena, which the next evaluation overwrites.
	for i := range c.Targets {
		c.Targets[i].When.Inputs = slices.Clone(c.Targets[i].When.Inputs)
	}
	for i := range c.Breaches {
		c.Breaches[i].When.Inputs = slices.Clone(c.Breaches[i].When.Inputs)
	}
	c.inputs = nil
	return &c
}
