// Package policytest runs a policy's own tests (*.test.hcl beside it:
// values, optional history and peers, expected outcomes) and measures
// their coverage of targets, bands, breaches and incentive tiers (rubric
// test). Test values are checked exactly as input is, with an
// engine.Checker.
//
// It uses the engine facade and engine/internal; no other capability.
package policytest
