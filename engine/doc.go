// Package engine is rubric's library facade: load and compile a policy,
// read snapshots (CSV, JSON, NDJSON, gzip) with strict checks, evaluate
// them on every core in input order (a policy with history subject by
// subject, sorted on disk), and write outcomes (ndjson, json, csv, table)
// and a manager's explanation.
//
// Start with Load, then Policy.Eval or Policy.Explain; a capability with
// more to it has a package of its own beside this one: engine/payroll
// (exports, corrections, verification), engine/diff (the payout impact of
// a change), engine/policytest (a policy's own tests), engine/calibrate
// (achievable targets), engine/trend (periods side by side),
// engine/htmlreport (the HTML site) and engine/serve (the HTTP service).
// They use the facade — Policy.Stream with an encode callback, a Checker
// for values given as data — and never each other. docs/architecture.md
// draws the whole.
package engine
