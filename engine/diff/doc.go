// Package diff is the payout impact of a policy change: Compare runs the
// old and the new policy over the same snapshots and reports, per
// incentive, the totals before and after, who gains and who loses, the
// status transitions and the largest individual changes. The command
// line renders the report as text, markdown or JSON (rubric diff).
//
// It uses the engine facade (Policy.Stream) and engine/internal; no other
// capability. A policy as of a git revision (REV:PATH) is read by the
// command line, not here.
package diff
