package serve_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIListsEveryRoute: docs/openapi.json describes exactly the
// routes the server registers (method and path), so neither drifts from
// the other.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	b, err := os.ReadFile("../../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("docs/openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	src, err := os.ReadFile("server.go")
	if err != nil {
		t.Fatal(err)
	}
	var served []string
	for _, m := range regexp.MustCompile(`m\.Handle\("([A-Z]+) ([^"]+)"`).FindAllSubmatch(src, -1) {
		served = append(served, string(m[1])+" "+string(m[2]))
	}
	slices.Sort(documented)
	slices.Sort(served)
	if len(served) < 7 || !slices.Equal(documented, served) {
		t.Errorf("docs/openapi.json lists\n  %s\nthe server serves\n  %s", strings.Join(documented, "\n  "), strings.Join(served, "\n  "))
	}
}
