package evaluator

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"

	"github.com/cockroachdb/apd/v3"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/rubric-dev/rubric/rules"
)

// exprCompiler compiles expr-lang expressions. Qualified names such as
// target.aht.status are patched into single typed identifiers before type
// checking, so the checker knows the type of every name.
type exprCompiler struct {
	mu    sync.Mutex
	envs  map[string]*exprEnv // by scope fingerprint
	cache *programCache
}

// exprEnv is a declared environment with its expr configuration, built
// once: expr.Compile would rebuild the configuration from every declared
// name for each expression.
type exprEnv struct {
	vars   map[string]any
	mu     sync.Mutex // compilations on one configuration, one at a time
	config *conf.Config
}

// NewExpr returns the expr compiler. It is safe for concurrent use.
func NewExpr() rules.Compiler {
	return &exprCompiler{envs: map[string]*exprEnv{}, cache: newProgramCache(1 << 14)}
}

func (c *exprCompiler) Language() rules.Language { return rules.Expr }

type exprParsed struct {
	src  string
	refs []rules.Ref
}

func (p *exprParsed) Refs() []rules.Ref { return p.refs }

// exprChain returns the dotted name of an identifier or a chain of property
// accesses on one.
func exprChain(n ast.Node) (string, bool) {
	switch x := n.(type) {
	case *ast.IdentifierNode:
		return x.Value, true
	case *ast.MemberNode:
		if x.Method || x.Optional {
			return "", false
		}
		prop, ok := x.Property.(*ast.StringNode)
		if !ok {
			return "", false
		}
		base, ok := exprChain(x.Node)
		if !ok {
			return "", false
		}
		return base + "." + prop.Value, true
	}
	return "", false
}

// Builtins of expr that rubric refuses, with the reason a policy author
// reads. Outcomes must not depend on when they are computed, and every
// evaluation must be bounded: rubric's values are scalars, so nothing in a
// policy needs a loop.
var exprRefused = map[string]string{
	"now":      "now() is not allowed: an outcome must not depend on when it is computed (two runs of the same payroll must pay the same)",
	"date":     "date() is not allowed: dates come from the input or period.start and period.end, so that outcomes do not depend on when or where they are computed",
	"duration": "duration() is not allowed: durations are plain numbers of seconds in a policy",
	"timezone": "timezone() is not allowed: outcomes must not depend on where they are computed",
	"repeat":   "repeat() is not allowed: it can build strings of any size",
}

func loopRefusal(name string) string {
	return name + "() is not available: rubric's values are numbers, strings and booleans, so expressions do not loop over lists (this keeps every evaluation bounded)"
}

type refCollector struct {
	refused *rules.ExprError // the first refused construct
	chains  map[ast.Node]string
	inner   map[ast.Node]bool // chains that are part of a longer chain
	callees map[ast.Node]bool
	lets    map[string]bool
	order   []ast.Node
	nodes   int
}

func (v *refCollector) refuse(n ast.Node, msg string) {
	if v.refused == nil {
		loc := n.Location()
		v.refused = &rules.ExprError{Offset: loc.From, Length: max(1, loc.To-loc.From), Message: msg}
	}
}

func (v *refCollector) Visit(node *ast.Node) {
	v.nodes++
	n := *node
	switch x := n.(type) {
	case *ast.BuiltinNode:
		if msg, ok := exprRefused[x.Name]; ok {
			v.refuse(n, msg)
		} else if exprLoops[x.Name] {
			v.refuse(n, loopRefusal(x.Name))
		}
	case *ast.BinaryNode:
		if x.Operator == ".." {
			v.refuse(n, "ranges (a..b) are not available: rubric's values are numbers, strings and booleans, so expressions do not loop (this keeps every evaluation bounded)")
		}
	case *ast.CallNode:
		v.callees[x.Callee] = true
	case *ast.VariableDeclaratorNode:
		v.lets[x.Name] = true
	case *ast.MemberNode:
		if _, ok := exprChain(x); ok {
			v.inner[x.Node] = true
		}
	}
	if name, ok := exprChain(n); ok {
		v.chains[n] = name
		v.order = append(v.order, n)
	}
}

