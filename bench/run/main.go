// Command run is rubric's benchmark: on one machine, in one go, it runs the
// hand-written baseline, `rubric payroll` and `rubric eval --format ndjson`
// over the same generated voice-agent snapshots (and `rubric payroll` again
// on a copy sorted by subject, `rubric eval --format csv` with and without
// team statistics, both on one core, and a copy of the ndjson output as its
// I/O floor), checks that rubric's payroll rows equal the baseline's, and
// prints wall time, CPU time and peak RSS of each with the ratios the
// performance targets are stated in; then `rubric rollup` against DuckDB on
// a generated call export. With -scale it compares sizes instead.
//
//	go run ./bench/run -n 1000000
//	go run ./bench/run -scale 1000000,5000000
//	go run ./bench/run -rollup-only -rollup-rows 2000000
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
)

type result struct {
	Wall  float64 `json:"wall_s"`
	CPU   float64 `json:"cpu_s"`
	RSS   float64 `json:"max_rss_mib"`
	Exit  int     `json:"exit"`
	Steal float64 `json:"-"` // the share of the machine's CPU time its host took meanwhile (/proc/stat); -1 unknown
}

// bcase is one measured command.
type bcase struct {
	name string
	args []string
	env  []string // added to the environment
	prep func()   // run before each measurement, not measured
}

