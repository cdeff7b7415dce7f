package payroll

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/testkit"
)

// duckdbScript runs the SQL in $SQL through @duckdb/node-api (at $DUCK)
// and prints its rows as JSON arrays of text.
const duckdbScript = `
const { DuckDBInstance } = require(process.env.DUCK);
(async () => {
  const db = await DuckDBInstance.create(':memory:', { threads: '2' });
  const c = await db.connect();
  const r = await c.runAndReadAll(process.env.SQL);
  for (const row of r.getRows()) console.log(JSON.stringify(row.map(String)));
})().catch((e) => { console.error(e); process.exit(1); });
`

// TestDocsDuckDBLoadsImportExactly runs the DuckDB query docs/payroll.md
// gives, as written, on an export's import.csv, and requires each
// subject's sum to be totals.csv's exactly. It needs node and
// @duckdb/node-api: $RUBRIC_DUCKDB_MODULES, or the node_modules the
// benchmark installs (bench/run.sh -rollup-only); without them it skips.
func TestDocsDuckDBLoadsImportExactly(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	modules := os.Getenv("RUBRIC_DUCKDB_MODULES")
	if modules == "" {
		modules = filepath.Join(os.TempDir(), "rubric-bench", "duckdb", "node_modules")
	}
	duck := filepath.Join(modules, "@duckdb", "node-api")
	if _, err := os.Stat(duck); err != nil {
		t.Skip("@duckdb/node-api is not installed (set RUBRIC_DUCKDB_MODULES)")
	}
	doc, err := os.ReadFile("../../docs/payroll.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```sql\n(-- DuckDB.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/payroll.md has no DuckDB query")
	}
	p := testkit.MustLoad(t, "../../policies/voice-agents")
	dir := filepath.Join(t.TempDir(), "2026-10")
	if _, err := Run(p, engine.Input{Name: "../../fixtures/voice-agents/snapshots.csv"}, Options{Dir: dir, PayDate: "2026-11-25"}); err != nil {
		t.Fatal(err)
	}
	sql := strings.Replace(string(m[1]), "'import.csv'", "'"+filepath.ToSlash(filepath.Join(dir, "import.csv"))+"'", 1)
	script := filepath.Join(t.TempDir(), "q.cjs")
	if err := os.WriteFile(script, []byte(duckdbScript), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script)
	cmd.Env = append(os.Environ(), "DUCK="+duck, "SQL="+sql)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	totals := map[string]string{}
	for _, r := range readCSV(t, filepath.Join(dir, "totals.csv"))[1:] {
		totals[r[0]] = r[2]
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var row []string
		if err := json.Unmarshal([]byte(line), &row); err != nil || len(row) != 2 {
			t.Fatalf("DuckDB row %q: %v", line, err)
		}
		got, _, err1 := apd.NewFromString(row[1])
		want, _, err2 := apd.NewFromString(totals[row[0]])
		if err1 != nil || err2 != nil || got.Cmp(want) != 0 {
			t.Errorf("%s: DuckDB sums %s, totals.csv says %q", row[0], row[1], totals[row[0]])
		}
		n++
	}
	if n < 100 {
		t.Errorf("DuckDB gave %d subjects", n)
	}
}