func (c *exprCompiler) Parse(src string) (rules.Parsed, []rules.ExprError) {
	return cachedParse(c.cache, "expr\x00parse\x00"+src, func() (*exprParsed, []rules.ExprError) { return c.parse(src) },
		func(refs []rules.Ref) *exprParsed { return &exprParsed{src: src, refs: refs} })
}

func (c *exprCompiler) parse(src string) (*exprParsed, []rules.ExprError) {
	if n := len([]rune(src)); n > maxExprRunes {
		return nil, []rules.ExprError{{Length: n, Message: fmt.Sprintf("expression is too long (%d characters; the limit is %d)", n, maxExprRunes)}}
	}
	tree, err := parser.Parse(src)
	if err != nil {
		return nil, exprErrors(src, err)
	}
	v := &refCollector{chains: map[ast.Node]string{}, inner: map[ast.Node]bool{}, callees: map[ast.Node]bool{}, lets: map[string]bool{}}
	ast.Walk(&tree.Node, v)
	if v.nodes > maxExprNodes {
		return nil, []rules.ExprError{{Length: len([]rune(src)), Message: fmt.Sprintf("expression is too large (%d nodes; the limit is %d)", v.nodes, maxExprNodes)}}
	}
	if v.refused != nil {
		return nil, []rules.ExprError{*v.refused}
	}
	p := &exprParsed{src: src}
	for _, n := range v.order {
		if v.inner[n] || v.callees[n] {
			continue
		}
		name := v.chains[n]
		if v.lets[name] || name == "$env" {
			continue
		}
		root := n
		for {
			m, ok := root.(*ast.MemberNode)
			if !ok {
				break
			}
			root = m.Node
		}
		p.refs = append(p.refs, rules.Ref{Name: name, Offset: root.Location().From, Length: len([]rune(name))})
	}
	// The chain of an identifier is visited before its parent member
	// access, so refs are not in source order; sort them by offset.
	for i := 1; i < len(p.refs); i++ {
		for j := i; j > 0 && p.refs[j].Offset < p.refs[j-1].Offset; j-- {
			p.refs[j], p.refs[j-1] = p.refs[j-1], p.refs[j]
		}
	}
	return p, nil
}

func exprErrors(src string, err error) []rules.ExprError {
	var fe *file.Error
	if errors.As(err, &fe) {
		return []rules.ExprError{{Offset: fe.From, Length: max(1, fe.To-fe.From), Message: friendly(src, fe.Message)}}
	}
	return []rules.ExprError{{Message: friendly(src, err.Error())}}
}

func (c *exprCompiler) env(scope *rules.Scope) *exprEnv {
	fp := scope.FingerprintHash()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.envs[fp]; ok {
		return e
	}
	if len(c.envs) >= 64 {
		clear(c.envs)
	}
	e := make(map[string]any, len(scope.Decls))
	for _, d := range scope.Decls {
		switch d.Type {
		case rules.TypeString:
			e[exprVar(d.Name)] = ""
		case rules.TypeBool:
			e[exprVar(d.Name)] = false
		default:
			e[exprVar(d.Name)] = 0.0
		}
	}
	config := conf.CreateNew()
	for _, op := range append(exprFunctions(), expr.Env(e), expr.Patch(flatten{e}), expr.MaxNodes(maxExprNodes)) {
		op(config)
	}
	for name := range config.Disabled {
		delete(config.Builtins, name)
	}
	config.Check()
	ee := &exprEnv{vars: e, config: config}
	c.envs[fp] = ee
	return ee
}

// exprLoops are expr's builtins that loop over a list.
var exprLoops = map[string]bool{"all": true, "none": true, "any": true, "one": true, "filter": true, "map": true, "count": true,
	"sum": true, "find": true, "findIndex": true, "findLast": true, "findLastIndex": true, "groupBy": true, "sortBy": true, "reduce": true}

