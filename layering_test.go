package rubric_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/rubric-dev/rubric"

// layers lists the packages in import order: each may import only those to
// its left (dsl ← rules ← evaluator ← engine ← cmd).
var layers = []string{"dsl", "rules", "evaluator", "engine", "cmd"}

func layer(pkg string) int {
	for i, l := range layers {
		if pkg == l || strings.HasPrefix(pkg, l+"/") {
			return i
		}
	}
	return -1
}

// TestLayering fails on an import edge against the one-way flow, and on
// HCL reaching the evaluator.
func TestLayering(t *testing.T) {
	checked := 0
	filepath.Walk(".", func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		from := layer(filepath.ToSlash(filepath.Dir(path)))
		if from < 0 {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if strings.HasPrefix(p, module+"/") {
				to := layer(strings.TrimPrefix(p, module+"/"))
				if to >= from && !strings.HasPrefix(strings.TrimPrefix(p, module+"/"), filepath.ToSlash(filepath.Dir(path))) {
					t.Errorf("%s imports %s: imports flow dsl ← rules ← evaluator ← engine ← cmd", path, p)
				}
			}
			if layers[from] == "evaluator" && strings.HasPrefix(p, "github.com/hashicorp/hcl") {
				t.Errorf("%s imports %s: the evaluator never sees HCL", path, p)
			}
		}
		return nil
	})
	if checked < 10 {
		t.Fatalf("checked only %d files", checked)
	}
}
