package evaluator

import (
	"path/filepath"
	"reflect"
	"regexp"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/rules"
)

// expressionsOf collects every expression of a resolved policy.
func expressionsOf(v reflect.Value, seen map[uintptr]bool, out *[]*rules.Expression) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		if x, ok := v.Interface().(*rules.Expression); ok {
			*out = append(*out, x)
			return
		}
		expressionsOf(v.Elem(), seen, out)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[rules.Scope]() {
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				expressionsOf(v.Field(i), seen, out)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			expressionsOf(v.Index(i), seen, out)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			expressionsOf(it.Value(), seen, out)
		}
	}
}

// TestShippedPoliciesAreFast: every expression of the example policies,
// in CEL and in expr, compiles to a fast program, so that the policies
// users start from never wait on an interpreter.
func TestShippedPoliciesAreFast(t *testing.T) {
	lang := regexp.MustCompile(`(?m)^(\s*language\s*=\s*)"[a-z]+"`)
	policyBlock := regexp.MustCompile(`policy\s+"[^"]*"\s*\{`)
	for _, name := range []string{"voice-agents", "it-helpdesk", "support-team"} {
		for _, l := range []string{"cel", "expr"} {
			srcs, err := dsl.ReadSources(filepath.Join("../policies", name))
			if err != nil {
				t.Fatal(err)
			}
			set := false
			for i := range srcs {
				set = set || lang.Match(srcs[i].Bytes)
				srcs[i].Bytes = lang.ReplaceAll(srcs[i].Bytes, []byte(`${1}"`+l+`"`))
			}
			for i := range srcs { // no language line: CEL by default; write one
				if at := policyBlock.FindIndex(srcs[i].Bytes); !set && at != nil {
					b := srcs[i].Bytes
					srcs[i].Bytes = append(append(append([]byte{}, b[:at[1]]...), "\n  language = \""+l+"\"\n"...), b[at[1]:]...)
					set = true
				}
			}
			ast, diags := dsl.Parse(srcs)
			p, d2 := rules.Resolve(ast, NewCEL(), NewExpr())
			if diags = append(diags, d2...); diags.HasErrors() {
				t.Fatalf("%s/%s: %v", name, l, diags)
			}
			if p.Language.String() != l {
				t.Fatalf("%s: language %s, want %s", name, p.Language, l)
			}
			var exprs []*rules.Expression
			expressionsOf(reflect.ValueOf(p), map[uintptr]bool{}, &exprs)
			if len(exprs) < 5 {
				t.Fatalf("%s/%s: found %d expressions", name, l, len(exprs))
			}
			for _, x := range exprs {
				fast := false
				switch prog := x.Program.(type) {
				case *celProgram:
					fast = prog.fast.prog != nil
				case *exprProgram:
					fast = prog.fast.prog != nil
				}
				if !fast {
					t.Errorf("%s/%s: %q (%T) is interpreted", name, l, x.Source, x.Program)
				}
			}
		}
	}
}