// exprFuncNames are the library's functions. In expr a variable shadows a
// function of the same name, so variables with these names (a metric
// called nps) are renamed inside the environment.
var exprFuncNames = map[string]bool{"min": true, "max": true, "clamp": true, "abs": true, "round": true, "ratio": true, "nps": true}

// exprVar is the environment key of a declared name. Names match
// [a-z][a-z0-9_]*, so a leading underscore cannot collide.
func exprVar(name string) string {
	if exprFuncNames[name] {
		return "_" + name
	}
	return name
}

// flatten replaces a chain naming a declared value by one identifier and
// renames variables that share a function's name. The walk is post-order:
// a call's callee is visited (and renamed) before the call, which puts the
// function's name back.
type flatten struct{ env map[string]any }

func (f flatten) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.MemberNode:
		if name, ok := exprChain(n); ok {
			if _, declared := f.env[name]; declared {
				ast.Patch(node, &ast.IdentifierNode{Value: name})
			}
		}
	case *ast.IdentifierNode:
		if exprFuncNames[n.Value] {
			if _, declared := f.env["_"+n.Value]; declared {
				ast.Patch(node, &ast.IdentifierNode{Value: "_" + n.Value})
			}
		}
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && len(id.Value) > 1 && id.Value[0] == '_' && exprFuncNames[id.Value[1:]] {
			ast.Patch(&n.Callee, &ast.IdentifierNode{Value: id.Value[1:]})
		}
	}
}

func (c *exprCompiler) Compile(p rules.Parsed, scope *rules.Scope, want rules.Type) (rules.Program, []rules.ExprError) {
	ep := p.(*exprParsed)
	key := "expr\x00" + scope.FingerprintHash() + "\x00" + want.String() + "\x00" + ep.src
	cc, ok := c.cache.get(key)
	if !ok {
		prog, errs := c.compile(ep, scope, want)
		if errs != nil {
			return nil, errs
		}
		fast, _ := exprFast(prog.Node(), scope)
		cc = &exprCompiled{prog: prog, fast: fast}
		c.cache.set(key, cc)
	}
	compiled := cc.(*exprCompiled)
	refs := resolveSlots(ep.refs, scope, exprVar)
	return &exprProgram{prog: compiled.prog, refs: refs, fast: linkFast(compiled.fast, refs)}, nil
}

// exprCompiled is what the program cache holds for an expr expression.
type exprCompiled struct {
	prog *vm.Program
	fast *fastProg // nil: the expression is not of a fast shape
}

func (c *exprCompiler) compile(ep *exprParsed, scope *rules.Scope, want rules.Type) (*vm.Program, []rules.ExprError) {
	env := c.env(scope)
	env.mu.Lock()
	prog, err := compileExpr(ep.src, env.config)
	env.mu.Unlock()
	if err != nil {
		return nil, exprErrors(ep.src, err)
	}
	got := "unknown"
	if node := prog.Node(); node != nil {
		if t := node.Type(); t != nil {
			switch t.Kind() {
			case reflect.Float64, reflect.Float32, reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64:
				got = "number"
			case reflect.Bool:
				got = "bool"
			case reflect.String:
				got = "string"
			case reflect.Interface:
				got = ""
			default:
				got = t.String()
			}
		}
	}
	if got != "" {
		if msg := resultTypeError(want, got); msg != "" {
			return nil, []rules.ExprError{{Length: len([]rune(ep.src)), Message: msg}}
		}
	}
	return prog, nil
}

// compileExpr is expr.Compile with a configuration made once.
func compileExpr(src string, config *conf.Config) (*vm.Program, error) {
	tree, err := checker.ParseCheck(src, config)
	if err != nil {
		return nil, err
	}
	if config.Optimize {
		if err := optimizer.Optimize(&tree.Node, config); err != nil {
			var fe *file.Error
			if errors.As(err, &fe) {
				return nil, fe.Bind(tree.Source)
			}
			return nil, err
		}
	}
	return compiler.Compile(tree, config)
}

