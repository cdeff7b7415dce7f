// Command run is rubric's benchmark: on one machine, in one go, it runs the
// hand-written baseline, `rubric payroll` and `rubric eval --format ndjson`
// over the same generated voice-agent snapshots, checks that rubric's payroll
// rows equal the baseline's, and prints wall time, CPU time and peak RSS of
// each with the ratios the performance targets are stated in.
//
//	go run ./bench/run -n 1000000
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
	"strings"
)

type result struct {
	Wall float64 `json:"wall_s"`
	CPU  float64 `json:"cpu_s"`
	RSS  float64 `json:"max_rss_mib"`
	Exit int     `json:"exit"`
}

func main() {
	n := flag.Int("n", 1000000, "snapshots to generate")
	dir := flag.String("dir", filepath.Join(os.TempDir(), "rubric-bench"), "work directory")
	runs := flag.Int("runs", 1, "repetitions (the best wall time of each is kept)")
	flag.Parse()
	must(os.MkdirAll(*dir, 0o755))
	bin := func(name string) string { return filepath.Join(*dir, name) }
	step("building")
	for _, b := range [][2]string{{"rubric", "./cmd/rubric"}, {"baseline", "./bench/baseline"}, {"measure", "./bench/measure"}, {"gen", "./fixtures/gen"}} {
		run("go", "build", "-o", bin(b[0]), b[1])
	}
	data := filepath.Join(*dir, fmt.Sprintf("voice-agents-%d.csv", *n))
	if _, err := os.Stat(data); err != nil {
		step(fmt.Sprintf("generating %d snapshots", *n))
		run(bin("gen"), "-policy", "voice-agents", "-n", fmt.Sprint(*n+1), "-seed", "42", "-edges=false", "-o", data)
	}
	policy := "policies/voice-agents"
	cases := []struct {
		name string
		args []string
	}{
		{"baseline (hand-written Go)", []string{bin("baseline"), "-i", data, "-o", filepath.Join(*dir, "baseline.csv"), "-policy", policy}},
		{"rubric payroll", []string{bin("rubric"), "payroll", "-p", policy, "-i", data, "-o", filepath.Join(*dir, "payroll"), "--force"}},
		{"rubric eval --format ndjson", []string{bin("rubric"), "eval", "-p", policy, "-i", data, "--format", "ndjson", "-o", filepath.Join(*dir, "outcomes.ndjson")}},
	}
	results := make([]result, len(cases))
	for r := 0; r < *runs; r++ {
		for i, c := range cases {
			if i == 1 {
				os.RemoveAll(filepath.Join(*dir, "payroll"))
			}
			step(c.name)
			res := measure(bin("measure"), c.args)
			if res.Exit != 0 {
				fail("%s exited %d", c.name, res.Exit)
			}
			if r == 0 || res.Wall < results[i].Wall {
				results[i] = res
			}
		}
	}
	step("checking that rubric's payroll rows equal the baseline's")
	same := sameRows(filepath.Join(*dir, "baseline.csv"), filepath.Join(*dir, "payroll", "payroll.csv"))

	base, pay, eval := results[0], results[1], results[2]
	fmt.Printf("\n%d voice-agent snapshots, %d CPUs, %s/%s, %s\n\n", *n, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Println("| run | wall s | CPU s | peak RSS MiB | wall vs baseline |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for i, c := range cases {
		fmt.Printf("| %s | %.2f | %.2f | %.1f | %.2f× |\n", c.name, results[i].Wall, results[i].CPU, results[i].RSS, results[i].Wall/base.Wall)
	}
	fmt.Println()
	check := func(ok bool, format string, args ...any) {
		mark := "met"
		if !ok {
			mark = "MISSED"
		}
		fmt.Printf("- %s: %s\n", fmt.Sprintf(format, args...), mark)
	}
	check(pay.Wall <= base.Wall, "rubric payroll wall ≤ 1.0× baseline (%.2f×)", pay.Wall/base.Wall)
	check(pay.RSS <= 100 && eval.RSS <= 100, "peak RSS ≤ 100 MiB (payroll %.1f, eval %.1f)", pay.RSS, eval.RSS)
	check(eval.Wall <= 3*pay.Wall, "rubric eval --format ndjson ≤ 3× payroll (%.2f×)", eval.Wall/pay.Wall)
	check(same, "payroll rows identical to the baseline's (run_id aside)")
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

func measure(measureBin string, args []string) result {
	var stderr bytes.Buffer
	cmd := exec.Command(measureBin, append([]string{"--"}, args...)...)
	cmd.Stdout = os.Stderr
	cmd.Stderr = &stderr
	cmd.Run()
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	var r result
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		fail("measure: %v\n%s", err, stderr.String())
	}
	return r
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
