// Package rules resolves a policy's syntax tree (package dsl) into an
// immutable, type-checked policy model.
//
// Resolve checks everything that can be checked before a snapshot is read:
// one namespace for metrics, attributes and params; unique names per kind;
// every reference (weights keys, metric, sample, names inside expressions);
// the stage order of names; derived-metric cycles; weights; ordered
// constant bounds; exactly-one-of rules; enums; the currency. It reports
// every diagnostic at once, each with a stable code and a source range.
//
// Expressions are parsed and type-checked through the Compiler interface,
// which package evaluator implements for CEL and expr; the compiled program
// is kept in the model, so a policy is compiled exactly once. A *Policy is
// never modified after Resolve returns and is safe for concurrent use.
package rules
