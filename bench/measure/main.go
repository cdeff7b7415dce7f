//go:build unix

// The benchmark tools read getrusage: they run where it exists.

// Command measure runs a command and prints its wall time, CPU time (user +
// system) and peak resident set size as one JSON line, so the benchmark
// script needs nothing beyond Go.
//
//	go run ./bench/measure -- rubric payroll -p ... -i ... -o ...
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: measure -- command [args...]")
		os.Exit(2)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(2)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	res := map[string]any{
		"wall_s": wall.Seconds(),
		"cpu_s":  (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds(),
		"exit":   cmd.ProcessState.ExitCode(),
	}
	if ru != nil {
		res["max_rss_mib"] = float64(ru.Maxrss) / 1024 // Linux reports KiB
	}
	json.NewEncoder(os.Stderr).Encode(res)
	if err != nil {
		os.Exit(cmd.ProcessState.ExitCode())
	}
}
