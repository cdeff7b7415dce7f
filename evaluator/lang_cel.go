package evaluator

import (
	"fmt"
	"math"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"
	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/rules"
)

// Limits on expressions, in both languages.
const (
	maxExprRunes = 4096   // source size
	maxExprNodes = 400    // syntax tree nodes
	celCostLimit = 100000 // estimated cost units of one evaluation
	maxVariadic  = 12     // arguments of min and max
)

// celCompiler compiles CEL. Integer literals become doubles before type
// checking, so "tickets - 1200" and "aht <= 300" need no ".0".
type celCompiler struct {
	base  *cel.Env
	mu    sync.Mutex
	envs  map[string]*celEnv // by scope fingerprint
	cache *programCache
}

type celEnv struct {
	env *cel.Env
}

// NewCEL returns the CEL compiler. It is safe for concurrent use.
func NewCEL() rules.Compiler {
	base, err := cel.NewEnv(append(celFunctions(),
		cel.ParserExpressionSizeLimit(maxExprRunes),
		cel.ParserRecursionLimit(64),
		cel.CrossTypeNumericComparisons(true),
	)...)
	if err != nil {
		panic("rubric: CEL function library: " + err.Error()) // a bug in this file, not user input
	}
	return &celCompiler{base: base, envs: map[string]*celEnv{}, cache: newProgramCache(1 << 14)}
}

func (c *celCompiler) Language() rules.Language { return rules.CEL }

type celParsed struct {
	src  string
	ast  *cel.Ast // nil when the refs came from the cache: parse again to compile
	refs []rules.Ref
}

func (p *celParsed) Refs() []rules.Ref { return p.refs }

func (c *celCompiler) Parse(src string) (rules.Parsed, []rules.ExprError) {
	return cachedParse(c.cache, "cel\x00parse\x00"+src, func() (*celParsed, []rules.ExprError) { return c.parse(src) },
		func(refs []rules.Ref) *celParsed { return &celParsed{src: src, refs: refs} })
}

func (c *celCompiler) parse(src string) (*celParsed, []rules.ExprError) {
	a, iss := c.base.Parse(src)
	if iss != nil && iss.Err() != nil {
		return nil, celIssues(src, iss)
	}
	native := a.NativeRep()
	w := &celWalker{info: native.SourceInfo(), fac: celast.NewExprFactory()}
	w.walk(native.Expr(), nil)
	if w.nodes > maxExprNodes {
		return nil, []rules.ExprError{{Offset: 0, Length: len([]rune(src)), Message: fmt.Sprintf("expression is too large (%d nodes; the limit is %d)", w.nodes, maxExprNodes)}}
	}
	return &celParsed{src: src, ast: a, refs: w.refs}, nil
}

func (c *celCompiler) env(scope *rules.Scope) (*celEnv, error) {
	fp := scope.FingerprintHash()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.envs[fp]; ok {
		return e, nil
	}
	if len(c.envs) >= 64 { // bounded: environments are large
		clear(c.envs)
	}
	opts := make([]cel.EnvOption, 0, len(scope.Decls))
	for _, d := range scope.Decls {
		opts = append(opts, cel.Variable(d.Name, celType(d.Type)))
	}
	env, err := c.base.Extend(opts...)
	if err != nil {
		return nil, err
	}
	e := &celEnv{env: env}
	c.envs[fp] = e
	return e, nil
}

func celType(t rules.Type) *cel.Type {
	switch t {
	case rules.TypeString:
		return cel.StringType
	case rules.TypeBool:
		return cel.BoolType
	}
	return cel.DoubleType
}

func (c *celCompiler) Compile(p rules.Parsed, scope *rules.Scope, want rules.Type) (rules.Program, []rules.ExprError) {
	cp := p.(*celParsed)
	key := "cel\x00" + scope.FingerprintHash() + "\x00" + want.String() + "\x00" + cp.src
	cc, ok := c.cache.get(key)
	if !ok {
		prg, fast, errs := c.compile(cp, scope, want)
		if errs != nil {
			return nil, errs
		}
		cc = &celCompiled{prg: prg, fast: fast}
		c.cache.set(key, cc)
	}
	compiled := cc.(*celCompiled)
	out := &celProgram{prg: compiled.prg, refs: resolveSlots(cp.refs, scope, celName), want: want}
	if compiled.fast != nil {
		if slots, ok := compiled.fast.link(out.refs); ok {
			out.fast, out.slots = compiled.fast, slots
		}
	}
	return out, nil
}

