package rubric_test

import (
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine"
)

const module = "github.com/rubric-dev/rubric"

// Imports flow one way:
//
//	dsl ← rules ← evaluator ← engine (core) ← engine/<capability> ← cmd
//
// A capability (engine/calibrate, engine/serve, …) may import the core and
// engine/internal/…, never another capability. Internal packages belong to
// the package above them.
const (
	layerDSL = iota
	layerRules
	layerEvaluator
	layerEngine
	layerCapability
	layerCmd
)

// layerOf places a package path (relative to the module) in the graph;
// ok is false for packages outside it (bench, fixtures/gen).
func layerOf(pkg string) (layer int, capability string, ok bool) {
	first, rest, _ := strings.Cut(pkg, "/")
	switch first {
	case "dsl":
		return layerDSL, "", true
	case "rules":
		return layerRules, "", true
	case "evaluator":
		return layerEvaluator, "", true
	case "cmd":
		return layerCmd, "", true
	case "engine":
		if rest == "" || rest == "internal" || strings.HasPrefix(rest, "internal/") {
			return layerEngine, "", true
		}
		capName, _, _ := strings.Cut(rest, "/")
		return layerCapability, capName, true
	}
	return 0, "", false
}

func TestLayerOf(t *testing.T) {
	for pkg, want := range map[string]int{
		"dsl": layerDSL, "engine": layerEngine, "engine/internal/extsort": layerEngine,
		"engine/calibrate": layerCapability, "engine/serve/internal/x": layerCapability, "cmd/rubric": layerCmd,
	} {
		if got, _, ok := layerOf(pkg); !ok || got != want {
			t.Errorf("layerOf(%s) = %d, want %d", pkg, got, want)
		}
	}
	if _, _, ok := layerOf("engineX"); ok {
		t.Errorf("engineX is not engine")
	}
}

// TestLayering fails on an import edge against the one-way flow, on one
// capability importing another, and on HCL reaching the evaluator.
func TestLayering(t *testing.T) {
	checked := 0
	filepath.Walk(".", func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		from, fromCap, ok := layerOf(dir)
		if !ok {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if rel, ok := strings.CutPrefix(p, module+"/"); ok {
				to, toCap, ok := layerOf(rel)
				switch {
				case !ok:
					t.Errorf("%s imports %s, which is outside the library", path, p)
				case rel == dir || strings.HasPrefix(rel, dir+"/"):
					// its own internal packages
				case to > from || (to == from && from != layerCapability && from != layerEngine && from != layerCmd):
					t.Errorf("%s imports %s: imports flow dsl ← rules ← evaluator ← engine ← engine/* ← cmd", path, p)
				case from == layerCapability && to == layerCapability && fromCap != toCap:
					t.Errorf("%s imports %s: capabilities do not import each other", path, p)
				}
			}
			if from == layerEvaluator && strings.HasPrefix(p, "github.com/hashicorp/hcl") {
				t.Errorf("%s imports %s: the evaluator never sees HCL", path, p)
			}
		}
		return nil
	})
	if checked < 10 {
		t.Fatalf("checked only %d files", checked)
	}
}

// TestDocumentedPolicies validates every ```hcl complete block of the
// README and docs/: a policy shown as complete must be valid. Other hcl
// blocks are excerpts.
func TestDocumentedPolicies(t *testing.T) {
	files, _ := filepath.Glob("docs/*.md")
	files = append(files, "README.md")
	complete := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		for i := 0; i < len(lines); i++ {
			if strings.TrimSpace(lines[i]) != "```hcl complete" {
				continue
			}
			start := i + 1
			j := start
			for j < len(lines) && strings.TrimSpace(lines[j]) != "```" {
				j++
			}
			src := strings.Join(lines[start:j], "\n")
			complete++
			_, diags := engine.LoadSources(f, []dsl.Source{{Name: fmt.Sprintf("%s:%d.hcl", f, start+1), Bytes: []byte(src)}})
			if diags.HasErrors() {
				t.Errorf("%s:%d: the block marked complete does not validate: %v", f, start+1, diags)
			}
			i = j
		}
	}
	if complete == 0 {
		t.Error("no ```hcl complete block: the README's tour should be one")
	}
}
