package engine

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
)

// inputPolicy is testdata/inputs.hcl: bounds, a required metric, a
// default, a derived metric, attributes of every type, an incentive.
var inputPolicy = func() string {
	b, err := os.ReadFile("testdata/inputs.hcl")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

func inputTestPolicy(t *testing.T) *Policy {
	t.Helper()
	p, diags := LoadSources("inputs.hcl", []dsl.Source{{Name: "inputs.hcl", Bytes: []byte(inputPolicy)}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBadInput checks every kind of bad input of SPEC §5: each is reported
// with its line and column, and nothing is written.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name, file, content string
		want                []string // "line:col: fragment"
	}{
		{"non-numeric metric", "a.csv", "subject,period,aht,handled,pay\nA1,2026-10,fast,10,100\n", []string{"2:12: metric aht \"fast\" is not a number"}},
		{"NaN is not a plain number", "a.csv", "subject,period,aht,handled,pay\nA1,2026-10,NaN,10,100\n", []string{"2:12: not a number"}},
		{"below min", "a.csv", "subject,period,aht,handled,pay\nA1,2026-10,-1,10,100\n", []string{"2:12: metric aht = -1 is below its minimum 0"}},
		{"above max", "a.csv", "subject,period,aht,handled,pay\nA1,2026-10,7201,10,100\n", []string{"2:12: above its maximum 7200"}},
		{"wrong attribute type", "a.csv", "subject,period,handled,pay,remote\nA1,2026-10,10,100,maybe\n", []string{"2:19: attribute remote must be true or false"}},
		{"money not a number", "a.csv", "subject,period,handled,pay\nA1,2026-10,10,12.5.1\n", []string{"2:15: attribute pay \"12.5.1\" is not a number"}},
		{"required metric missing", "a.csv", "subject,period,handled,pay\nA1,2026-10,,100\n", []string{"2:12: required metric handled has no value"}},
		{"required attribute column absent", "a.csv", "subject,period,handled\nA1,2026-10,10\n", []string{"2: required attribute pay has no value"}},
		{"duplicate", "a.csv", "subject,period,handled,pay\nA1,2026-10,10,100\nA2,2026-10,10,100\nA1,2026-10,11,100\n", []string{"4:1: duplicate snapshot: A1 2026-10 is already at line 2"}},
		{"bad period label", "a.csv", "subject,period,handled,pay\nA1,Oct 2026,10,100\n", []string{"2:4: not a period label"}},
		{"period of the wrong kind", "a.csv", "subject,period,handled,pay\nA1,2026-W41,10,100\n", []string{"2:4: period \"2026-W41\" is a week; policy inputs is evaluated per month"}},
		{"outside effective dates", "a.csv", "subject,period,handled,pay\nA1,2025-12,10,100\n", []string{"2:4: outside the effective dates of policy inputs (2026-01-01 to 2026-12-31)"}},
		{"missing subject", "a.csv", "subject,period,handled,pay\n,2026-10,10,100\n", []string{"2:1: subject is missing"}},
		{"wrong field count", "a.csv", "subject,period,handled,pay\nA1,2026-10,10\n", []string{"2:1: the row has 3 fields; the header has 4"}},
		{"several at once", "a.csv", "subject,period,aht,handled,pay\nA1,2026-10,x,10,100\nA2,2026-10,1,y,100\nA3,2026-10,1,1,100\n", []string{"2:12: metric aht", "3:14: metric handled"}},
		{"json string for a metric", "a.json", "[\n  {\"subject\": \"A1\", \"period\": \"2026-10\", \"handled\": \"10\", \"pay\": 1}\n]\n", []string{"2:53: metric handled must be a JSON number, not the string \"10\""}},
		{"json bad syntax", "a.json", "[\n  {\"subject\": \"A1\", \"period\": \"2026-10\",, \"handled\": 1}\n]\n", []string{"2:41: invalid JSON"}},
		{"json not an array", "a.json", "{\"subject\": \"A1\"}\n", []string{"1:1: must be an array"}},
		{"ndjson bad value", "a.ndjson", "{\"subject\": \"A1\", \"period\": \"2026-10\", \"handled\": 1, \"pay\": 1}\n{\"subject\": \"A2\", \"period\": \"2026-10\", \"handled\": true, \"pay\": 1}\n", []string{"2:51: metric handled must be a number, not true"}},
		{"ndjson broken line", "a.ndjson", "{\"subject\": \"A1\", \"period\": \"2026-10\", \"handled\": 1, \"pay\": 1}\n{\"subject\": \n", []string{"2: invalid JSON"}},
	}
	p := inputTestPolicy(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.file, tt.content)
			outPath := filepath.Join(t.TempDir(), "out.ndjson")
			res, err := p.Eval(Input{Name: path}, Output{Path: outPath}, EvalOptions{Format: OutNDJSON})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Failed() {
				t.Fatal("bad input was accepted")
			}
			if _, err := os.Stat(outPath); !os.IsNotExist(err) {
				t.Error("output was written despite bad input")
			}
			if left, _ := filepath.Glob(filepath.Join(filepath.Dir(outPath), ".rubric-out-*")); len(left) > 0 {
				t.Errorf("temporary files left behind: %v", left)
			}
			var got []string
			for _, e := range res.Errors {
				got = append(got, e.Error())
			}
			for _, w := range tt.want {
				pos, frag, _ := strings.Cut(w, ": ")
				found := false
				for _, g := range got {
					if strings.HasPrefix(g, path+":"+pos+":") && strings.Contains(g, frag) {
						found = true
					}
				}
				if !found {
					t.Errorf("want %s:%s ... %q\n got %q", path, pos, frag, got)
				}
			}
		})
	}
}

