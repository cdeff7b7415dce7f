package serve_test

import (
	"bytes"
	"encoding/json"
	"mime"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rubric-dev/rubric/engine/serve"
)

// TestOpenAPIListsEveryRoute: openapi.json describes exactly the
// routes the server registers (method and path), so neither drifts from
// the other.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
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
		t.Errorf("openapi.json lists\n  %s\nthe server serves\n  %s", strings.Join(documented, "\n  "), strings.Join(served, "\n  "))
	}
}

// TestOpenAPIDescribesTheAnswers: the served document is openapi.json,
// and the answers of a real server on loopback, good and bad, match it:
// each status is one the operation lists (or its default), each content
// type one that response lists, and each JSON body valid against the
// response's schema (JSON Schema 2020-12, as OpenAPI 3.1 says, checked by
// santhosh-tekuri/jsonschema).
func TestOpenAPIDescribesTheAnswers(t *testing.T) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	// A response: its content by media type, each with a schema that
	// refers to a component; or a reference to a shared response.
	type response struct {
		Ref     string `json:"$ref"`
		Content map[string]struct {
			Schema struct {
				Ref string `json:"$ref"`
			} `json:"schema"`
		} `json:"content"`
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]response `json:"responses"`
		} `json:"paths"`
		Components struct {
			Responses map[string]response `json:"responses"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	const docURL = "https://rubric.invalid/openapi.json"
	c := jsonschema.NewCompiler()
	whole, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource(docURL, whole); err != nil {
		t.Fatal(err)
	}

	base, _ := start(t, serve.Config{Policies: policies(t)})
	snaps := csvToNDJSON(t, 4)
	array := "[" + strings.Join(strings.Split(strings.TrimSpace(snaps), "\n"), ",") + "]"
	cases := []struct {
		method, path, template, ctype, body string
		want                                int
	}{
		{"GET", "/healthz", "/healthz", "", "", 200},
		{"GET", "/readyz", "/readyz", "", "", 200},
		{"GET", "/metrics", "/metrics", "", "", 200},
		{"GET", "/v1/openapi.json", "/v1/openapi.json", "", "", 200},
		{"GET", "/v1/policies", "/v1/policies", "", "", 200},
		{"POST", "/v1/policies/voice-agents/eval", "/v1/policies/{name}/eval", "application/json", array, 200},
		{"POST", "/v1/policies/voice-agents/eval", "/v1/policies/{name}/eval", "application/x-ndjson", snaps, 200},
		{"POST", "/v1/policies/voice-agents/eval", "/v1/policies/{name}/eval", "application/json", `[{"subject": "A", "period": "2026-10", "aht": "slow"}]`, 400},
		{"POST", "/v1/policies/nope/eval", "/v1/policies/{name}/eval", "application/json", array, 404},
		{"GET", "/v1/policies/voice-agents/eval", "/v1/policies/{name}/eval", "", "", 405},
		{"POST", "/v1/policies/voice-agents/eval", "/v1/policies/{name}/eval", "text/csv", "a,b", 415},
		{"POST", "/v1/policies/voice-agents/explain?subject=A-1001", "/v1/policies/{name}/explain", "application/json", array, 200},
		{"POST", "/v1/policies/voice-agents/explain?subject=nobody", "/v1/policies/{name}/explain", "application/json", array, 404},
		{"POST", "/v1/validate", "/v1/validate", "application/json", `{"files": {"p.hcl": "policy \"p\" {\n  version = \"1\"\n  currency = \"EUR\"\n}\n"}}`, 200},
		{"POST", "/v1/validate", "/v1/validate", "application/json", `{"files": {"p.hcl": "policy {"}}`, 200},
	}
	for _, tc := range cases {
		name := tc.method + " " + tc.path + " " + tc.ctype
		r := do(t, tc.method, base+tc.path, tc.ctype, tc.body)
		if r.code != tc.want {
			t.Errorf("%s: %d, want %d: %s", name, r.code, tc.want, r.body)
			continue
		}
		op, ok := doc.Paths[tc.template][strings.ToLower(tc.method)]
		if !ok && tc.want == 405 {
			op, ok = doc.Paths[tc.template]["post"] // the operation the path has, whose default answers
		}
		if !ok {
			t.Errorf("%s: the document has no such operation", name)
			continue
		}
		resp, ok := op.Responses[strconv.Itoa(r.code)]
		if !ok {
			resp, ok = op.Responses["default"]
		}
		if !ok {
			t.Errorf("%s: status %d is not in the document", name, r.code)
			continue
		}
		content := resp.Content
		if resp.Ref != "" {
			content = doc.Components.Responses[strings.TrimPrefix(resp.Ref, "#/components/responses/")].Content
		}
		ctype, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
		media, ok := content[ctype]
		if !ok {
			t.Errorf("%s: content type %q is not in the document for %d", name, ctype, r.code)
			continue
		}
		ref := media.Schema.Ref
		if !strings.HasPrefix(ref, "#/components/schemas/") {
			t.Errorf("%s: the schema is not a named component (%q)", name, ref)
			continue
		}
		sch, err := c.Compile(docURL + ref)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		var inst any = r.body // text: a string
		if strings.HasSuffix(ctype, "json") {
			if inst, err = jsonschema.UnmarshalJSON(strings.NewReader(r.body)); err != nil {
				t.Errorf("%s: not JSON: %v", name, err)
				continue
			}
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s: the answer does not match %s: %v", name, ref, err)
		}
	}
	if r := do(t, "GET", base+"/v1/openapi.json", "", ""); r.body != string(raw) {
		t.Error("the served document is not openapi.json")
	}
}
