package main

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
)

// duckdbVersion is the @duckdb/node-api release the comparison runs on.
const duckdbVersion = "1.5.6-r.1"

// duckdbQuery is the voice-agents rollup (policies/voice-agents/rollup.hcl)
// as DuckDB SQL: the same rows, filters, measures and periods (the export's
// times carry no offset and are Jakarta's own, so its local month is the
// period), the team of the latest row.
const duckdbQuery = `
COPY (
WITH r AS (
  SELECT "Agent ID" AS subject, "Team" AS team, CAST("Start Time" AS TIMESTAMP) AS ts,
    upper("Answered") IN ('Y', 'YES', 'TRUE', '1') AS answered,
    epoch(CAST("Talk Time" AS INTERVAL)) + epoch(CAST("Hold Time" AS INTERVAL)) + epoch(CAST("Wrap-up Time" AS INTERVAL)) AS handle,
    upper("Resolved") IN ('Y', 'YES', 'TRUE', '1') AS resolved,
    upper("Repeat Within 7 Days") IN ('Y', 'YES', 'TRUE', '1') AS repeat_7d,
    CAST("Survey Score" AS DOUBLE) AS rating
  FROM read_csv('%ROWS%', header = true, all_varchar = true)
  WHERE "Direction" = 'Inbound')
SELECT subject, strftime(ts, '%Y-%m') AS period, arg_max(team, ts) AS team,
  count(*) FILTER (WHERE answered) AS handled,
  avg(handle) FILTER (WHERE answered) AS aht,
  count(*) FILTER (WHERE answered AND resolved AND NOT repeat_7d) AS resolved_first,
  count(*) FILTER (WHERE rating >= 1) AS surveys,
  count(*) FILTER (WHERE rating >= 4) AS satisfied,
  count(DISTINCT CAST(ts AS DATE)) AS days_worked
FROM r GROUP BY 1, 2 ORDER BY 2, 1) TO '%OUT%' (HEADER)`

// duckdbScript runs the query on 2 threads: node duck.mjs ROWS OUT.
const duckdbScript = `import { DuckDBInstance } from '@duckdb/node-api';
const [rows, out] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:', { threads: '2' });
const c = await db.connect();
const sql = (s) => s.replaceAll("'", "''");
await c.run(%s.replace('%%ROWS%%', sql(rows)).replace('%%OUT%%', sql(out)));
`

// rollupVsDuckDB measures rubric rollup against DuckDB doing the same
// GROUP BY on the same generated call export (agents × 12 months), round
// by round, and checks the targets of issue 30: wall time ≤ 2.0× DuckDB's,
// peak memory ≤ 200 MiB, the same agent-months with the same counts.
func rollupVsDuckDB(dir string, bin func(string) string, rows, runs int) {
	node, err := exec.LookPath("node")
	if err != nil {
		fmt.Println("\nrollup against DuckDB: not measured (node not found; apt-get install nodejs npm)")
		return
	}
	duck := filepath.Join(dir, "duckdb")
	if _, err := os.Stat(filepath.Join(duck, "node_modules", "@duckdb", "node-api")); err != nil {
		step("installing @duckdb/node-api " + duckdbVersion)
		must(os.MkdirAll(duck, 0o755))
		must(os.WriteFile(filepath.Join(duck, "package.json"), []byte(`{"private": true, "type": "module"}`+"\n"), 0o644))
		cmd := exec.Command("npm", "install", "--no-audit", "--no-fund", "--save-exact", "@duckdb/node-api@"+duckdbVersion)
		cmd.Dir, cmd.Stdout, cmd.Stderr = duck, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Printf("\nrollup against DuckDB: not measured (npm install: %v)\n", err)
			return
		}
	}
	script := filepath.Join(duck, "rollup.mjs")
	must(os.WriteFile(script, []byte(fmt.Sprintf(duckdbScript, strconv.Quote(duckdbQuery))), 0o644))

	agents := 2000
	data := filepath.Join(dir, fmt.Sprintf("calls-%d.csv", rows))
	if _, err := os.Stat(data); err != nil {
		step(fmt.Sprintf("generating %d calls of %d agents over 12 months", rows, agents))
		run(bin("gen"), "-policy", "voice-calls", "-n", fmt.Sprint(rows+1), "-agents", fmt.Sprint(agents), "-months", "12", "-seed", "42", "-edges=false", "-o", data)
	}
	ours, theirs := filepath.Join(dir, "rollup-rubric.csv"), filepath.Join(dir, "rollup-duckdb.csv")
	cases := []bcase{
		{name: "rubric rollup", args: []string{bin("rubric"), "rollup", "-q", "-p", "policies/voice-agents", "-i", data, "-o", ours}},
		{name: "DuckDB (node, 2 threads)", args: []string{node, script, data, theirs}},
	}
	m := measureAll(bin("measure"), cases, runs)
	fmt.Printf("\n%d calls (%d agents × 12 months), %d CPUs, %s/%s\n\n", rows, agents, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	table(cases, m, cases[1].name)
	ratio := m.ratio(cases[0].name, cases[1].name)
	check(ratio <= 2, "rubric rollup wall ≤ 2.0× DuckDB's (%.2f×; goal beyond: 1.0×)", ratio)
	check(m.median[cases[0].name].RSS <= 200, "rubric rollup peak RSS ≤ 200 MiB (%.1f; DuckDB %.1f)", m.median[cases[0].name].RSS, m.median[cases[1].name].RSS)
	same, detail := sameRollup(ours, theirs)
	check(same, "the same agent-months with the same counts as DuckDB (%s)", detail)
}

// sameRollup compares rubric's snapshots with DuckDB's rows: the same
// (subject, period) in the same order, equal teams and counts, and aht
// equal to 12 significant digits (DuckDB averages in binary floating
// point, rubric in decimal).
func sameRollup(ours, theirs string) (bool, string) {
	read := func(name string) [][]string {
		f, err := os.Open(name)
		must(err)
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		must(err)
		return recs
	}
	a, b := read(ours), read(theirs)
	if len(a) != len(b) {
		return false, fmt.Sprintf("%d agent-months against %d", len(a)-1, len(b)-1)
	}
	for i := 1; i < len(a); i++ {
		for j := range a[i] {
			if j == 4 { // aht
				x, _ := strconv.ParseFloat(a[i][j], 64)
				y, _ := strconv.ParseFloat(b[i][j], 64)
				if math.Abs(x-y) <= 1e-12*math.Abs(y) {
					continue
				}
			}
			if a[i][j] != b[i][j] {
				return false, fmt.Sprintf("row %d, %s: %q against %q", i, a[0][j], a[i][j], b[i][j])
			}
		}
	}
	return true, fmt.Sprintf("%d agent-months", len(a)-1)
}
