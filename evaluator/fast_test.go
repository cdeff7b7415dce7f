package evaluator

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/rules"
)

// fastScope declares numbers a b c d, strings s t and bools p q.
func fastScope(t *testing.T) *rules.Scope {
	t.Helper()
	src := `policy "t" {
  version  = "1"
  currency = "EUR"
}
metric "a" {}
metric "b" {}
metric "c" {}
metric "d" {}
metric "ratio" {}
attribute "s" { type = "string" }
attribute "t" { type = "string" }
attribute "p" { type = "bool" }
attribute "q" { type = "bool" }
`
	ast, diags := dsl.Parse([]dsl.Source{{Name: "t.hcl", Bytes: []byte(src)}})
	p, d2 := rules.Resolve(ast, NewCEL(), NewExpr())
	if diags = append(diags, d2...); diags.HasErrors() {
		t.Fatal(diags)
	}
	return p.Scope
}

// exprGen writes random expressions of the shapes fast programs take.
type exprGen struct{ r *rand.Rand }

func (g exprGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g exprGen) num(depth int) string {
	if depth <= 0 || g.r.IntN(4) == 0 {
		return g.pick("a", "b", "c", "d", "0", "1", "2", "90", "0.1", "2.5", "1e308")
	}
	n := func() string { return g.num(depth - 1) }
	switch g.r.IntN(9) {
	case 0, 1:
		return fmt.Sprintf("(%s %s %s)", n(), g.pick("+", "-", "*", "/"), n())
	case 2:
		return "-" + n()
	case 3:
		return fmt.Sprintf("ratio(%s, %s)", n(), n())
	case 4:
		return fmt.Sprintf("nps(%s, %s, %s)", n(), n(), n())
	case 5:
		return fmt.Sprintf("%s(%s, %s, %s)", g.pick("min", "max", "clamp"), n(), n(), n())
	case 6:
		return fmt.Sprintf("%s(%s)", g.pick("abs", "round", "min", "max"), n())
	case 7:
		return fmt.Sprintf("round(%s, %s)", n(), g.pick("0", "1", "2", "-1"))
	}
	return fmt.Sprintf("(%s ? %s : %s)", g.bool(depth-1), n(), n())
}

func (g exprGen) str(depth int) string {
	if depth <= 0 || g.r.IntN(3) > 0 {
		return g.pick("s", "t", "'a'", "''")
	}
	return fmt.Sprintf("(%s ? %s : %s)", g.bool(depth-1), g.str(depth-1), g.str(depth-1))
}

func (g exprGen) bool(depth int) string {
	if depth <= 0 || g.r.IntN(5) == 0 {
		return g.pick("p", "q", "true", "false")
	}
	d := depth - 1
	switch g.r.IntN(8) {
	case 0, 1:
		return fmt.Sprintf("(%s %s %s)", g.num(d), g.pick("<", "<=", ">", ">=", "==", "!="), g.num(d))
	case 2:
		return fmt.Sprintf("(%s %s %s)", g.str(d), g.pick("==", "!="), g.str(d))
	case 3:
		return fmt.Sprintf("(%s %s %s)", g.bool(d), g.pick("==", "!="), g.bool(d))
	case 4:
		return "!" + g.bool(d)
	case 5, 6:
		return fmt.Sprintf("(%s %s %s)", g.bool(d), g.pick("&&", "||"), g.bool(d))
	}
	return fmt.Sprintf("(%s ? %s : %s)", g.bool(d), g.bool(d), g.bool(d))
}

func (g exprGen) values(scope *rules.Scope) []Value {
	vals := make([]Value, scope.Len())
	nums := []float64{0, 1, -1, 2.5, 0.1, 3, 90, 1e308, -1e308, 1e-300, math.Copysign(0, -1)}
	for _, n := range []string{"a", "b", "c", "d"} {
		d, _ := scope.Lookup(n)
		vals[d.Slot] = Num(nums[g.r.IntN(len(nums))])
	}
	for _, n := range []string{"s", "t"} {
		d, _ := scope.Lookup(n)
		vals[d.Slot] = Str(g.pick("", "a", "b"))
	}
	for _, n := range []string{"p", "q"} {
		d, _ := scope.Lookup(n)
		vals[d.Slot] = Boolean(g.r.IntN(2) == 0)
	}
	return vals
}

func sameValue(a, b Value) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case Number:
		return math.Float64bits(a.Num) == math.Float64bits(b.Num) || math.IsNaN(a.Num) && math.IsNaN(b.Num)
	case Bool:
		return a.Bool == b.Bool
	}
	return a.Str == b.Str
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// fastCase is a compiled program of either language, its fast program and
// its interpreter.
type fastCase struct {
	fast      fastLink
	interpret func([]Value, *scratch) (Value, error)
}

func compileFast(t *testing.T, c rules.Compiler, scope *rules.Scope, src string, want rules.Type) fastCase {
	t.Helper()
	parsed, perrs := c.Parse(src)
	if perrs != nil {
		t.Fatalf("%s: %v", src, perrs)
	}
	prog, cerrs := c.Compile(parsed, scope, want)
	if cerrs != nil {
		t.Fatalf("%s: %v", src, cerrs)
	}
	switch p := prog.(type) {
	case *celProgram:
		return fastCase{p.fast, p.interpret}
	case *exprProgram:
		return fastCase{p.fast, p.interpret}
	}
	t.Fatalf("%s: a %T", src, prog)
	return fastCase{}
}

