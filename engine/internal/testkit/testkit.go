// Package testkit holds the helpers that the capability packages' tests
// share: loading a policy, evaluating to decoded outcomes, summing amounts.
// Only tests import it.
package testkit

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/evaluator/money"
)

// MustLoad loads the policy at dir and fails the test on any error.
func MustLoad(t testing.TB, dir string) *engine.Policy {
	t.Helper()
	p, diags, err := engine.Load(dir)
	if err != nil || diags.HasErrors() {
		t.Fatal(err, diags)
	}
	return p
}

// WriteFile writes content to a new file called name in a temporary
// directory and returns its path.
func WriteFile(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// EvalToMaps evaluates input as eval does (ndjson) and decodes each
// outcome.
func EvalToMaps(t testing.TB, p *engine.Policy, input string) []map[string]any {
	t.Helper()
	var out bytes.Buffer
	res, err := p.Eval(engine.Input{Name: input}, engine.Output{W: &out}, engine.EvalOptions{Format: engine.OutNDJSON})
	if err != nil || res.Failed() {
		t.Fatal(err, res)
	}
	var rows []map[string]any
	dec := json.NewDecoder(&out)
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, m)
	}
	return rows
}

// AddAmount adds the decimal text amount to sums[key] exactly; an empty
// amount only makes sure the key is there.
func AddAmount(t testing.TB, sums map[string]*apd.Decimal, key, amount string) {
	t.Helper()
	if sums[key] == nil {
		sums[key] = new(apd.Decimal)
	}
	if amount == "" {
		return
	}
	d, _, err := apd.NewFromString(amount)
	if err != nil {
		t.Fatal(err)
	}
	if err := money.Add(sums[key], sums[key], d); err != nil {
		t.Fatal(err)
	}
}

// Examples lists the shipped example policies that have fixture data
// (fixtures/NAME/snapshots.csv), root being the repository's root
// relative to the test's package.
func Examples(t testing.TB, root string) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(root, "policies", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(root, "fixtures", filepath.Base(d), "snapshots.csv")); err == nil {
			out = append(out, filepath.Base(d))
		}
	}
	if len(out) < 3 {
		t.Fatalf("expected three example policies with fixtures, found %v", out)
	}
	return out
}

// LoadSource loads a policy written in the test as one file called name,
// and fails the test on any error.
func LoadSource(t testing.TB, name, src string) *engine.Policy {
	t.Helper()
	p, diags := engine.LoadSources(name, []dsl.Source{{Name: name, Bytes: []byte(src)}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}