// celCompiled is what the program cache holds for a CEL expression.
type celCompiled struct {
	prg  cel.Program
	fast *fastProg // nil: the expression is not of a fast shape
}

func (c *celCompiler) compile(cp *celParsed, scope *rules.Scope, want rules.Type) (cel.Program, *fastProg, []rules.ExprError) {
	if cp.ast == nil {
		fresh, errs := c.parse(cp.src)
		if errs != nil {
			return nil, nil, errs
		}
		cp = fresh
	}
	e, err := c.env(scope)
	if err != nil {
		return nil, nil, []rules.ExprError{{Message: err.Error()}}
	}
	checked, iss := e.env.Check(cp.ast)
	if iss != nil && iss.Err() != nil {
		return nil, nil, celIssues(cp.src, iss)
	}
	out := checked.OutputType()
	if msg := resultTypeError(want, celTypeName(out)); msg != "" && out != cel.DynType {
		return nil, nil, []rules.ExprError{{Offset: 0, Length: len([]rune(cp.src)), Message: msg}}
	}
	// The cost of an expression is bounded at validation: every variable
	// is a scalar, so the static estimate is a true bound, and evaluation
	// needs no cost tracker.
	est, err := e.env.EstimateCost(checked, zeroCosts{})
	if err != nil {
		return nil, nil, []rules.ExprError{{Length: len([]rune(cp.src)), Message: "cannot bound the cost of this expression: " + err.Error()}}
	}
	if est.Max > celCostLimit {
		return nil, nil, []rules.ExprError{{Length: len([]rune(cp.src)), Message: fmt.Sprintf("expression is too costly to evaluate for every snapshot (it could take up to %d steps; the limit is %d): simplify it, or split it into derived metrics", est.Max, celCostLimit)}}
	}
	prg, err := e.env.Program(checked, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, nil, []rules.ExprError{{Message: err.Error()}}
	}
	fast, _ := celFast(cp.ast.NativeRep().Expr(), scope)
	return prg, fast, nil
}

func celName(n string) string { return n }

// zeroCosts is the cost estimator for rubric's environment: variables are
// scalars (no sizes to estimate) and functions are constant-time.
type zeroCosts struct{}

func (zeroCosts) EstimateSize(element cost.AstNode) *cost.SizeEstimate {
	// A string variable is an input cell, at most MaxStringBytes long:
	// without the bound, CEL estimates name.contains('zz') as unbounded.
	if len(element.Path()) == 1 && element.Type() != nil && element.Type().Kind() == types.StringKind {
		return &cost.SizeEstimate{Min: 0, Max: MaxStringBytes}
	}
	return nil
}

// MaxStringBytes is the longest string value an input may hold.
const MaxStringBytes = 4096

func (zeroCosts) EstimateCallCost(function, overloadID string, target *cost.AstNode, args []cost.AstNode) *cost.CallEstimate {
	return nil
}

func celTypeName(t *cel.Type) string {
	switch t {
	case cel.DoubleType, cel.IntType, cel.UintType:
		return "number"
	case cel.BoolType:
		return "bool"
	case cel.StringType:
		return "string"
	}
	return t.String()
}

// resultTypeError says why a result type is not the wanted one, or "".
func resultTypeError(want rules.Type, got string) string {
	switch {
	case want == rules.TypeBool && got != "bool":
		return fmt.Sprintf("must be a condition (true or false), but this expression gives a %s", got)
	case want == rules.TypeNumber && got != "number":
		return fmt.Sprintf("must give a number, but this expression gives a %s", got)
	}
	return ""
}

func celIssues(src string, iss *cel.Issues) []rules.ExprError {
	s := common.NewTextSource(src)
	var out []rules.ExprError
	for _, e := range iss.Errors() {
		off, ok := s.LocationOffset(e.Location)
		if !ok {
			off = 0
		}
		out = append(out, rules.ExprError{Offset: int(off), Length: 1, Message: celMessage(friendly(src, e.Message))})
	}
	return out
}

// celMessage rewords CEL's messages where they speak of its types.
func celMessage(m string) string {
	m = strings.ReplaceAll(m, "'double'", "'number'")
	return m
}

// celWalker collects references (maximal chains of selects on an
// identifier), turns integer literals into doubles, and counts nodes.
type celWalker struct {
	info  *celast.SourceInfo
	fac   celast.ExprFactory
	refs  []rules.Ref
	nodes int
}

