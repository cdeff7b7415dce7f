package payroll

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/engine/internal/testkit"
)

// TestExplanationHeadMatchesJSON: the line_id and why read straight from a
// line are what encoding/json reads, for every line of a real export and
// for lines made to mislead a reader that is not careful (escapes, keys in
// other cases or orders, duplicates, nested keys of the same names,
// whitespace, invalid UTF-8); a line that is not JSON is an error.
func TestExplanationHeadMatchesJSON(t *testing.T) {
	p := testkit.MustLoad(t, "../../policies/voice-agents")
	dir := filepath.Join(t.TempDir(), "x")
	export(t, p, "../../fixtures/voice-agents/snapshots.csv", dir, Options{})
	b, err := os.ReadFile(filepath.Join(dir, explanationsFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	fast := 0
	for _, l := range lines {
		if _, _, ok := fastExplanationHead(l); ok {
			fast++
		}
	}
	if fast != len(lines) {
		t.Errorf("%d of %d lines of an export read straight", fast, len(lines))
	}
	id := `"0123456789abcdef0123456789abcdef"`
	for _, s := range []string{
		`{"line_id":` + id + `,"why":"plain"}`,
		`{"line_id":` + id + `,"why":"quote \" backslash \\ newline \n tab \t \u2028 é \ud83d\ude00"}`,
		`{"line_id":` + id + `,"kind":"x","why":"first","steps":[{"why":"nested"}],"why":"second"}`,
		`{"line_id":` + id + `,"steps":[{"why":"nested"}]}`,
		`{"line_id":` + id + `,"steps":{"a":{"why":"deep"}},"why":"top"}`,
		`{"line_id":` + id + `,"Why":"other case"}`,
		`{"line_id":` + id + `,"why":"x","LINE_ID":"other"}`,
		`{"line_id":` + id + `, "why":"space"}`,
		`{"line_id":` + id + `,"why" :"space"}`,
		`{"line_id":` + id + `,"w\u0068y":"escaped key"}`,
		`{"line_id":` + id + `,"why":"bad utf8 ` + "\xff" + `"}`,
		`{"line_id":` + id + `,"why":null}`,
		`{"line_id":` + id + `,"why":"a","note":"\",\"why\":\"fake"}`,
		`{"why":"first","line_id":` + id + `}`,
		`{"line_id":"has \" quote","why":"x"}`,
		`{"line_id":` + id + `,"why":"x"`,
		`{"line_id":` + id + `,"why":"x"}}`,
		`{"line_id":` + id + `,"why":"unterminated}`,
		`{"line_id":` + id + `,"why":"ctl ` + "\x01" + `"}`,
		`{"line_id":12,"why":"x"}`,
		`not json`,
	} {
		lines = append(lines, []byte(s))
	}
	for _, l := range lines {
		var want struct {
			LineID string `json:"line_id"`
			Why    string `json:"why"`
		}
		werr := json.Unmarshal(l, &want)
		id, why, err := explanationHead(l)
		if werr != nil {
			if err == nil && json.Valid(l) {
				t.Errorf("%s: read as %q, %q; encoding/json: %v", l, id, why, werr)
			}
			continue
		}
		if err != nil || id != want.LineID || why != want.Why {
			t.Errorf("%s:\n got %q, %q, %v\nwant %q, %q", l, id, why, err, want.LineID, want.Why)
		}
	}
	// A line that is not JSON, read past by the fast path, is reported
	// when the file's digest is not the manifest's.
	bad := bytes.Replace(b, []byte(`"steps":[`), []byte(`"steps":[[`), 1)
	if err := os.WriteFile(filepath.Join(dir, explanationsFile), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	probs, err := Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(probs, "\n")
	if !strings.Contains(joined, "explanations.ndjson: SHA-256") || !strings.Contains(joined, "explanations.ndjson line 1: ") {
		t.Errorf("problems:\n%s", joined)
	}
}