// exprProgram runs a compiled expr program. Only the names it references
// are written into the (reused) environment before each run.
type exprProgram struct {
	prog *vm.Program
	refs []slotRef
	fast fastLink // none: expr's VM runs
}

func (p *exprProgram) eval(vals []Value, s *scratch) (Value, error) {
	if v, err := p.fast.eval(vals); err != errSlow {
		return v, err
	}
	return p.interpret(vals, s)
}

// interpret runs the expression in expr's VM.
func (p *exprProgram) interpret(vals []Value, s *scratch) (Value, error) {
	env := s.exprEnv
	for _, r := range p.refs {
		v := vals[r.slot]
		switch v.Kind {
		case Number:
			env[r.name] = v.Num
		case String:
			env[r.name] = v.Str
		case Bool:
			env[r.name] = v.Bool
		default:
			delete(env, r.name)
		}
	}
	out, err := s.vm.Run(p.prog, env)
	if err != nil {
		return Value{}, err
	}
	switch x := out.(type) {
	case float64:
		return Num(x), nil
	case int:
		return Num(float64(x)), nil
	case bool:
		return Boolean(x), nil
	case string:
		return Str(x), nil
	}
	return Value{}, fmt.Errorf("unexpected result %v of type %T", out, out)
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case float32:
		return float64(x), nil
	}
	return math.NaN(), fmt.Errorf("expected a number, got %T", v)
}