func celChain(e celast.Expr) (string, int64, bool) {
	switch e.Kind() {
	case celast.IdentKind:
		return e.AsIdent(), e.ID(), true
	case celast.SelectKind:
		s := e.AsSelect()
		if s.IsTestOnly() {
			return "", 0, false
		}
		base, id, ok := celChain(s.Operand())
		if !ok {
			return "", 0, false
		}
		return base + "." + s.FieldName(), id, true
	}
	return "", 0, false
}

func (w *celWalker) walk(e celast.Expr, bound map[string]bool) {
	if e == nil {
		return
	}
	w.nodes++
	if name, rootID, ok := celChain(e); ok {
		root := name
		if i := strings.IndexByte(name, '.'); i >= 0 {
			root = name[:i]
		}
		if !bound[root] {
			off := 0
			if r, ok := w.info.GetOffsetRange(rootID); ok {
				off = int(r.Start)
			}
			w.refs = append(w.refs, rules.Ref{Name: name, Offset: off, Length: len([]rune(name))})
		}
		return
	}
	switch e.Kind() {
	case celast.LiteralKind:
		switch v := e.AsLiteral().(type) {
		case types.Int:
			e.SetKindCase(w.fac.NewLiteral(e.ID(), types.Double(float64(v))))
		case types.Uint:
			e.SetKindCase(w.fac.NewLiteral(e.ID(), types.Double(float64(v))))
		}
	case celast.SelectKind:
		w.walk(e.AsSelect().Operand(), bound)
	case celast.CallKind:
		c := e.AsCall()
		if c.IsMemberFunction() {
			w.walk(c.Target(), bound)
		}
		for _, a := range c.Args() {
			w.walk(a, bound)
		}
	case celast.ListKind:
		for _, el := range e.AsList().Elements() {
			w.walk(el, bound)
		}
	case celast.MapKind:
		for _, en := range e.AsMap().Entries() {
			me := en.AsMapEntry()
			w.walk(me.Key(), bound)
			w.walk(me.Value(), bound)
		}
	case celast.StructKind:
		for _, f := range e.AsStruct().Fields() {
			w.walk(f.AsStructField().Value(), bound)
		}
	case celast.ComprehensionKind:
		c := e.AsComprehension()
		w.walk(c.IterRange(), bound)
		inner := map[string]bool{c.IterVar(): true, c.AccuVar(): true}
		if c.HasIterVar2() {
			inner[c.IterVar2()] = true
		}
		for k := range bound {
			inner[k] = true
		}
		w.walk(c.AccuInit(), inner)
		w.walk(c.LoopCondition(), inner)
		w.walk(c.LoopStep(), inner)
		w.walk(c.Result(), inner)
	}
}

// celProgram runs a compiled CEL expression over a snapshot's values.
type celProgram struct {
	prg   cel.Program
	refs  []slotRef
	want  rules.Type
	fast  *fastProg // nil: the interpreter runs
	slots []int     // fast's names' slots
}

// celActivation gives CEL the values of the names one expression uses:
// usually one to three, so a scan beats a map.
type celActivation struct {
	vals []Value
	refs []slotRef
	// Boxed values by slot, valid while gen[slot] == cur: one evaluation
	// boxes each value once, however many expressions use it.
	boxed []ref.Val
	gen   []uint32
	cur   uint32
}

// begin starts a new evaluation over n slots.
func (a *celActivation) begin(n int) {
	if len(a.gen) < n {
		a.boxed, a.gen = make([]ref.Val, n), make([]uint32, n)
	}
	a.cur++
	if a.cur == 0 { // wrapped: forget every stamp
		clear(a.gen)
		a.cur = 1
	}
}

func (a *celActivation) ResolveName(name string) (any, bool) {
	i := -1
	for _, r := range a.refs {
		if r.name == name {
			i = r.slot
			break
		}
	}
	if i < 0 {
		return nil, false
	}
	if i < len(a.gen) && a.gen[i] == a.cur {
		return a.boxed[i], true
	}
	var out ref.Val
	v := a.vals[i]
	switch v.Kind {
	case Number:
		out = types.Double(v.Num)
	case String:
		out = types.String(v.Str)
	case Bool:
		out = types.Bool(v.Bool)
	default:
		return nil, false
	}
	if i < len(a.gen) {
		a.boxed[i], a.gen[i] = out, a.cur
	}
	return out, true
}

func (a *celActivation) Parent() interpreter.Activation { return nil }

func (p *celProgram) eval(vals []Value, s *scratch) (Value, error) {
	if p.fast != nil {
		if v, err := p.fast.eval(vals, p.slots); err != errSlow {
			return v, err
		}
	}
	return p.interpret(vals, s)
}

