// Package payroll writes what payroll pays from: an export directory with
// payroll.csv (one line a subject, period and incentive, exact decimal
// amounts rounded as the policy declares), explanations.ndjson and
// manifest.json (digests, totals, counts), put in place whole under a
// lock. With Options.Against it writes a correction: the differences
// against what earlier exports paid. Verify checks an export against its
// manifest.
//
// It uses the engine facade (Policy.Stream) and engine/internal; no other
// capability. docs/payroll.md describes the files.
package payroll
