package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds rubric once for the tests that run it as a process.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rubric-bin-*")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "rubric")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// TestInterruptLeavesNoTemporaries: SIGINT, SIGTERM and SIGHUP during a run leave
// no temporary file or directory behind.
func TestInterruptLeavesNoTemporaries(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no POSIX signals to send a process")
	}
	bin := binary(t)
	// A large input, so that the run is still going when the signal comes.
	var b strings.Builder
	b.WriteString("subject,period,team,tenure_days,base_pay,handled,aht,resolved_first,surveys,satisfied,adherence,qa_autofails,days_worked\n")
	for i := 0; i < 300000; i++ {
		fmt.Fprintf(&b, "A-%d,2026-10,north,400,3000,300,280,240,40,36,0.92,0,31\n", i)
	}
	policy, _ := filepath.Abs("../../policies/voice-agents")
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		for _, args := range [][]string{{"eval", "--format", "ndjson", "-o", "out.ndjson"}, {"payroll", "-o", "export"}} {
			t.Run(sig.String()+" "+args[0], func(t *testing.T) {
				work := t.TempDir()
				tmpdir := t.TempDir()
				in := filepath.Join(work, "in.csv")
				os.WriteFile(in, []byte(b.String()), 0o644)
				cmd := exec.Command(bin, append([]string{args[0], "-p", policy, "-i", in}, args[1:]...)...)
				cmd.Dir = work
				cmd.Env = append(os.Environ(), "TMPDIR="+tmpdir)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(300 * time.Millisecond)
				cmd.Process.Signal(sig)
				err := cmd.Wait()
				if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 128+int(sig) {
					t.Errorf("exit: %v (want %d: the signal must arrive during the run)", err, 128+int(sig))
				}
				for _, dir := range []string{work, tmpdir} {
					entries, _ := os.ReadDir(dir)
					for _, e := range entries {
						if e.Name() != "in.csv" && !(e.Name() == "out.ndjson" || e.Name() == "export") {
							t.Errorf("left behind in %s: %s", dir, e.Name())
						}
					}
				}
			})
		}
	}
}

// TestBrokenPipeExit: a reader that closes standard output early
// (rubric eval | head) ends the run quietly with 141, as a process SIGPIPE
// ends, not with the exit code of bad input.
func TestBrokenPipeExit(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGPIPE convention on Windows")
	}
	bin := binary(t)
	policy, _ := filepath.Abs("../../policies/voice-agents")
	data, _ := filepath.Abs("../../fixtures/voice-agents/snapshots.csv")
	cmd := exec.Command(bin, "eval", "-p", policy, "-i", data)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	io.ReadFull(out, buf)
	out.Close()
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 141 {
		t.Errorf("exit: %v, want 141", err)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr: %q", stderr.String())
	}
}
