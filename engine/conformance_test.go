package engine

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
)

// conformanceDir holds the worked examples of SPEC.md (copied from
// shared/conformance, computed independently of rubric).
const conformanceDir = "../fixtures/conformance"

// withLanguage returns the policy sources with language set to lang.
func withLanguage(t *testing.T, srcs []dsl.Source, lang string) []dsl.Source {
	t.Helper()
	out := make([]dsl.Source, len(srcs))
	for i, s := range srcs {
		b := string(s.Bytes)
		if idx := strings.Index(b, "policy \""); idx >= 0 {
			brace := strings.Index(b[idx:], "{") + idx
			b = b[:brace+1] + "\n  language = \"" + lang + "\"" + b[brace+1:]
			b = removeLanguageLine(b, brace)
		}
		out[i] = dsl.Source{Name: s.Name, Bytes: []byte(b)}
	}
	return out
}

// removeLanguageLine drops a language line the policy already had, after
// the one inserted at the brace.
func removeLanguageLine(b string, brace int) string {
	lines := strings.Split(b, "\n")
	seen := false
	out := lines[:0]
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "language") && strings.Contains(l, "=") {
			if seen {
				continue
			}
			seen = true
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

func evalToMaps(t *testing.T, p *Policy, input string) []map[string]any {
	t.Helper()
	var out bytes.Buffer
	res, err := p.Eval(Input{Name: input}, Output{W: &out}, EvalOptions{Format: OutNDJSON})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() {
		t.Fatalf("bad input: %v", res.Errors)
	}
	var rows []map[string]any
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, m)
	}
	return rows
}

func TestConformance(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(conformanceDir, "*"))
	ran := 0
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		for _, lang := range []string{"cel", "expr"} {
			t.Run(filepath.Base(dir)+"/"+lang, func(t *testing.T) {
				srcs, err := dsl.ReadSources(filepath.Join(dir, "policy.hcl"))
				if err != nil {
					t.Fatal(err)
				}
				p, diags := LoadSources(dir, withLanguage(t, srcs, lang))
				if diags.HasErrors() {
					t.Fatal(diags)
				}
				if got := p.Rules().Language.String(); got != lang {
					t.Fatalf("language %s, want %s", got, lang)
				}
				got := evalToMaps(t, p, filepath.Join(dir, "snapshots.csv"))
				want := readExpected(t, filepath.Join(dir, "expected.ndjson"))
				if len(got) != len(want) {
					t.Fatalf("%d outcomes, want %d", len(got), len(want))
				}
				for i := range want {
					compareSubset(t, want[i]["subject"].(string)+" ("+want[i]["note"].(string)+")", want[i], got[i])
				}
				ran++
			})
		}
	}
	if ran == 0 {
		t.Skip("no conformance examples beside the project")
	}
}

func readExpected(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// compareSubset checks every field of want (except note) against got:
// numbers within 1e-9, a band of "" or null alike, everything else equal.
func compareSubset(t *testing.T, where string, want, got map[string]any) {
	t.Helper()
	var walk func(path string, w, g any)
	walk = func(path string, w, g any) {
		switch wv := w.(type) {
		case map[string]any:
			gm, ok := g.(map[string]any)
			if !ok {
				t.Errorf("%s: %s is %v, want an object", where, path, g)
				return
			}
			for k, v := range wv {
				if path == "" && k == "note" {
					continue
				}
				walk(path+"."+k, v, gm[k])
			}
		case float64:
			gf, ok := g.(float64)
			if !ok || math.Abs(gf-wv) > 1e-9 {
				t.Errorf("%s: %s = %v, want %v", where, path, g, wv)
			}
		case nil:
			if g != nil && !(strings.HasSuffix(path, ".band") && g == "") {
				t.Errorf("%s: %s = %v, want null", where, path, g)
			}
		default:
			if strings.HasSuffix(path, ".band") && wv == "" && g == nil {
				return
			}
			if g != w {
				t.Errorf("%s: %s = %v, want %v", where, path, g, w)
			}
		}
	}
	walk("", want, got)
}