func main() {
	n := flag.Int("n", 1000000, "snapshots to generate")
	dir := flag.String("dir", filepath.Join(os.TempDir(), "rubric-bench"), "work directory")
	runs := flag.Int("runs", 3, "repetitions, round by round (the median wall time of each is kept, and the median of each round's ratio)")
	scale := flag.String("scale", "", "instead of the full table: sizes to compare payroll and eval csv at (e.g. 1000000,5000000), for the linearity target")
	startupRuns := flag.Int("startup", 31, "rounds of the start-up table (process start, compile, one row); 0 leaves it out")
	startupOnly := flag.Bool("startup-only", false, "only the start-up table")
	rollupRows := flag.Int("rollup-rows", 2000000, "calls of the rollup table (rubric rollup against DuckDB, 2,000 agents × 12 months); 0 leaves it out")
	rollupOnly := flag.Bool("rollup-only", false, "only the rollup table")
	flag.Parse()
	must(os.MkdirAll(*dir, 0o755))
	bin := func(name string) string { return filepath.Join(*dir, name) }
	step("building")
	for _, b := range [][2]string{{"rubric", "./cmd/rubric"}, {"baseline", "./bench/baseline"}, {"measure", "./bench/measure"}, {"gen", "./fixtures/gen"}} {
		run("go", "build", "-o", bin(b[0]), b[1])
	}
	if *scale != "" {
		scaling(*dir, bin, strings.Split(*scale, ","), *runs)
		return
	}
	if *startupOnly {
		startup(*dir, bin, *startupRuns)
		return
	}
	if *rollupOnly {
		rollupVsDuckDB(*dir, bin, *rollupRows, *runs)
		return
	}
	data := generate(*dir, bin, *n)
	sorted := sortedCopy(*dir, data)
	policy := "policies/voice-agents"
	noTeam := policyWithoutTeam(*dir, policy)
	payrollDir := filepath.Join(*dir, "payroll")
	clean := func() { os.RemoveAll(payrollDir) }
	out := func(name string) string { return filepath.Join(*dir, name) }
	// Cases compared with each other run next to each other in every
	// round, and each ratio is the median of the rounds' own ratios: a
	// slow spell of the machine then falls on both sides of it.
	cases := []bcase{
		{name: "baseline (hand-written Go)", args: []string{bin("baseline"), "-i", data, "-o", out("baseline.csv"), "-policy", policy}},
		{name: "rubric payroll", args: []string{bin("rubric"), "payroll", "-p", policy, "-i", data, "-o", payrollDir, "--force"}, prep: clean},
		{name: "rubric payroll, GOMAXPROCS=1", args: []string{bin("rubric"), "payroll", "-p", policy, "-i", data, "-o", payrollDir, "--force"}, env: []string{"GOMAXPROCS=1"}, prep: clean},
		{name: "rubric payroll, input sorted by subject", args: []string{bin("rubric"), "payroll", "-p", policy, "-i", sorted, "-o", payrollDir + "-sorted", "--force"}, prep: func() { os.RemoveAll(payrollDir + "-sorted") }},
		{name: "rubric eval --format csv, policy without team.*", args: []string{bin("rubric"), "eval", "-p", noTeam, "-i", data, "--format", "csv", "-o", out("outcomes-noteam.csv")}},
		{name: "rubric eval --format csv", args: []string{bin("rubric"), "eval", "-p", policy, "-i", data, "--format", "csv", "-o", out("outcomes.csv")}},
		{name: "rubric eval --format csv, GOMAXPROCS=1", args: []string{bin("rubric"), "eval", "-p", policy, "-i", data, "--format", "csv", "-o", out("outcomes.csv")}, env: []string{"GOMAXPROCS=1"}},
		{name: "rubric eval --format ndjson", args: []string{bin("rubric"), "eval", "-p", policy, "-i", data, "--format", "ndjson", "-o", out("outcomes.ndjson")}},
		{name: "I/O floor: cp of the ndjson output", args: []string{"cp", out("outcomes.ndjson"), out("floor.ndjson")}, prep: func() { os.Remove(out("floor.ndjson")) }},
		// What copying and syncing the export's own bytes costs (seven
		// files; the baseline writes payroll rows only).
		{name: "I/O floor: cp and sync of the payroll export", args: []string{"sh", "-c", `cp -r "$0" "$1" && sync "$1"/*`, payrollDir, out("floor-export")}, prep: func() { os.RemoveAll(out("floor-export")) }},
	}
	m := measureAll(bin("measure"), cases, *runs)
	os.Remove(out("floor.ndjson"))
	os.RemoveAll(out("floor-export"))
	step("checking that rubric's payroll rows equal the baseline's")
	same := sameRows(out("baseline.csv"), filepath.Join(payrollDir, "payroll.csv"))

	base := cases[0].name
	fmt.Printf("\n%d voice-agent snapshots, %d CPUs, %s/%s, %s\n\n", *n, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	table(cases, m, base)
	const pay, csv, ndjson = "rubric payroll", "rubric eval --format csv", "rubric eval --format ndjson"
	// Payroll writes seven files where the baseline writes one: the target
	// (issue 26) is the baseline plus copying and syncing the export's
	// own bytes, taken round by round.
	const exportFloor = "I/O floor: cp and sync of the payroll export"
	check(m.ratio(pay, base) <= 1 || m.floorRatio(pay, base, exportFloor) <= 1, "rubric payroll wall ≤ baseline + copying and syncing its export (%.2f× that; %.2f× the baseline alone; input sorted by subject %.2f×)",
		m.floorRatio(pay, base, exportFloor), m.ratio(pay, base), m.ratio("rubric payroll, input sorted by subject", base))
	check(m.ratio(csv, base) <= 1, "rubric eval --format csv ≤ 1.0× baseline (%.2f×)", m.ratio(csv, base))
	check(m.ratio(ndjson, base) <= 2, "rubric eval --format ndjson ≤ 2.0× baseline (%.2f×; the I/O floor of its bytes is %.2f×)", m.ratio(ndjson, base), m.ratio("I/O floor: cp of the ndjson output", base))
	maxRSS := 0.0
	for _, c := range cases {
		if strings.HasPrefix(c.name, "rubric ") {
			maxRSS = max(maxRSS, m.median[c.name].RSS)
		}
	}
	check(maxRSS <= 100, "peak RSS of every rubric run ≤ 100 MiB (largest %.1f)", maxRSS)
	team := m.ratio(csv, "rubric eval --format csv, policy without team.*")
	check(team <= 1.15, "team.* costs ≤ +15%% (eval csv %+.0f%%)", 100*(team-1))
	pSpeed, eSpeed := m.ratio("rubric payroll, GOMAXPROCS=1", pay), m.ratio("rubric eval --format csv, GOMAXPROCS=1", csv)
	// What two cores cost over one, in CPU time for the same work: beyond
	// a few percent it is the machine (two vCPUs sharing a core, a busy
	// host), and it bounds the speed-up at 2 over it.
	pCPU, eCPU := m.cpuRatio(pay, "rubric payroll, GOMAXPROCS=1"), m.cpuRatio(csv, "rubric eval --format csv, GOMAXPROCS=1")
	check(pSpeed >= 1.7 && eSpeed >= 1.7, "speed-up on 2 cores ≥ 1.7× (payroll %.2f×, eval csv %.2f×; CPU time on two cores over one: payroll %+.0f%%, eval csv %+.0f%%)", pSpeed, eSpeed, 100*(pCPU-1), 100*(eCPU-1))
	check(same, "payroll rows identical to the baseline's (run_id aside)")
	if *rollupRows > 0 {
		rollupVsDuckDB(*dir, bin, *rollupRows, *runs)
	}
	if *startupRuns > 0 {
		startup(*dir, bin, *startupRuns)
	}
}

// startup measures what a run costs before its input matters: process
// start, package initialisation, loading and compiling the policy, one
// snapshot and the output, each command's median over rounds taken in
// turn. The baseline on the same row and `rubric version` (no policy) are
// beside it, for what the machine and the binary alone cost.
func startup(dir string, bin func(string) string, rounds int) {
	if rounds <= 0 {
		return
	}
	policy := "policies/voice-agents"
	one := filepath.Join(dir, "one-row.csv")
	b, err := os.ReadFile(generate(dir, bin, 1))
	must(err)
	lines := strings.SplitN(string(b), "\n", 3)
	if len(lines) < 2 {
		fail("the generated input has no row")
	}
	must(os.WriteFile(one, []byte(lines[0]+"\n"+lines[1]+"\n"), 0o644))
	payrollDir := filepath.Join(dir, "payroll-one")
	cases := []bcase{
		{name: "baseline, one row", args: []string{bin("baseline"), "-i", one, "-o", filepath.Join(dir, "baseline-one.csv"), "-policy", policy}},
		{name: "rubric version", args: []string{bin("rubric"), "version"}},
		{name: "rubric eval --format csv, one row", args: []string{bin("rubric"), "eval", "-p", policy, "-i", one, "--format", "csv", "-o", filepath.Join(dir, "outcomes-one.csv")}},
		{name: "rubric payroll, one row", args: []string{bin("rubric"), "payroll", "-p", policy, "-i", one, "-o", payrollDir, "--force"}, prep: func() { os.RemoveAll(payrollDir) }},
	}
	results := measureAll(bin("measure"), cases, rounds).median
	fmt.Printf("\nstart-up: process start, compile and one row, median of %d rounds\n\n", rounds)
	fmt.Println("| run | wall ms | CPU ms | peak RSS MiB |")
	fmt.Println("|---|---:|---:|---:|")
	for _, c := range cases {
		r := results[c.name]
		fmt.Printf("| %s | %.1f | %.1f | %.1f |\n", c.name, 1000*r.Wall, 1000*r.CPU, r.RSS)
	}
	fmt.Println()
	ev, pay := results[cases[2].name], results[cases[3].name]
	check(ev.Wall <= 0.020 && pay.Wall <= 0.020, "process start + compile + one row ≤ 20 ms (eval %.1f ms, payroll %.1f ms)", 1000*ev.Wall, 1000*pay.Wall)
}

// scaling runs the baseline, payroll and eval csv at each size and reports
// how time and memory grow from the first size.
func scaling(dir string, bin func(string) string, sizes []string, runs int) {
	policy := "policies/voice-agents"
	type row struct {
		n                  int
		base, pay, csvEval result
	}
	var rows []row
	for _, s := range sizes {
		var n int
		if _, err := fmt.Sscan(s, &n); err != nil || n <= 0 {
			fail("-scale: %q is not a size", s)
		}
		data := generate(dir, bin, n)
		payrollDir := filepath.Join(dir, "payroll")
		cases := []bcase{
			{name: "baseline", args: []string{bin("baseline"), "-i", data, "-o", filepath.Join(dir, "baseline.csv"), "-policy", policy}},
			{name: "payroll", args: []string{bin("rubric"), "payroll", "-p", policy, "-i", data, "-o", payrollDir, "--force"}, prep: func() { os.RemoveAll(payrollDir) }},
			{name: "eval csv", args: []string{bin("rubric"), "eval", "-p", policy, "-i", data, "--format", "csv", "-o", filepath.Join(dir, "outcomes.csv")}},
		}
		res := measureAll(bin("measure"), cases, runs).median
		rows = append(rows, row{n, res["baseline"], res["payroll"], res["eval csv"]})
	}
	fmt.Printf("\nscaling, %d CPUs, %s/%s, %s\n\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Println("| snapshots | baseline s | payroll s | payroll vs baseline | payroll RSS MiB | eval csv s | eval csv vs baseline | eval csv RSS MiB |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		fmt.Printf("| %d | %.2f | %.2f | %.2f× | %.1f | %.2f | %.2f× | %.1f |\n", r.n, r.base.Wall, r.pay.Wall, r.pay.Wall/r.base.Wall, r.pay.RSS, r.csvEval.Wall, r.csvEval.Wall/r.base.Wall, r.csvEval.RSS)
	}
	fmt.Println()
	for i, r := range rows[1:] {
		first := rows[i] // the size before
		size := float64(r.n) / float64(first.n)
		// The baseline's own growth tells a change of the machine's pace
		// between the sizes (a shared VM) from a cost that grows faster
		// than the input.
		baseGrowth := r.base.Wall / first.base.Wall
		check(r.pay.Wall <= 1.1*size*first.pay.Wall, "payroll at %d takes ≤ %.1f× its time at %d (%.2f×; the baseline's own %.2f×)", r.n, 1.1*size, first.n, r.pay.Wall/first.pay.Wall, baseGrowth)
		check(r.csvEval.Wall <= 1.1*size*first.csvEval.Wall, "eval csv at %d takes ≤ %.1f× its time at %d (%.2f×; the baseline's own %.2f×)", r.n, 1.1*size, first.n, r.csvEval.Wall/first.csvEval.Wall, baseGrowth)
		check(r.pay.RSS <= 100 && r.csvEval.RSS <= 100, "peak RSS ≤ 100 MiB at %d (payroll %.1f, eval csv %.1f)", r.n, r.pay.RSS, r.csvEval.RSS)
	}
}

// generate writes n seeded voice-agent snapshots once and returns the file.
func generate(dir string, bin func(string) string, n int) string {
	data := filepath.Join(dir, fmt.Sprintf("voice-agents-%d.csv", n))
	if _, err := os.Stat(data); err != nil {
		step(fmt.Sprintf("generating %d snapshots", n))
		run(bin("gen"), "-policy", "voice-agents", "-n", fmt.Sprint(n+1), "-seed", "42", "-edges=false", "-o", data)
	}
	return data
}

// sortedCopy is data with its rows in byte order of subject, then period:
// the generator numbers agents naturally (A-9999 before A-10000), so its
// output is in a few sorted stretches, not in payroll's order.
func sortedCopy(dir, data string) string {
	out := filepath.Join(dir, "sorted-"+filepath.Base(data))
	if _, err := os.Stat(out); err == nil {
		return out
	}
	step("sorting a copy of the input by subject and period")
	b, err := os.ReadFile(data)
	must(err)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	key := func(l string) string {
		parts := strings.SplitN(l, ",", 3)
		return parts[0] + "\x00" + parts[1]
	}
	body := lines[1:]
	slices.SortStableFunc(body, func(a, b string) int { return strings.Compare(key(a), key(b)) })
	must(os.WriteFile(out, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	return out
}

// policyWithoutTeam is a copy of the voice-agent policy whose team
// comparison divides by a constant instead of team.avg.aht: the same
// targets and work, without the statistics pass.
func policyWithoutTeam(dir, policy string) string {
	out := filepath.Join(dir, "voice-agents-noteam")
	must(os.MkdirAll(out, 0o755))
	entries, err := os.ReadDir(policy)
	must(err)
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".hcl") || strings.HasSuffix(e.Name(), ".test.hcl") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(policy, e.Name()))
		must(err)
		b = bytes.ReplaceAll(b, []byte("team.avg.aht"), []byte("300.0"))
		must(os.WriteFile(filepath.Join(out, e.Name()), b, 0o644))
	}
	return out
}