// interpret runs the expression in CEL's interpreter.
func (p *celProgram) interpret(vals []Value, s *scratch) (Value, error) {
	s.celAct.vals, s.celAct.refs = vals, p.refs
	out, _, err := p.prg.Eval(&s.celAct)
	if err != nil {
		return Value{}, err
	}
	switch v := out.(type) {
	case types.Double:
		return Num(float64(v)), nil
	case types.Int:
		return Num(float64(v)), nil
	case types.Uint:
		return Num(float64(v)), nil
	case types.Bool:
		return Boolean(bool(v)), nil
	case types.String:
		return Str(string(v)), nil
	}
	return Value{}, fmt.Errorf("unexpected result of type %s", out.Type())
}

// celFunctions declares the shared function library for CEL.
func celFunctions() []cel.EnvOption {
	d := cel.DoubleType
	unary := func(f func(float64) float64) cel.OverloadOpt {
		return cel.UnaryBinding(func(a ref.Val) ref.Val { return types.Double(f(float64(a.(types.Double)))) })
	}
	variadic := func(f func(...float64) float64) cel.OverloadOpt {
		return cel.FunctionBinding(func(args ...ref.Val) ref.Val {
			xs := make([]float64, len(args))
			for i, a := range args {
				xs[i] = float64(a.(types.Double))
			}
			return types.Double(f(xs...))
		})
	}
	withErr := func(f func(...float64) (float64, error)) cel.OverloadOpt {
		return cel.FunctionBinding(func(args ...ref.Val) ref.Val {
			xs := make([]float64, len(args))
			for i, a := range args {
				xs[i] = float64(a.(types.Double))
			}
			r, err := f(xs...)
			if err != nil {
				return types.WrapErr(err)
			}
			return types.Double(r)
		})
	}
	var minO, maxO []cel.FunctionOpt
	for n := 1; n <= maxVariadic; n++ {
		args := make([]*cel.Type, n)
		for i := range args {
			args[i] = d
		}
		minO = append(minO, cel.Overload(fmt.Sprintf("rubric_min_%d", n), args, d, variadic(fnMin)))
		maxO = append(maxO, cel.Overload(fmt.Sprintf("rubric_max_%d", n), args, d, variadic(fnMax)))
	}
	return []cel.EnvOption{
		cel.Function("min", minO...),
		cel.Function("max", maxO...),
		cel.Function("clamp", cel.Overload("rubric_clamp", []*cel.Type{d, d, d}, d,
			variadic(func(x ...float64) float64 { return fnClamp(x[0], x[1], x[2]) }))),
		cel.Function("abs", cel.Overload("rubric_abs", []*cel.Type{d}, d, unary(math.Abs))),
		cel.Function("round",
			cel.Overload("rubric_round_1", []*cel.Type{d}, d, unary(func(x float64) float64 { return fnRound(x, 0) })),
			cel.Overload("rubric_round_2", []*cel.Type{d, d}, d, variadic(func(x ...float64) float64 { return fnRound(x[0], x[1]) }))),
		cel.Function("ratio", cel.Overload("rubric_ratio", []*cel.Type{d, d}, d,
			withErr(func(x ...float64) (float64, error) { return fnRatio(x[0], x[1]) }))),
		cel.Function("nps", cel.Overload("rubric_nps", []*cel.Type{d, d, d}, d,
			withErr(func(x ...float64) (float64, error) { return fnNPS(x[0], x[1], x[2]) }))),
	}
}

// CompileDecimal translates a checked-valid CEL amount expression into a
// decimal program.
func (c *celCompiler) CompileDecimal(p rules.Parsed, scope *rules.Scope) (rules.Program, []rules.ExprError) {
	cp := p.(*celParsed)
	a := cp.ast
	if a == nil {
		fresh, errs := c.parse(cp.src)
		if errs != nil {
			return nil, errs
		}
		a = fresh.ast
	}
	native := a.NativeRep()
	b := celDecimal{scope: scope, info: native.SourceInfo()}
	root, err := b.build(native.Expr())
	if err != nil {
		off := 0
		if r, ok := b.info.GetOffsetRange(b.at); ok {
			off = int(r.Start)
		}
		return nil, []rules.ExprError{{Offset: off, Length: 1, Message: err.Error()}}
	}
	return &decimalProgram{root: root}, nil
}

type celDecimal struct {
	scope *rules.Scope
	info  *celast.SourceInfo
	at    int64 // the node an error is about
}

