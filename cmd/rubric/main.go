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
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rubric-dev/rubric/engine"
)

// Exit codes (SPEC §8).
const (
	exitOK    = 0
	exitFail  = 1 // invalid policy, bad input, failing tests
	exitUsage = 2 // usage errors and unreadable files
	// exitBrokenPipe: standard output was closed by its reader (rubric eval
	// | head), as a process that SIGPIPE ends reports it.
	exitBrokenPipe = 141
)

func main() {
	// rubric streams: its live memory is small and does not grow with the
	// input, so the collector's default pacing (the heap may reach twice
	// what is live) bounds memory by design. The soft limit is a safety
	// net far above that, never near the live heap for long: a limit close
	// to it (64 MiB until 2026-11) makes the collector run constantly at
	// scale (docs/performance.md). GOMEMLIMIT overrides it. The first
	// moments of a run are paced apart (startupGC).
	startupGC()
	// Interrupted, terminated or hung up on (a closed terminal or SSH
	// session), rubric leaves no temporary file behind: spill files hold
	// snapshot values (serve handles these signals itself, to shut down
	// gracefully). A
	// write to a closed pipe (rubric eval … | head) returns an error
	// instead of killing the process, so the same clean-up runs.
	if len(os.Args) < 2 || os.Args[1] != "serve" {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
		go func() {
			s := <-sigs
			engine.RemoveTemporaries()
			code := 130
			switch s {
			case syscall.SIGTERM:
				code = 143
			case syscall.SIGHUP:
				code = 129
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

// loadsPolicy are the commands that load a policy through the engine's
// default environment: it is prepared on another core while the command
// line is parsed and the policy files are read.
var loadsPolicy = map[string]bool{"eval": true, "explain": true, "payroll": true, "validate": true, "test": true,
	"diff": true, "calibrate": true, "trend": true, "report": true}

// env is what a command may touch: its streams. Only package main prints
// or exits.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	cleanups       []func() // run when the command ends (temporary files)
	// rolledUp names, by the temporary file holding them, the snapshots
	// --rollup counted: errors about them name the rows they came from.
	rolledUp map[string]string
}

// exitError carries an exit code out of a cobra command.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// usageErr is a usage error (exit 2), unless one of args is an error that
// fails the run instead (exit 1): a period selection with no snapshot.
func usageErr(format string, args ...any) error {
	code := exitUsage
	for _, a := range args {
		var es *engine.EmptySelectionError
		if err, ok := a.(error); ok && errors.As(err, &es) {
			code = exitFail
		}
	}
	return &exitError{code: code, msg: fmt.Sprintf(format, args...)}
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
	if len(args) > 0 && loadsPolicy[args[0]] {
		engine.Prepare()
		engine.ReadAhead(policyArg(args[1:]))
		defer engine.ReadAhead("")
	}
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "rubric",
		Short: "Targets, scorecards and incentive pay as policy files you can review, test and diff",
		Long: `rubric evaluates contact-centre and help-desk targets, scorecards, breaches
and incentives, written as HCL policy files with CEL or expr expressions,
over metric snapshots (one subject, one period), and explains every number.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       engine.Version(),
	}
	root.SetVersionTemplate(versionText())
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageErr("%v", err) })
	root.AddCommand(validateCmd(e), evalCmd(e), explainCmd(e), payrollCmd(e), testCmd(e), fmtCmd(e), diffCmd(e), calibrateCmd(e), trendCmd(e), reportCmd(e), rollupCmd(e), serveCmd(e), healthcheckCmd(e), versionCmd(e))
	err := root.Execute()
	for _, f := range e.cleanups {
		f()
	}
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

// Starting up (package initialisation, compiling a policy: CEL's parser
// above all) allocates several MiB in a few milliseconds: at the
// collector's default pace that is a collection or two before the first
// row is read, and a small run ends soon after. For the first startupPace
// of a run the collector runs at a quarter of that pace, its heap capped
// at startupHeap, then at the usual one, which bounds a long run's memory
// (GOGC and GOMEMLIMIT, when set, are left alone).
const (
	startupPace = 100 * time.Millisecond
	startupHeap = 64 << 20
	steadyLimit = 1 << 30 // a safety net far above the live heap (see main)
)

var steadyOnce sync.Once

func startupGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(startupHeap)
	}
	time.AfterFunc(startupPace, steadyGC)
}

// steadyGC restores the collector's usual pace; serve calls it once it
// is listening.
func steadyGC() {
	steadyOnce.Do(func() {
		if os.Getenv("GOGC") == "" {
			debug.SetGCPercent(100)
		}
		if os.Getenv("GOMEMLIMIT") == "" {
			debug.SetMemoryLimit(steadyLimit)
		}
	})
}

// policyArg returns the value of the first --policy (-p) flag in args, or
// "": the policy is read and parsed on another core (engine.ReadAhead)
// while the command line is set up. A flag this misses, or a value that
// turns out not to be the policy's, costs only that: the load reads the
// policy it is given.
func policyArg(args []string) string {
	for i, a := range args {
		switch {
		case a == "--":
			return ""
		case (a == "-p" || a == "--policy") && i+1 < len(args):
			return args[i+1]
		case strings.HasPrefix(a, "--policy="):
			return a[len("--policy="):]
		case strings.HasPrefix(a, "-p="):
			return a[len("-p="):]
		}
	}
	return ""
}
