package evaluator

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
)

// dumpCEL renders a parsed CEL expression with every node's kind, value
// and source offset, to compare two parsers' trees.
func dumpCEL(b *strings.Builder, e celast.Expr, info *celast.SourceInfo) {
	off, _ := info.GetOffsetRange(e.ID())
	fmt.Fprintf(b, "(%d@%d", e.Kind(), off.Start)
	switch e.Kind() {
	case celast.LiteralKind:
		fmt.Fprintf(b, " %T %v", e.AsLiteral(), e.AsLiteral())
	case celast.IdentKind:
		fmt.Fprintf(b, " %s", e.AsIdent())
	case celast.SelectKind:
		s := e.AsSelect()
		fmt.Fprintf(b, " .%s test=%v ", s.FieldName(), s.IsTestOnly())
		dumpCEL(b, s.Operand(), info)
	case celast.CallKind:
		c := e.AsCall()
		fmt.Fprintf(b, " %s", c.FunctionName())
		if c.IsMemberFunction() {
			b.WriteString(" target=")
			dumpCEL(b, c.Target(), info)
		}
		for _, a := range c.Args() {
			dumpCEL(b, a, info)
		}
	case celast.ListKind:
		for _, el := range e.AsList().Elements() {
			dumpCEL(b, el, info)
		}
	case celast.MapKind:
		for _, en := range e.AsMap().Entries() {
			me := en.AsMapEntry()
			dumpCEL(b, me.Key(), info)
			dumpCEL(b, me.Value(), info)
		}
	case celast.ComprehensionKind:
		c := e.AsComprehension()
		fmt.Fprintf(b, " %s %s ", c.IterVar(), c.AccuVar())
		for _, x := range []celast.Expr{c.IterRange(), c.AccuInit(), c.LoopCondition(), c.LoopStep(), c.Result()} {
			dumpCEL(b, x, info)
		}
	}
	b.WriteString(")")
}

func celTree(a *cel.Ast) string {
	var b strings.Builder
	n := a.NativeRep()
	dumpCEL(&b, n.Expr(), n.SourceInfo())
	return b.String()
}