// measured is every case's runs, round by round, and each case's median
// run by wall time: on a virtual machine whose neighbours both slow it
// down and free it, the best of a few runs flatters whichever case was
// lucky.
type measured struct {
	rounds map[string][]result
	median map[string]result
}

// measureAll runs every case runs times, round by round, so that a slow
// spell of a shared machine falls on every case alike.
func measureAll(measureBin string, cases []bcase, runs int) *measured {
	m := &measured{rounds: map[string][]result{}, median: map[string]result{}}
	for r := 0; r < runs; r++ {
		for _, c := range cases {
			if c.prep != nil {
				c.prep()
			}
			step(c.name)
			res := measure(measureBin, c.args, c.env)
			if res.Exit != 0 {
				fail("%s exited %d", c.name, res.Exit)
			}
			m.rounds[c.name] = append(m.rounds[c.name], res)
		}
	}
	for name, rs := range m.rounds {
		rs = slices.Clone(rs)
		sort.Slice(rs, func(i, j int) bool { return rs[i].Wall < rs[j].Wall })
		m.median[name] = rs[(len(rs)-1)/2]
	}
	return m
}

// ratio is the median over rounds of a's wall time over b's in the same
// round.
func (m *measured) ratio(a, b string) float64 {
	return m.medianRatio(a, b, func(r result) float64 { return r.Wall })
}

