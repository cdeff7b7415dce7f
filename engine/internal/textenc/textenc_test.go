package textenc

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/evaluator"
)

// marshal is encoding/json's text for v, without HTML escaping (the
// hand-written encoder does not escape <, > and &; both are valid JSON).
func marshal(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func TestStrMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rcr", "\x00\x01\x1f\x7f", "Σ × é 日本", "bad \xff utf8", "sep \u2028 \u2029", "<html> & 'x'"} {
		t.Run(s, func(t *testing.T) {
			var w JSON
			w.Str(s)
			if want := marshal(t, s); string(w.B) != want {
				t.Errorf("got %s, want %s", w.B, want)
			}
		})
	}
}

func TestNumMatchesEncodingJSON(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 0.1, 1.5e-7, 1e-6, 123456789, 1e20, 1e21, 1.25e300, -3.75e-10, math.SmallestNonzeroFloat64, math.MaxFloat64} {
		var w JSON
		w.Num(f)
		if want := marshal(t, f); string(w.B) != want {
			t.Errorf("%v: got %s, want %s", f, w.B, want)
		}
	}
	// Against encoding/json for decimals of every length and scale, both
	// signs, floats of every magnitude, and the edges of the 'f' and 'e'
	// forms.
	rng := rand.New(rand.NewPCG(2, 15))
	vals := []float64{1e-6, 9.99999e-7, 1e15, 1e15 - 1, 999999999999999.9, 0.1 + 0.2, 1.0 / 3, 2.5e-6, 123456.7890123, 0.000123, 5e-324, math.Copysign(0, -1)}
	for range 200000 {
		n := rng.Int64N(1 << uint(rng.IntN(54)))
		k := rng.IntN(10)
		vals = append(vals, float64(n)/math.Pow10(k), math.Ldexp(rng.Float64(), rng.IntN(120)-60))
	}
	for _, f := range vals {
		for _, g := range []float64{f, -f} {
			var w JSON
			w.Num(g)
			if want := marshal(t, g); string(w.B) != want {
				t.Fatalf("%v: got %s, want %s", g, w.B, want)
			}
		}
	}
	for _, f := range []float64{math.Inf(1), math.NaN()} {
		var w JSON
		w.Num(f)
		if string(w.B) != "null" {
			t.Errorf("%v: got %s, want null", f, w.B)
		}
	}
}

// TestObjectMatchesEncodingJSON builds an object with keys, values, a
// list and steps, and checks it decodes to what encoding/json would give.
func TestObjectMatchesEncodingJSON(t *testing.T) {
	var w JSON
	w.Raw("{")
	w.Key("n")
	w.Value(evaluator.Value{Kind: evaluator.Number, Num: 2.5})
	w.Key("s")
	w.Value(evaluator.Value{Kind: evaluator.String, Str: "x\"y"})
	w.Key("b")
	w.Value(evaluator.Value{Kind: evaluator.Bool, Bool: true})
	w.Key("missing")
	w.Value(evaluator.Value{})
	w.Key("empty")
	w.StrOrNull("")
	w.Key("list")
	w.Strs([]string{"a", "b"})
	w.Key("steps")
	Steps(&w, []evaluator.Step{{Step: "formula", Expr: "a * 2", Inputs: []evaluator.Input{{Name: "a", Value: evaluator.Value{Kind: evaluator.Number, Num: 3}}}, Result: "6.00"}, {Step: "cap", Limit: "5.00", Result: "5.00"}})
	w.Raw("}")
	want := marshal(t, map[string]any{
		"n": 2.5, "s": "x\"y", "b": true, "missing": nil, "empty": nil, "list": []string{"a", "b"},
		"steps": []map[string]any{
			{"step": "formula", "expr": "a * 2", "inputs": map[string]any{"a": 3}, "result": "6.00"},
			{"step": "cap", "limit": "5.00", "result": "5.00"},
		},
	})
	var got, exp any
	if err := json.Unmarshal(w.B, &got); err != nil {
		t.Fatalf("%s is not JSON: %v", w.B, err)
	}
	json.Unmarshal([]byte(want), &exp)
	if marshal(t, got) != marshal(t, exp) {
		t.Errorf("got %s\nwant %s", w.B, want)
	}
}

func TestAppendFieldMatchesEncodingCSV(t *testing.T) {
	for _, f := range []string{"", "plain", "a,b", `say "hi"`, "line\nbreak", "cr\rx", " lead", "\tlead", "\u00a0nbsp", `\.`, "trail ", "ünï"} {
		var want bytes.Buffer
		w := csv.NewWriter(&want)
		w.Write([]string{f})
		w.Flush()
		if got := string(AppendField(nil, f)) + "\n"; got != want.String() {
			t.Errorf("%q: got %q, want %q", f, got, want.String())
		}
	}
}

func TestCellsAreFormulaSafe(t *testing.T) {
	for in, want := range map[string]string{"=1+1": "'=1+1", "+x": "'+x", "@SUM(1)": "'@SUM(1)", "-cmd": "'-cmd", "-": "'-", "-12.50": "-12.50", "plain": "plain", "\tx": "'\tx", "": ""} {
		if got := SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEqualDecimal(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{{"12.50", "12.5", true}, {"0", "-0.00", true}, {"1", "1.01", false}, {"x", "x", false}, {"", "", false}} {
		if got := EqualDecimal(c.a, c.b); got != c.want {
			t.Errorf("EqualDecimal(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

// TestStrMatchesEncodingJSONAtEveryOffset: the eight-bytes-at-a-time scan
// finds a byte that needs escaping or decoding wherever it falls in a word,
// for each kind of such byte, in strings of every length up to 40.
func TestStrMatchesEncodingJSONAtEveryOffset(t *testing.T) {
	specials := []string{"\"", "\\", "\x00", "\x1f", "\n", "\x7f", " ", "é", "\u2028", "\xff", "×"}
	for n := 0; n <= 40; n++ {
		for pos := 0; pos < n; pos++ {
			for _, sp := range specials {
				s := strings.Repeat("a", pos) + sp + strings.Repeat("b", n-pos-1)
				var w JSON
				w.Str(s)
				if want := marshal(t, s); string(w.B) != want {
					t.Fatalf("%q: got %s, want %s", s, w.B, want)
				}
			}
		}
	}
}

func BenchmarkStr(b *testing.B) {
	s := "eligible (tenure, no_autofail passed); score.quality = 1.027805006350969 reached tier met (×1); 328.574 × 1 = 328.574; × prorate 1 = 328.574; rounded half_even to 328.57 EUR"
	var w JSON
	for b.Loop() {
		w.B = w.B[:0]
		w.Str(s)
	}
}

type sentence string

func (s sentence) AppendWhy(b []byte) []byte { return append(b, s...) }

// TestWhyMatchesStr: a why sentence rendered in place is the same JSON
// string as Str gives, whether it needs escaping or not, and appends after
// what the writer holds.
func TestWhyMatchesStr(t *testing.T) {
	for _, s := range []string{"", "plain sentence of some length, 328.574 × 1 = 328.574", `quote " and \ backslash`, "tab\tnew\nline", "Σ × é 日本",
		"bad \xff utf8 after eight bytes", "sep \u2028 x", "a long plain ascii sentence that runs past several words of eight bytes"} {
		w := JSON{B: []byte(`{"why":`)}
		w.Why(sentence(s))
		var want JSON
		want.Str(s)
		if got := string(w.B); got != `{"why":`+string(want.B) {
			t.Errorf("%q: got %s, want %s", s, got, want.B)
		}
	}
}
