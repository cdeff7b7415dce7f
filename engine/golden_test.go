package engine

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
)

var update = flag.Bool("update", false, "rewrite golden files in ../fixtures")

// examples lists the shipped example policies that have fixture data.
func examples(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob("../policies/*")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range dirs {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			if _, err := os.Stat(filepath.Join("../fixtures", filepath.Base(d), "snapshots.csv")); err == nil {
				out = append(out, filepath.Base(d))
			}
		}
	}
	if len(out) < 3 {
		t.Fatalf("expected three example policies with fixtures, found %v", out)
	}
	return out
}

func evalBytes(t *testing.T, p *Policy, input string, opts EvalOptions) []byte {
	t.Helper()
	var out bytes.Buffer
	res, err := p.Eval(Input{Name: input}, Output{W: &out}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() {
		t.Fatalf("bad input: %v", res.Errors)
	}
	return out.Bytes()
}

func mustLoad(t *testing.T, dir string) *Policy {
	t.Helper()
	p, diags, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

// TestGolden evaluates every example policy on its fixture data and
// compares the outcomes with the golden file (go test -update rewrites it).
func TestGolden(t *testing.T) {
	for _, name := range examples(t) {
		t.Run(name, func(t *testing.T) {
			p := mustLoad(t, filepath.Join("../policies", name))
			got := evalBytes(t, p, filepath.Join("../fixtures", name, "snapshots.csv"), EvalOptions{Format: OutNDJSON})
			golden := filepath.Join("../fixtures", name, "expected.ndjson")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./engine -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
				for i := 0; i < len(gl) && i < len(wl); i++ {
					if gl[i] != wl[i] {
						t.Fatalf("line %d differs:\n got %s\nwant %s", i+1, gl[i], wl[i])
					}
				}
				t.Fatalf("got %d lines, want %d", len(gl), len(wl))
			}
		})
	}
}

var digestRE = regexp.MustCompile(`sha256:[0-9a-f]{64}`)

// TestLanguagesAgree runs every example policy under CEL and under expr and
// requires identical outcomes (the digest aside: the text differs).
func TestLanguagesAgree(t *testing.T) {
	for _, name := range examples(t) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("../policies", name)
			srcs, err := dsl.ReadSources(dir)
			if err != nil {
				t.Fatal(err)
			}
			input := filepath.Join("../fixtures", name, "snapshots.csv")
			var outs [2][]byte
			for i, lang := range []string{"cel", "expr"} {
				p, diags := LoadSources(dir, withLanguage(t, srcs, lang))
				if diags.HasErrors() {
					t.Fatalf("%s: %v", lang, diags)
				}
				if p.Rules().Language.String() != lang {
					t.Fatalf("language %s, want %s", p.Rules().Language, lang)
				}
				outs[i] = digestRE.ReplaceAll(evalBytes(t, p, input, EvalOptions{Format: OutNDJSON}), []byte("sha256:-"))
			}
			if !bytes.Equal(outs[0], outs[1]) {
				a, b := strings.Split(string(outs[0]), "\n"), strings.Split(string(outs[1]), "\n")
				for i := range a {
					if i < len(b) && a[i] != b[i] {
						t.Fatalf("cel and expr differ at line %d:\n cel %s\nexpr %s", i+1, a[i], b[i])
					}
				}
				t.Fatal("cel and expr outputs differ in length")
			}
		})
	}
}

// TestDeterministic evaluates twice, with one worker and with many, in
// every output format, and requires byte-identical output.
func TestDeterministic(t *testing.T) {
	for _, name := range examples(t) {
		p := mustLoad(t, filepath.Join("../policies", name))
		input := filepath.Join("../fixtures", name, "snapshots.csv")
		for _, format := range []string{OutNDJSON, OutJSON, OutCSV, OutTable} {
			one := evalBytes(t, p, input, EvalOptions{Format: format, StreamOptions: StreamOptions{Workers: 1}})
			many := evalBytes(t, p, input, EvalOptions{Format: format, StreamOptions: StreamOptions{Workers: 8}})
			again := evalBytes(t, p, input, EvalOptions{Format: format, StreamOptions: StreamOptions{Workers: 8}})
			if !bytes.Equal(one, many) || !bytes.Equal(many, again) {
				t.Errorf("%s %s: output differs between runs", name, format)
			}
			if len(one) == 0 {
				t.Errorf("%s %s: empty output", name, format)
			}
		}
	}
}
