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

// TestFastMatchesCEL: on thousands of random expressions over values that
// make zeros, infinities and NaNs, the fast program gives exactly what
// CEL's interpreter gives: the same value, bit for bit, or the same error.
func TestFastMatchesCEL(t *testing.T) {
	scope := fastScope(t)
	c := NewCEL()
	g := exprGen{rand.New(rand.NewPCG(1, 2))}
	s := newScratch()
	var compared, errs int
	for i := 0; i < 3000; i++ {
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
		parsed, perrs := c.Parse(src)
		if perrs != nil {
			t.Fatalf("%s: %v", src, perrs)
		}
		prog, cerrs := c.Compile(parsed, scope, want)
		if cerrs != nil {
			t.Fatalf("%s: %v", src, cerrs)
		}
		p := prog.(*celProgram)
		if p.fast == nil {
			t.Fatalf("%s: no fast program", src)
		}
		for j := 0; j < 8; j++ {
			vals := g.values(scope)
			got, gerr := p.fast.eval(vals, p.slots)
			if gerr == errSlow {
				t.Fatalf("%s: asks for the interpreter though every value has its declared kind", src)
			}
			ref, rerr := p.interpret(vals, s)
			if errText(gerr) != errText(rerr) || rerr == nil && !sameValue(got, ref) {
				t.Fatalf("%s over %v:\nfast        %v, %v\ninterpreter %v, %v", src, vals, got, gerr, ref, rerr)
			}
			compared++
			if rerr != nil {
				errs++
			}
		}
	}
	// The generator must reach the error paths, or the test proves little.
	if errs < compared/50 {
		t.Errorf("only %d of %d evaluations failed: the generator misses the error paths", errs, compared)
	}
}

// TestFastFallsBack: shapes a fast program does not take are left to the
// interpreter, and a value of another kind than declared sends the
// evaluation to the interpreter, which gives its own answer.
func TestFastFallsBack(t *testing.T) {
	scope := fastScope(t)
	c := NewCEL()
	for _, src := range []string{
		"s.startsWith('a')", "size(s) > 1", "[a, b].exists(x, x > 1)", "s < t", "s + t == 'ab'",
		"a in [1.0, 2.0]", "int(a) == 1", "has(a.b)",
	} {
		want := rules.TypeBool
		parsed, perrs := c.Parse(src)
		if perrs != nil {
			continue // refused at parsing: nothing to fall back from
		}
		prog, cerrs := c.Compile(parsed, scope, want)
		if cerrs != nil {
			continue
		}
		if prog.(*celProgram).fast != nil {
			t.Errorf("%s: compiled to a fast program", src)
		}
	}

	parsed, _ := c.Parse("a + 1 > b")
	prog, cerrs := c.Compile(parsed, scope, rules.TypeBool)
	if cerrs != nil {
		t.Fatal(cerrs)
	}
	p := prog.(*celProgram)
	vals := make([]Value, scope.Len())
	da, _ := scope.Lookup("a")
	db, _ := scope.Lookup("b")
	vals[da.Slot], vals[db.Slot] = Str("x"), Num(1)
	if _, err := p.fast.eval(vals, p.slots); err != errSlow {
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
