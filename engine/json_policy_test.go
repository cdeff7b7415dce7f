package engine

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
)

// TestJSONSyntaxPolicy writes a policy in HCL's JSON syntax and checks it
// evaluates as its native twin does, and that an error inside one of its
// expressions points into the JSON file.
func TestJSONSyntaxPolicy(t *testing.T) {
	jsonPolicy := `{
  "policy": {"j": {"version": "1", "currency": "EUR"}},
  "metric": {"aht": {"better": "lower"}, "n": {}},
  "attribute": {"pay": {"type": "money"}},
  "target": {"aht": {"metric": "aht", "goal": 300, "threshold": 420, "sample": "n", "min_sample": 10}},
  "scorecard": {"s": {"weights": {"aht": 100}, "band": {"ok": {"min": 1}}}},
  "breach": {"slow": {"when": "aht > 400", "severity": "minor", "message": "aht ${aht} s"}},
  "incentive": {"i": {"basis": "pay * 0.1", "tier": {"ok": {"when": "band.s == \"ok\"", "multiplier": 1}}, "rounding": "half_up"}}
}`
	native := `
policy "j" {
  version  = "1"
  currency = "EUR"
}
metric "aht" { better = "lower" }
metric "n" {}
attribute "pay" { type = "money" }
target "aht" {
  metric     = "aht"
  goal       = 300
  threshold  = 420
  sample     = "n"
  min_sample = 10
}
scorecard "s" {
  weights = { aht = 100 }
  band "ok" { min = 1 }
}
breach "slow" {
  when     = "aht > 400"
  severity = "minor"
  message  = "aht ${aht} s"
}
incentive "i" {
  basis = "pay * 0.1"
  tier "ok" {
    when       = "band.s == \"ok\""
    multiplier = 1
  }
  rounding = "half_up"
}
`
	input := writeFile(t, "in.csv", "subject,period,aht,n,pay\nA,2026-10,290,20,1000.05\nB,2026-10,450,20,1000\n")
	var outs []string
	for _, src := range []dsl.Source{{Name: "p.hcl.json", Bytes: []byte(jsonPolicy)}, {Name: "p.hcl", Bytes: []byte(native)}} {
		p, diags := LoadSources(src.Name, []dsl.Source{src})
		if diags.HasErrors() {
			t.Fatalf("%s: %v", src.Name, diags)
		}
		outs = append(outs, string(digestRE.ReplaceAll(evalBytes(t, p, input, EvalOptions{Format: OutNDJSON}), []byte("sha256:-"))))
	}
	if outs[0] != outs[1] {
		t.Fatalf("JSON and native syntax differ:\n%s\n%s", outs[0], outs[1])
	}
	if !strings.Contains(outs[0], `"amount":"100.01"`) || !strings.Contains(outs[0], `"message":"aht 450 s"`) {
		t.Errorf("unexpected outcome: %s", outs[0])
	}
	bad := strings.Replace(jsonPolicy, `"when": "aht > 400"`, `"when": "aht > 400 && nn > 1"`, 1)
	_, diags := LoadSources("p.hcl.json", []dsl.Source{{Name: "p.hcl.json", Bytes: []byte(bad)}})
	if !diags.HasErrors() {
		t.Fatal("no error")
	}
	var b bytes.Buffer
	dsl.WriteDiagnostics(&b, "text", diags, map[string][]byte{"p.hcl.json": []byte(bad)})
	line := strings.Split(bad, "\n")[6]
	col := strings.Index(line, "nn > 1") + 1
	if want := "p.hcl.json:7:" + strconv.Itoa(col) + ": error:"; !strings.Contains(b.String(), want) {
		t.Errorf("want %q in\n%s", want, b.String())
	}
}