func floats(params []any) ([]float64, error) {
	out := make([]float64, len(params))
	for i, p := range params {
		f, err := toFloat(p)
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}

// exprFunctions declares the shared function library for expr, replacing
// expr's own min, max, abs and round so both languages agree.
func exprFunctions() []expr.Option {
	fn := func(name string, f func(xs []float64) (float64, error), sigs ...any) expr.Option {
		return expr.Function(name, func(params ...any) (any, error) {
			xs, err := floats(params)
			if err != nil {
				return nil, err
			}
			return f(xs)
		}, sigs...)
	}
	return []expr.Option{
		expr.DisableBuiltin("min"), expr.DisableBuiltin("max"), expr.DisableBuiltin("abs"), expr.DisableBuiltin("round"),
		fn("min", func(xs []float64) (float64, error) { return fnMin(xs...), nil }, new(func(float64, ...float64) float64)),
		fn("max", func(xs []float64) (float64, error) { return fnMax(xs...), nil }, new(func(float64, ...float64) float64)),
		fn("clamp", func(xs []float64) (float64, error) { return fnClamp(xs[0], xs[1], xs[2]), nil }, new(func(float64, float64, float64) float64)),
		fn("abs", func(xs []float64) (float64, error) { return math.Abs(xs[0]), nil }, new(func(float64) float64)),
		fn("round", func(xs []float64) (float64, error) {
			if len(xs) == 1 {
				return fnRound(xs[0], 0), nil
			}
			return fnRound(xs[0], xs[1]), nil
		}, new(func(float64) float64), new(func(float64, float64) float64)),
		fn("ratio", func(xs []float64) (float64, error) { return fnRatio(xs[0], xs[1]) }, new(func(float64, float64) float64)),
		fn("nps", func(xs []float64) (float64, error) { return fnNPS(xs[0], xs[1], xs[2]) }, new(func(float64, float64, float64) float64)),
	}
}

// CompileDecimal translates a checked-valid expr amount expression into a
// decimal program.
func (c *exprCompiler) CompileDecimal(p rules.Parsed, scope *rules.Scope) (rules.Program, []rules.ExprError) {
	ep := p.(*exprParsed)
	tree, err := parser.Parse(ep.src)
	if err != nil {
		return nil, exprErrors(ep.src, err)
	}
	b := exprDecimal{scope: scope}
	root, err := b.build(tree.Node)
	if err != nil {
		off := 0
		if b.at != nil {
			off = b.at.Location().From
		}
		return nil, []rules.ExprError{{Offset: off, Length: 1, Message: err.Error()}}
	}
	return &decimalProgram{root: root}, nil
}

type exprDecimal struct {
	scope *rules.Scope
	at    ast.Node
}

func (b *exprDecimal) build(n ast.Node) (*dnode, error) {
	b.at = n
	if name, ok := exprChain(n); ok {
		return slotNode(name, b.scope)
	}
	switch x := n.(type) {
	case *ast.IntegerNode:
		return &dnode{op: dConst, val: num(apd.New(int64(x.Value), 0))}, nil
	case *ast.FloatNode:
		return constNum(x.Value)
	case *ast.StringNode:
		return &dnode{op: dConst, val: dval{kind: String, s: x.Value}}, nil
	case *ast.BoolNode:
		return &dnode{op: dConst, val: dval{kind: Bool, b: x.Value}}, nil
	case *ast.UnaryNode:
		arg, err := b.build(x.Node)
		if err != nil {
			return nil, err
		}
		switch x.Operator {
		case "-":
			return &dnode{op: dNeg, args: []*dnode{arg}}, nil
		case "+":
			return arg, nil
		case "!", "not":
			return &dnode{op: dNot, args: []*dnode{arg}}, nil
		}
		return nil, errUnsupported{"the operator " + x.Operator}
	case *ast.BinaryNode:
		op, ok := operatorOps[x.Operator]
		if !ok {
			return nil, errUnsupported{"the operator " + x.Operator}
		}
		l, err := b.build(x.Left)
		if err != nil {
			return nil, err
		}
		r, err := b.build(x.Right)
		if err != nil {
			return nil, err
		}
		return &dnode{op: op, args: []*dnode{l, r}}, nil
	case *ast.ConditionalNode:
		n := &dnode{op: dCond}
		for _, part := range []ast.Node{x.Cond, x.Exp1, x.Exp2} {
			a, err := b.build(part)
			if err != nil {
				return nil, err
			}
			n.args = append(n.args, a)
		}
		return n, nil
	case *ast.CallNode:
		id, ok := x.Callee.(*ast.IdentifierNode)
		if !ok {
			return nil, errUnsupported{"this call"}
		}
		return b.call(id.Value, x.Arguments)
	case *ast.BuiltinNode:
		return b.call(x.Name, x.Arguments)
	case *ast.ArrayNode:
		return nil, errUnsupported{"a list"}
	case *ast.MapNode:
		return nil, errUnsupported{"a map"}
	case *ast.PredicateNode, *ast.PointerNode:
		return nil, errUnsupported{"a predicate"}
	case *ast.VariableDeclaratorNode:
		return nil, errUnsupported{"let"}
	}
	return nil, errUnsupported{"this construct"}
}

func (b *exprDecimal) call(name string, args []ast.Node) (*dnode, error) {
	op, ok := libraryOps[name]
	if !ok {
		return nil, errUnsupported{"the function " + name + "()"}
	}
	if err := checkArity(op, len(args)); err != nil {
		return nil, err
	}
	n := &dnode{op: op}
	for _, a := range args {
		x, err := b.build(a)
		if err != nil {
			return nil, err
		}
		n.args = append(n.args, x)
	}
	return n, nil
}

// exprFast compiles an expr expression of the common shapes to a fast
// program (fast.go); false when it uses anything else. It reads the tree
// expr compiled, after expr's optimizer, whose folding has meaning of its
// own ("x || true" is true even where x fails). Integer literals are
// numbers like any other except where expr computes in integers, which
// is left to expr: arithmetic between two values that may be integers,
// and the negation of one (-0 is 0 there).
func exprFast(root ast.Node, scope *rules.Scope) (*fastProg, bool) {
	if root == nil {
		return nil, false
	}
	b := &fastBuilder{}
	f, _, ok := b.exprNode(root, scope)
	if !ok {
		return nil, false
	}
	return &fastProg{root: f, names: b.names}, true
}

// exprNode builds n; isInt reports a node whose value may be an integer
// (a literal, or a conditional with one among its branches).
func (b *fastBuilder) exprNode(n ast.Node, scope *rules.Scope) (f fnode, isInt, ok bool) {
	if c, isCall := n.(*ast.CallNode); isCall {
		id, named := c.Callee.(*ast.IdentifierNode)
		if !named {
			return fnode{}, false, false
		}
		f, ok := b.exprCall(id.Value, c.Arguments, scope)
		return f, false, ok
	}
	if id, isIdent := n.(*ast.IdentifierNode); isIdent {
		name := id.Value // a flattened chain, or a name renamed for a function's
		if len(name) > 1 && name[0] == '_' && exprFuncNames[name[1:]] {
			name = name[1:]
		}
		f, ok := b.declared(scope, name, id.Value)
		return f, false, ok
	}
	switch x := n.(type) {
	case *ast.IntegerNode:
		if x.Value > 1<<53 || x.Value < -(1<<53) {
			return fnode{}, false, false
		}
		return fastNum(float64(x.Value)), true, true
	case *ast.FloatNode:
		if x.Value == 0 && math.Signbit(x.Value) {
			// expr keeps one constant per value that Go's == tells
			// apart, so a -0 (of folding: "-(0 / 2)") shares its slot
			// with a 0 elsewhere, and which one is read depends on the
			// order they were met: left to expr.
			return fnode{}, false, false
		}
		return fastNum(x.Value), false, true
	case *ast.StringNode:
		return fastStr(x.Value), false, true
	case *ast.BoolNode:
		return fastBool(x.Value), false, true
	case *ast.BuiltinNode:
		f, ok := b.exprCall(x.Name, x.Arguments, scope)
		return f, false, ok
	case *ast.UnaryNode:
		a, aInt, ok := b.exprNode(x.Node, scope)
		if !ok {
			return fnode{}, false, false
		}
		switch x.Operator {
		case "+":
			return a, aInt, a.kind == Number
		case "-":
			if aInt { // an integer's negation: -0 is 0, not the float -0
				return fnode{}, false, false
			}
			f, ok := fastNeg(a)
			return f, false, ok
		case "!", "not":
			f, ok := fastNot(a)
			return f, false, ok
		}
	case *ast.BinaryNode:
		op, known := operatorOps[x.Operator]
		if !known {
			return fnode{}, false, false
		}
		args, isInt, ok := b.exprNodes(scope, x.Left, x.Right)
		if !ok || isInt[0] && isInt[1] && (op == dAdd || op == dSub || op == dMul) { // / is in floating point in expr
			return fnode{}, false, false
		}
		f, ok := fastBinary(op, args[0], args[1], false)
		return f, false, ok
	case *ast.ConditionalNode:
		args, isInt, ok := b.exprNodes(scope, x.Cond, x.Exp1, x.Exp2)
		if !ok {
			return fnode{}, false, false
		}
		f, ok := fastCond(args[0], args[1], args[2])
		return f, isInt[1] || isInt[2], ok
	}
	return fnode{}, false, false
}

// exprNodes builds nodes, and tells which may be integers.
func (b *fastBuilder) exprNodes(scope *rules.Scope, nodes ...ast.Node) ([]fnode, []bool, bool) {
	fs, isInt := make([]fnode, len(nodes)), make([]bool, len(nodes))
	for i, n := range nodes {
		var ok bool
		if fs[i], isInt[i], ok = b.exprNode(n, scope); !ok {
			return nil, nil, false
		}
	}
	return fs, isInt, true
}

func (b *fastBuilder) exprCall(name string, args []ast.Node, scope *rules.Scope) (fnode, bool) {
	op, ok := libraryOps[name]
	if !ok {
		return fnode{}, false
	}
	fs, _, ok := b.exprNodes(scope, args...)
	if !ok {
		return fnode{}, false
	}
	return fastCall(op, fs)
}