// TestFastMatchesInterpreters: on thousands of random expressions over
// values that make zeros, infinities and NaNs, the fast program gives
// exactly what the language's interpreter gives: the same value, bit for
// bit, or the same error (in CEL the same text; in expr, whose errors carry
// the position, the same division by zero, which is all the evaluator
// reads of them).
func TestFastMatchesInterpreters(t *testing.T) {
	scope := fastScope(t)
	for _, lang := range []struct {
		name    string
		c       rules.Compiler
		sameErr func(a, b error) bool
	}{
		{"cel", NewCEL(), func(a, b error) bool { return errText(a) == errText(b) }},
		{"expr", NewExpr(), func(a, b error) bool {
			if a == nil || b == nil {
				return a == b
			}
			return a == errDivZero && strings.Contains(b.Error(), errDivZero.Error())
		}},
	} {
		t.Run(lang.name, func(t *testing.T) {
			g := exprGen{rand.New(rand.NewPCG(1, 2))}
			s := newScratch()
			var compared, errs, fast int
			const n = 3000
			for i := 0; i < n; i++ {
				var src string
				var want rules.Type
				switch i % 3 {
				case 0:
					src, want = g.num(4), rules.TypeNumber
				case 1:
					src, want = g.bool(4), rules.TypeBool
				default:
					src, want = g.str(3), rules.TypeString
				}
				p := compileFast(t, lang.c, scope, src, want)
				if p.fast.prog == nil {
					if lang.name == "cel" {
						t.Fatalf("%s: no fast program", src)
					}
					continue // expr: integer arithmetic is left to expr
				}
				fast++
				for j := 0; j < 8; j++ {
					vals := g.values(scope)
					got, gerr := p.fast.eval(vals)
					if gerr == errSlow {
						t.Fatalf("%s: asks for the interpreter though every value has its declared kind", src)
					}
					ref, rerr := p.interpret(vals, s)
					if !lang.sameErr(gerr, rerr) || rerr == nil && !sameValue(got, ref) {
						t.Fatalf("%s over %v:\nfast        %v, %v\ninterpreter %v, %v", src, vals, got, gerr, ref, rerr)
					}
					compared++
					if rerr != nil {
						errs++
					}
				}
			}
			// The generator must reach the error paths and the fast
			// programs, or the test proves little.
			if errs < compared/50 || fast < n/2 {
				t.Errorf("%d of %d expressions fast, %d of %d evaluations failed: the generator misses too much", fast, n, errs, compared)
			}
		})
	}
}

// TestFastFallsBack: shapes a fast program does not take are left to the
// interpreter, and a value of another kind than declared sends the
// evaluation to the interpreter, which gives its own answer.
func TestFastFallsBack(t *testing.T) {
	scope := fastScope(t)
	c := NewCEL()
	for _, tc := range []struct {
		c    rules.Compiler
		srcs []string
	}{
		{c, []string{"s.startsWith('a')", "size(s) > 1", "[a, b].exists(x, x > 1)", "s < t", "s + t == 'ab'",
			"a in [1.0, 2.0]", "int(a) == int(b)", "a == 1.0 || s.endsWith(t)"}},
		{NewExpr(), []string{"s startsWith 'a'", "len(s) > 1", "s < t", "s + t == 'ab'", "a ** 2 > 1", "a in [1, 2]",
			"(p ? 1 : 2) * (q ? 3 : 4) > a", // integers multiplied: expr's own arithmetic
			"-(p ? 0 : 2.5) < a",            // an integer 0 negated is 0, not -0
			"max(-0.0, a) >= 0",             // a -0 constant may be read as 0
			"(a ?? b) > 1"}},
	} {
		for _, src := range tc.srcs {
			if p := compileFast(t, tc.c, scope, src, rules.TypeBool); p.fast.prog != nil {
				t.Errorf("%s %s: compiled to a fast program", tc.c.Language(), src)
			}
		}
	}

	parsed, _ := c.Parse("a + 1 > b")
	prog, cerrs := c.Compile(parsed, scope, rules.TypeBool)
	if cerrs != nil {
		t.Fatal(cerrs)
	}
	p := prog.(*celProgram)
	if p.fast.prog == nil {
		t.Fatal("a + 1 > b: no fast program")
	}
	vals := make([]Value, scope.Len())
	da, _ := scope.Lookup("a")
	db, _ := scope.Lookup("b")
	vals[da.Slot], vals[db.Slot] = Str("x"), Num(1)
	if _, err := p.fast.eval(vals); err != errSlow {
		t.Fatalf("a string where a number is declared: %v, want errSlow", err)
	}
	got, err := p.eval(vals, newScratch())
	ref, rerr := p.interpret(vals, newScratch())
	if errText(err) != errText(rerr) || !sameValue(got, ref) || err == nil {
		t.Errorf("eval = %v, %v; the interpreter gives %v, %v", got, err, ref, rerr)
	}
	if !strings.Contains(errText(err), "overload") {
		t.Logf("interpreter's error: %v", err)
	}
}

// TestFastNameOfAFunction: a metric may share a function's name ("ratio");
// expr renames it inside its environment, and the fast program reads the
// same slot.
func TestFastNameOfAFunction(t *testing.T) {
	scope := fastScope(t)
	vals := make([]Value, scope.Len())
	d, _ := scope.Lookup("ratio")
	vals[d.Slot] = Num(6)
	for _, c := range []rules.Compiler{NewCEL(), NewExpr()} {
		p := compileFast(t, c, scope, "ratio(ratio, 2) + ratio", rules.TypeNumber)
		if p.fast.prog == nil {
			t.Fatalf("%s: no fast program", c.Language())
		}
		got, err := p.fast.eval(vals)
		ref, rerr := p.interpret(vals, newScratch())
		if err != nil || rerr != nil || got.Num != 9 || !sameValue(got, ref) {
			t.Errorf("%s: fast %v, %v; interpreter %v, %v; want 9", c.Language(), got, err, ref, rerr)
		}
	}
}
