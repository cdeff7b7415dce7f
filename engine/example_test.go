package engine_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine"
)

const examplePolicy = `
policy "bonus" {
  version  = "1"
  currency = "EUR"
}
metric "sales" { better = "higher" }
attribute "base_pay" { type = "money" }
target "sales" {
  metric = "sales"
  goal   = 100
}
incentive "bonus" {
  gate "met" { when = "target.sales.met" }
  amount = "base_pay * 0.1"
}
`

// A policy is loaded (parsed, resolved, compiled) once; its diagnostics
// name the file, line and column of every problem.
func ExampleEnv_LoadSources() {
	env := engine.NewEnv()
	p, diags := env.LoadSources("bonus.hcl", []dsl.Source{{Name: "bonus.hcl", Bytes: []byte(examplePolicy)}})
	fmt.Println(p.Rules().Name, len(diags))
	_, diags = env.LoadSources("bad.hcl", []dsl.Source{{Name: "bad.hcl", Bytes: []byte(strings.Replace(examplePolicy, `metric = "sales"`, `metric = "sale"`, 1))}})
	fmt.Println(diags[0].Subject.Start.Line, diags[0].Summary)
	// Output:
	// bonus 0
	// 9 target "sales" metric: unknown metric "sale"; did you mean "sales"?
}

// Eval writes one outcome per snapshot; money is exact decimal (2345.65 ×
// 0.1 is 234.565, which half-even rounding pays as 234.56).
func ExamplePolicy_Eval() {
	p, _ := engine.LoadSources("bonus.hcl", []dsl.Source{{Name: "bonus.hcl", Bytes: []byte(examplePolicy)}})
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "october.csv")
	os.WriteFile(in, []byte("subject,period,sales,base_pay\nA-1,2026-10,120,2345.65\nA-2,2026-10,80,3000\n"), 0o644)
	var out bytes.Buffer
	if _, err := p.Eval(engine.Input{Name: in}, engine.Output{W: &out}, engine.EvalOptions{Format: engine.OutCSV}); err != nil {
		fmt.Println(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		f := strings.Split(line, ",")
		fmt.Println(f[0], f[len(f)-3], f[len(f)-2])
	}
	// Output:
	// subject incentives.bonus.status incentives.bonus.amount
	// A-1 earned 234.56
	// A-2 ineligible 0.00
}

// Explain writes a manager's report of one subject.
func ExamplePolicy_Explain() {
	p, _ := engine.LoadSources("bonus.hcl", []dsl.Source{{Name: "bonus.hcl", Bytes: []byte(examplePolicy)}})
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "october.csv")
	os.WriteFile(in, []byte("subject,period,sales,base_pay\nA-2,2026-10,80,3000\n"), 0o644)
	var out bytes.Buffer
	if _, err := p.Explain(engine.Input{Name: in}, "A-2", "", &out, engine.StreamOptions{}); err != nil {
		fmt.Println(err)
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "missed the goal") {
			fmt.Println(strings.TrimSpace(line))
		}
	}
	// Output:
	// sales 80 missed the goal 100 by 20 (higher is better); attainment 80/100 = 0.8
}
