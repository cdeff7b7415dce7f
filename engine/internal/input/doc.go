// Package input reads snapshots: CSV, JSON and NDJSON readers (gzip and a
// byte-order mark read transparently, binary refused) that give raw
// records with the line and column of every value, and a Converter that
// checks records against a policy — types, bounds, identity rules,
// duplicate (subject, period) — and turns them into evaluator snapshots.
// Every problem is an *Error at its place in the file.
//
// The engine's Stream drives it; engine.InputError and engine.Checker are
// its public faces.
package input
