package evaluator

import "github.com/rubric-dev/rubric/rules"

// Reason says why a value has none, or what a value from history was made
// of. The evaluation records it as data (the kind, the names, the periods,
// the numbers, the reason it came from); why.go writes it as a sentence,
// in English or another language, only when it is read. An evaluation
// that is not explained records none: its results' reasons are nil.
//
// A Reason is never changed once recorded: later periods of the subject,
// clones and outcomes share it.
type Reason struct {
	Kind ReasonKind
	// Name is what the reason is about: a declaration, target, breach,
	// score, sample or team.
	Name string
	// Period is the period it is about.
	Period string
	// Text depends on the kind: the evaluator's fixed sentence
	// (ReasonText), the expression library's message (ReasonFailed), the
	// value an expression gave (ReasonGave, ReasonGaveBool), the status
	// (ReasonTarget, ReasonScore), the condition's source (ReasonWhen),
	// goal, threshold, stretch or cap (ReasonOperand), an amount
	// (ReasonTooLarge, ReasonAmountTooLarge).
	Text string
	// Periods are the periods a history value counted or ranged over
	// (ReasonOver, ReasonCount), oldest first.
	Periods []string
	// Num and Limit are the sample and the minimum sample
	// (ReasonSampleBelow), the goal (ReasonGoalNotPositive), the team's snapshots and min_team
	// (ReasonMinTeam).
	Num, Limit float64
	// Hist is the kind of count (ReasonCount): met, missed or fired, in a
	// window or a streak.
	Hist rules.HistKind
	// Cause is the reason this one came from: "target aht is no_data:
	// <cause>".
	Cause *Reason
}

// ReasonKind is what a Reason says.
type ReasonKind uint8

const (
	ReasonNone            ReasonKind = iota
	ReasonText                       // a fixed sentence of the evaluator: "missing in the input", "division by zero", …
	ReasonFailed                     // evaluation failed: Text
	ReasonGave                       // gave Text, not a number
	ReasonGaveBool                   // gave Text, not true or false
	ReasonNoValue                    // Name has no value (Cause)
	ReasonTarget                     // target Name is Text (: Cause)
	ReasonBreach                     // breach Name is no_data (: Cause)
	ReasonScore                      // score Name is Text
	ReasonWhen                       // when Text: Cause
	ReasonOperand                    // Text (goal, threshold, stretch, cap): Cause
	ReasonSample                     // the sample: Cause
	ReasonSampleBelow                // the sample Name Num is below the minimum sample Limit
	ReasonGoalNotPositive            // the goal Num is not positive, so a ratio cannot be scored
	ReasonMinTeam                    // team Name has Num snapshot(s) in Period; the policy needs at least Limit
	ReasonTooLarge                   // the result Text is beyond what an amount can hold
	ReasonAmountTooLarge             // the amount Text is beyond what a payroll line can hold
	ReasonRejected                   // the snapshot of Period was rejected as bad input
	ReasonNoPrevious                 // no snapshot for the period before Period
	ReasonWasNoData                  // target Name was no_data in Period (: Cause)
	ReasonNoValueIn                  // Name had no value in Period
	ReasonNoResultIn                 // breach Name had no result in Period
	ReasonWindowEmpty                // no period of the window has a value for Name
	ReasonIn                         // (a value of) Period
	ReasonOver                       // (a statistic) over Periods
	ReasonCount                      // (a count of) Periods met, missed or fired
)

// because is a fixed sentence of the evaluator as a reason.
func because(text string) *Reason { return &Reason{Kind: ReasonText, Text: text} }

// Fixed reasons, shared: nothing changes a Reason once made.
var (
	reasonMissing     = because("missing in the input")
	reasonDivZero     = because("division by zero")
	reasonInfinite    = because("division by zero (the result is infinite)")
	reasonNaN         = because("the result is not a number (0/0?)")
	reasonNotCompiled = because("the expression was not compiled")
	reasonNoDecimal   = because("the expression was not compiled for decimal evaluation")
)
