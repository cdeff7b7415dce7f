package rules

import (
	"fmt"

	"github.com/rubric-dev/rubric/dsl"
)

func (r *resolver) breaches() {
	byName := firstByName(r.ast.Breaches, func(x *dsl.Breach) string { return x.Name })
	for _, br := range r.p.Breaches {
		b := byName[br.Name]
		what := fmt.Sprintf("breach %q", b.Name)
		br.Title, _ = r.str(b.Title, "title")
		br.Label, br.Description = r.text(b.Label, "label"), r.text(b.Description, "description")
		br.Severity = Severity(r.enum(b.Severity, "severity", int(Major), "minor", "major", "critical"))
		if b.When == nil {
			r.errorf(CodeMissing, b.DefRange, "%s has no when", what)
		}
		br.When = r.expression(b.When, StageBreaches, TypeBool, what+" when")
		resolve := func(m *dsl.Message) []MessagePart {
			var parts []MessagePart
			for _, part := range m.Parts {
				if part.Name == "" {
					parts = append(parts, MessagePart{Text: part.Text})
					continue
				}
				d, ok := r.scope.Lookup(part.Name)
				if !ok || (d.Kind != DeclMetric && d.Kind != DeclAttribute && d.Kind != DeclParam) {
					dd := r.errorf(CodeUnknownName, part.Range, "%s message: unknown metric, attribute or param %q", what, part.Name)
					names := []string{}
					for _, d := range r.scope.Decls {
						if d.Kind == DeclMetric || d.Kind == DeclAttribute || d.Kind == DeclParam {
							names = append(names, d.Name)
						}
					}
					DidYouMean(dd, part.Name, names)
					continue
				}
				parts = append(parts, MessagePart{Decl: d})
			}
			return parts
		}
		if b.Message != nil {
			br.Message = resolve(b.Message)
		}
		if b.Messages != nil {
			br.Messages = map[string][]MessagePart{}
			for _, lm := range b.Messages {
				if !languageCode(lm.Code) {
					r.errorf(CodeBadValue, lm.CodeRange, "%s message: %q is not a language code (en, id, pt-BR …)", what, lm.Code)
					continue
				}
				br.Messages[lm.Code] = resolve(lm.Message)
			}
			br.Message = defaultLang(br.Messages)
		}
	}
}