var celOperators = map[string]dop{
	"_+_": dAdd, "_-_": dSub, "_*_": dMul, "_/_": dDiv, "_%_": dRem, "-_": dNeg, "!_": dNot,
	"_&&_": dAnd, "_||_": dOr, "_?_:_": dCond,
	"_==_": dEq, "_!=_": dNe, "_<_": dLt, "_<=_": dLe, "_>_": dGt, "_>=_": dGe,
}

func (b *celDecimal) build(e celast.Expr) (*dnode, error) {
	b.at = e.ID()
	if name, _, ok := celChain(e); ok {
		return slotNode(name, b.scope)
	}
	switch e.Kind() {
	case celast.LiteralKind:
		switch v := e.AsLiteral().(type) {
		case types.Double:
			return constNum(float64(v))
		case types.Int:
			return &dnode{op: dConst, val: num(apd.New(int64(v), 0))}, nil
		case types.Uint:
			return constNum(float64(v))
		case types.String:
			return &dnode{op: dConst, val: dval{kind: String, s: string(v)}}, nil
		case types.Bool:
			return &dnode{op: dConst, val: dval{kind: Bool, b: bool(v)}}, nil
		}
		return nil, errUnsupported{"this literal"}
	case celast.CallKind:
		call := e.AsCall()
		if call.IsMemberFunction() {
			return nil, errUnsupported{"the function ." + call.FunctionName() + "()"}
		}
		op, ok := celOperators[call.FunctionName()]
		if !ok {
			op, ok = libraryOps[call.FunctionName()]
			if !ok {
				return nil, errUnsupported{"the function " + call.FunctionName() + "()"}
			}
			if err := checkArity(op, len(call.Args())); err != nil {
				return nil, err
			}
		}
		n := &dnode{op: op}
		for _, a := range call.Args() {
			x, err := b.build(a)
			if err != nil {
				return nil, err
			}
			n.args = append(n.args, x)
		}
		return n, nil
	case celast.ListKind:
		return nil, errUnsupported{"a list"}
	case celast.MapKind, celast.StructKind:
		return nil, errUnsupported{"a map"}
	case celast.ComprehensionKind:
		return nil, errUnsupported{"a macro (all, exists, map, filter)"}
	}
	return nil, errUnsupported{"this construct"}
}

// celFast compiles a checked CEL expression of the common shapes to a
// fast program (fast.go); false when it uses anything else.
func celFast(e celast.Expr, scope *rules.Scope) (*fastProg, bool) {
	b := &fastBuilder{}
	root, ok := b.celNode(e, scope)
	if !ok {
		return nil, false
	}
	return &fastProg{root: root, names: b.names}, true
}

func (b *fastBuilder) celNode(e celast.Expr, scope *rules.Scope) (fnode, bool) {
	if name, _, ok := celChain(e); ok {
		d, found := scope.Resolve(name)
		if !found || d.Name != name || d.Slot < 0 {
			return fnode{}, false
		}
		return b.name(name, kindOf(d.Type)), true
	}
	switch e.Kind() {
	case celast.LiteralKind:
		switch v := e.AsLiteral().(type) {
		case types.Double:
			return fastNum(float64(v)), true
		case types.Bool:
			return fastBool(bool(v)), true
		case types.String:
			return fastStr(string(v)), true
		}
		return fnode{}, false
	case celast.CallKind:
	default:
		return fnode{}, false
	}
	call := e.AsCall()
	if call.IsMemberFunction() {
		return fnode{}, false
	}
	op, ok := celOperators[call.FunctionName()]
	if !ok {
		if op, ok = libraryOps[call.FunctionName()]; !ok {
			return fnode{}, false
		}
	}
	args := make([]fnode, len(call.Args()))
	for i, a := range call.Args() {
		if args[i], ok = b.celNode(a, scope); !ok {
			return fnode{}, false
		}
	}
	switch {
	case op == dNeg && len(args) == 1:
		return fastNeg(args[0])
	case op == dNot && len(args) == 1:
		return fastNot(args[0])
	case op == dCond && len(args) == 3:
		return fastCond(args[0], args[1], args[2])
	case op == dRem || op == dNeg || op == dNot || op == dCond:
		return fnode{}, false
	case op >= dMin: // rubric's functions
		return fastCall(op, args)
	case len(args) != 2:
		return fnode{}, false
	}
	switch op {
	case dAdd, dSub, dMul, dDiv:
		return fastArith(op, args[0], args[1])
	case dLt, dLe, dGt, dGe:
		return fastOrder(op, args[0], args[1])
	case dEq, dNe:
		return fastEqual(args[0], args[1], op == dNe)
	case dAnd, dOr:
		return fastLogic(args[0], args[1], op == dOr, true)
	}
	return fnode{}, false
}