// floorRatio is the median over rounds of a's wall time over b's plus
// floor's in the same round.
func (m *measured) floorRatio(a, b, floor string) float64 {
	var rs []float64
	for i, ra := range m.rounds[a] {
		rs = append(rs, ra.Wall/(m.rounds[b][i].Wall+m.rounds[floor][i].Wall))
	}
	slices.Sort(rs)
	return rs[(len(rs)-1)/2]
}

// cpuRatio is ratio of CPU time.
func (m *measured) cpuRatio(a, b string) float64 {
	return m.medianRatio(a, b, func(r result) float64 { return r.CPU })
}

func (m *measured) medianRatio(a, b string, of func(result) float64) float64 {
	var rs []float64
	for i, ra := range m.rounds[a] {
		rs = append(rs, of(ra)/of(m.rounds[b][i]))
	}
	slices.Sort(rs)
	return rs[(len(rs)-1)/2]
}

func table(cases []bcase, m *measured, base string) {
	fmt.Printf("| run | wall s | CPU s | peak RSS MiB | wall vs %s | steal |\n", strings.SplitN(base, " ", 2)[0])
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	for _, c := range cases {
		r := m.median[c.name]
		steal := "–"
		if r.Steal >= 0 {
			steal = fmt.Sprintf("%.0f%%", 100*r.Steal)
		}
		fmt.Printf("| %s | %.2f | %.2f | %.1f | %.2f× | %s |\n", c.name, r.Wall, r.CPU, r.RSS, m.ratio(c.name, base), steal)
	}
	fmt.Println("\n(steal: the share of the machine's CPU time its host gave to others during the median run, from /proc/stat)")
	fmt.Println()
}