// TestPrattParsesAsANTLR: the Pratt parser, which parses CEL for
// compilation (prattParse) where the text is of the plain kinds policies
// are written in (prattSafe), gives the tree the environment's ANTLR
// parser gives, node for node and offset for offset, for every quoted
// string of the shipped policies and fixtures, thousands of random
// expressions and CEL's other syntax; and it refuses what ANTLR refuses,
// so that the error messages stay ANTLR's.
func TestPrattParsesAsANTLR(t *testing.T) {
	c := NewCEL().(*celCompiler)
	corpus := []string{
		`a.b.c`, `a[0]`, `a[b] + c["k"]`, `[1, 2, 3]`, `{"a": 1, "b": 2}`, `[]`, `{}`,
		`x.exists(y, y > 1)`, `x.all(y, y > 1)`, `x.exists_one(y, y > 1)`, `x.map(y, y * 2)`, `x.filter(y, y > 1)`,
		`x.map(y, y > 1, y * 2)`, `has(a.b)`, `a in [1, 2]`, `"abc".startsWith("a")`, `size(s) > 3`,
		`1u`, `0x1F`, `-0x1F`, `1e3`, `.5`, `1.5e-3`, `-1`, `-0`, `--1`, `-(1)`, `!!true`, `!-1`, `- -1`, `-1.0`, `-0.0`,
		`"a\"b"`, `'a\'b'`, `"\x41\u00e9\U0001F600\101"`, `r"raw\n"`, `"""triple "quoted" """`, `'''tri'''`, `b"bytes"`,
		`"é" + 'ü'`, `a ? b : c ? d : e`, `(a ? b : c) ? d : e`, `a || b && c`, `a && b || c`, `a < b == c`,
		`1 + 2 * 3 - 4 / 5 % 6`, `f(a, b)(c)`, `a.f(b).g(c)`, `null`, `true && false`, `dyn(1)`, `int(1.5)`,
		"a // a comment\n + b", "a\n+\tb", `a.b[0].c`, `m["k"].x`, `.a.b`, `f(.a) + x`, `[.a]`, `1 + .a`, `( .a )`, `x || .a.b`, `!.a`, `"s" + .a`, `(a).b`, `(a) . b`, `1 . a`, `2.5.a`, `a.?b`, `[?a]`, `{?"k": v}`,
		// refused by both
		`1.`, `007`, `a +`, `(a`, `a)`, `"unterminated`, `a..b`, `1 2`, `in`, `a.in`, `a ? b`, `a : b`, `{1 2}`,
		`[1,,2]`, `f(,)`, `a = b`, `a === b`, `a &&& b`, `'`, `"\q"`, `99999999999999999999`, `0x`, `1e`, `a.1`,
		`while`, `a.if`, `if`, `let x = 1`, `#`, `a @ b`, `$a`, "\x00", strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100),
		strings.Repeat("a + ", 2000) + "a",
	}
	for _, dir := range []string{"../policies", "../fixtures", "testdata"} {
		filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".hcl") {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range regexp.MustCompile(`"((?:[^"\\\n]|\\.)*)"`).FindAllStringSubmatch(string(b), -1) {
				corpus = append(corpus, strings.ReplaceAll(m[1], `\"`, `"`))
			}
			return nil
		})
	}
	g := exprGen{rand.New(rand.NewPCG(7, 8))}
	for range 3000 {
		corpus = append(corpus, g.num(4), g.bool(4), g.str(3))
	}
	// The same with a character of the plain kinds deleted, inserted or
	// replaced: mostly broken expressions, which both must refuse alike.
	const plain = "ab_019.e,()!<>=&|?:+-*/% \"'"
	for i := range 6000 {
		b := []byte(corpus[len(corpus)-1-i%9000])
		at := g.r.IntN(len(b) + 1)
		ch := plain[g.r.IntN(len(plain))]
		switch g.r.IntN(3) {
		case 0:
			if at < len(b) {
				b = append(b[:at], b[at+1:]...)
			}
		case 1:
			b = append(b[:at], append([]byte{ch}, b[at:]...)...)
		default:
			if at < len(b) {
				b[at] = ch
			}
		}
		corpus = append(corpus, string(b))
	}
	agreed, refused := 0, 0
	for _, src := range corpus {
		ref, iss := c.base.Parse(src)
		got := c.prattParse(src)
		switch {
		case iss != nil && iss.Err() != nil:
			refused++
			if got != nil {
				t.Errorf("%q: the Pratt parser takes what ANTLR refuses (%v)", src, iss.Err())
			}
		case got == nil:
			if prattSafe(src) { // the rest is left to ANTLR
				t.Errorf("%q: the Pratt parser refuses what ANTLR takes", src)
			}
		default:
			if a, b := celTree(got), celTree(ref); a != b {
				t.Errorf("%q:\npratt %s\nantlr %s", src, a, b)
			} else {
				agreed++
			}
		}
	}
	if agreed < 9000 || refused < 2000 {
		t.Errorf("%d of %d expressions parsed alike, %d refused by both: the corpus misses too much", agreed, len(corpus), refused)
	}
}

// FuzzPrattParsesAsANTLR: whatever the text, the Pratt parser does not
// panic, refuses what ANTLR refuses and otherwise gives ANTLR's tree.
func FuzzPrattParsesAsANTLR(f *testing.F) {
	for _, s := range []string{`a < 1 ? b : c`, `ratio(a, b) * 100`, `x.exists(y, y > 1)`, `"a\"b" + 'c'`, `-0.5e3`, `a.b.c[0]`, `!!a || b && c`, `{"k": [1, 2u]}`} {
		f.Add(s)
	}
	c := NewCEL().(*celCompiler)
	f.Fuzz(func(t *testing.T, src string) {
		ref, iss := c.base.Parse(src)
		got := c.prattParse(src)
		switch {
		case iss != nil && iss.Err() != nil:
			if got != nil {
				t.Fatalf("%q: the Pratt parser takes what ANTLR refuses (%v)", src, iss.Err())
			}
		case got != nil:
			if a, b := celTree(got), celTree(ref); a != b {
				t.Fatalf("%q:\npratt %s\nantlr %s", src, a, b)
			}
		}
	})
}

// TestWarmUpLeavesNoTrace: warming a CEL compiler up makes its Pratt
// parser and compiles nothing into its cache or its environments.
func TestWarmUpLeavesNoTrace(t *testing.T) {
	c, x := NewCEL(), NewExpr()
	defer CloseCaches(c, x)
	WarmUp(c, x)
	SettleCaches(c)
	cc := c.(*celCompiler)
	if cc.pratt == nil {
		t.Error("no Pratt parser after WarmUp")
	}
	if s := CompilerCacheStats(c); s.Hits != 0 || s.Misses != 0 {
		t.Errorf("cache used: %+v", s)
	}
	if len(cc.envs) != 0 {
		t.Errorf("%d environments made", len(cc.envs))
	}
}
