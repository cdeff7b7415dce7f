package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the scripts run rubric as a command of the test binary
// itself: "exec rubric ..." runs main's run, in a process of its own, with
// real standard streams, exit codes and signals.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"rubric": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the command-line scripts in testdata/script (txtar:
// commands, then the files they use). $POLICIES and $FIXTURES are the
// repository's example policies and data.
func TestScripts(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			e.Setenv("POLICIES", filepath.Join(root, "policies"))
			e.Setenv("FIXTURES", filepath.Join(root, "fixtures"))
			return nil
		},
	})
}