func TestSkipInvalid(t *testing.T) {
	p := inputTestPolicy(t)
	path := writeFile(t, "a.csv", "subject,period,aht,handled,pay,extra\nA1,2026-10,280,10,100,x\nA2,2026-10,fast,10,100,y\nA3,2026-10,290,10,100,z\nA1,2026-10,1,1,1,w\n")
	rejects := filepath.Join(t.TempDir(), "rejects.csv")
	var out bytes.Buffer
	res, err := p.Eval(Input{Name: path}, Output{W: &out}, EvalOptions{Format: OutCSV, StreamOptions: StreamOptions{SkipInvalid: rejects}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() || res.Rejected != 2 || res.Evaluated != 2 {
		t.Fatalf("rejected %d, evaluated %d, failed %v", res.Rejected, res.Evaluated, res.Failed())
	}
	if n := strings.Count(out.String(), "\n"); n != 3 {
		t.Errorf("%d output lines, want header and 2 rows:\n%s", n, out.String())
	}
	b, err := os.ReadFile(rejects)
	if err != nil {
		t.Fatal(err)
	}
	rej := string(b)
	for _, want := range []string{"file,line,column,subject,period,reason,record", ",3,12,A2,2026-10,", "not a number", ",5,1,A1,2026-10,\"duplicate snapshot", "\"A2,2026-10,fast,10,100,y\""} {
		if !strings.Contains(rej, want) {
			t.Errorf("rejects file lacks %q:\n%s", want, rej)
		}
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], `unknown column "extra"`) {
		t.Errorf("warnings %q", res.Warnings)
	}
}

func TestInputFormatsAgree(t *testing.T) {
	p := inputTestPolicy(t)
	csvIn := writeFile(t, "a.csv", "subject,period,aht,handled,pay,level,remote,qa\nA1,2026-10,280,10,100.50,L1,true,\nA2,2026-10,,5,200,,false,2\n")
	jsonIn := writeFile(t, "a.json", `[{"subject":"A1","period":"2026-10","aht":280,"handled":10,"pay":"100.50","level":"L1","remote":true,"qa":null},
 {"subject":"A2","period":"2026-10","aht":null,"handled":5,"pay":200,"remote":false,"qa":2}]`)
	ndIn := writeFile(t, "a.jsonl", "{\"subject\":\"A1\",\"period\":\"2026-10\",\"aht\":280,\"handled\":10,\"pay\":100.50,\"level\":\"L1\",\"remote\":true}\n\n{\"subject\":\"A2\",\"period\":\"2026-10\",\"handled\":5,\"pay\":200,\"remote\":false,\"qa\":2}\n")
	var outs []string
	for _, in := range []string{csvIn, jsonIn, ndIn} {
		outs = append(outs, string(evalBytes(t, p, in, EvalOptions{Format: OutNDJSON})))
	}
	if outs[0] != outs[1] || outs[1] != outs[2] {
		t.Errorf("formats disagree:\n%s\n%s\n%s", outs[0], outs[1], outs[2])
	}
	// pay 100.50 × 0.01 is exactly 1.005, a tie that half_even rounds to 1.00
	// (binary floating point gave 1.0050000000000001 and paid 1.01).
	if !strings.Contains(outs[0], `"defaulted":["qa"]`) || !strings.Contains(outs[0], `"amount":"1.00"`) {
		t.Errorf("unexpected outcome: %s", outs[0])
	}
	// Standard input, read once.
	var out bytes.Buffer
	res, err := p.Eval(Input{Name: "-", Format: FormatCSV, Stdin: strings.NewReader("subject,period,handled,pay\nA1,2026-10,1,1\n")}, Output{W: &out}, EvalOptions{})
	if err != nil || res.Failed() || !strings.Contains(out.String(), `"subject":"A1"`) {
		t.Errorf("stdin: %v %v %s", err, res, out.String())
	}
}