func check(ok bool, format string, args ...any) {
	mark := "met"
	if !ok {
		mark = "MISSED"
	}
	fmt.Printf("- %s: %s\n", fmt.Sprintf(format, args...), mark)
}

func step(s string) { fmt.Fprintf(os.Stderr, "bench: %s\n", s) }

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(1)
}

func must(err error) {
	if err != nil {
		fail("%v", err)
	}
}

func run(name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fail("%s %s: %v", name, strings.Join(args, " "), err)
	}
}

func measure(measureBin string, args, env []string) result {
	var stderr bytes.Buffer
	cmd := exec.Command(measureBin, append([]string{"--"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = os.Stderr
	cmd.Stderr = &stderr
	before := cpuTimes()
	cmd.Run()
	after := cpuTimes()
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	var r result
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		fail("measure: %v\n%s", err, stderr.String())
	}
	r.Steal = -1
	if len(before) > 7 && len(after) == len(before) {
		var total float64
		for i := range after {
			total += after[i] - before[i]
		}
		if total > 0 {
			r.Steal = (after[7] - before[7]) / total
		}
	}
	return r
}

// cpuTimes is the machine's CPU time by kind (user, nice, system, idle,
// iowait, irq, softirq, steal, ...), from the first line of /proc/stat;
// nil where there is none. Steal is time the host gave the virtual
// machine's CPUs to others: the noise of a shared machine, in a figure.
func cpuTimes() []float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return nil
	}
	var out []float64
	for _, f := range fields[1:] {
		var v float64
		fmt.Sscan(f, &v)
		out = append(out, v)
	}
	return out
}

// sameRows compares two payroll files without their run_id column.
func sameRows(a, b string) bool {
	fa, err := os.Open(a)
	must(err)
	defer fa.Close()
	fb, err := os.Open(b)
	must(err)
	defer fb.Close()
	sa, sb := bufio.NewScanner(fa), bufio.NewScanner(fb)
	sa.Buffer(nil, 1<<20)
	sb.Buffer(nil, 1<<20)
	strip := func(s string) string {
		parts := strings.SplitN(s, ",", 3)
		if len(parts) < 3 {
			return s
		}
		return parts[0] + "," + parts[2]
	}
	for {
		ma, mb := sa.Scan(), sb.Scan()
		if ma != mb {
			return false
		}
		if !ma {
			return true
		}
		if strip(sa.Text()) != strip(sb.Text()) {
			return false
		}
	}
}
