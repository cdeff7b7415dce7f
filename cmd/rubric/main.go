// Command rubric validates policies, evaluates metric snapshots against
// them and explains the outcomes. Run "rubric help" for the commands.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rubric-dev/rubric/engine"
)

// Exit codes (SPEC §8).
const (
	exitOK    = 0
	exitFail  = 1 // invalid policy, bad input, failing tests
	exitUsage = 2 // usage errors and unreadable files
)

func main() {
	// rubric streams: its live memory is small and does not grow with the
	// input, so the collector's default pacing (the heap may reach twice
	// what is live) bounds memory by design. The soft limit is a safety
	// net far above that, never near the live heap: a limit close to it
	// (64 MiB until 2026-11) makes the collector run constantly at scale
	// (docs/performance.md). GOMEMLIMIT overrides it.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(1 << 30)
	}
	startupGC()
	// Interrupted or terminated, rubric leaves no temporary file behind
	// (serve handles these signals itself, to shut down gracefully). A
	// write to a closed pipe (rubric eval … | head) returns an error
	// instead of killing the process, so the same clean-up runs.
	if len(os.Args) < 2 || os.Args[1] != "serve" {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
		go func() {
			s := <-sigs
			engine.RemoveTemporaries()
			code := 130
			if s == syscall.SIGTERM {
				code = 143
			}
			os.Exit(code)
		}()
	}
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	// RUBRIC_CPUPROFILE=FILE writes a CPU profile of the run (see
	// docs/performance.md).
	if path := os.Getenv("RUBRIC_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if err := pprof.StartCPUProfile(f); err != nil {
				fmt.Fprintf(os.Stderr, "rubric: RUBRIC_CPUPROFILE: %v\n", err)
			}
			code := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(code)
		}
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// env is what a command may touch: its streams. Only package main prints
// or exits.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// exitError carries an exit code out of a cobra command.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, msg: fmt.Sprintf(format, args...)}
}

// fail returns an error with exit code 1 whose message has already been
// printed (msg "") or should be.
func fail(msg string) error { return &exitError{code: exitFail, msg: msg} }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "rubric: internal error: %v\nThis is a bug in rubric; please report it with the command and its input.\n", r)
			code = exitFail
		}
	}()
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "rubric",
		Short: "Targets, scorecards and incentive pay as policy files you can review, test and diff",
		Long: `rubric evaluates contact-centre and help-desk targets, scorecards, breaches
and incentives, written as HCL policy files with CEL or expr expressions,
over metric snapshots (one subject, one period), and explains every number.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageErr("%v", err) })
	root.AddCommand(validateCmd(e), evalCmd(e), explainCmd(e), payrollCmd(e), testCmd(e), fmtCmd(e), diffCmd(e), calibrateCmd(e), trendCmd(e), reportCmd(e), serveCmd(e), versionCmd(e))
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var xe *exitError
	if errors.As(err, &xe) {
		if xe.msg != "" {
			fmt.Fprintln(stderr, "rubric:", xe.msg)
		}
		return xe.code
	}
	// cobra's own errors: unknown command or flag, wrong argument count.
	fmt.Fprintln(stderr, "rubric:", err)
	return exitUsage
}

// Compiling a policy allocates several MiB in a few milliseconds (CEL's
// parser above all): at the collector's default pace that is several
// collections before the first row is read, a fifth of a small run's time.
// Until the policy is loaded the collector runs at a quarter of that pace,
// then at the usual one, which bounds a long run's memory (GOGC, when set,
// is left alone).
func startupGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

// steadyGC restores the collector's pace once the policy is loaded.
func steadyGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(100)
	}
}
