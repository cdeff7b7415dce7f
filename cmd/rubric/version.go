package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rubric-dev/rubric/engine"
)

func versionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print rubric's version, commit, Go version and platform",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			fmt.Fprint(e.stdout, versionText())
			return nil
		},
	}
}

// commit and date are set by a release build (-ldflags "-X main.commit=…
// -X main.date=…", scripts/release.sh); otherwise the build information
// of the module says them when it was built from a git checkout.
var commit, date string

// versionText is what "rubric version" and "rubric --version" print: the
// engine's version, then the build's commit and time (from the module's
// build information; "unknown" outside a git checkout), the Go version
// and the platform.
func versionText() string {
	rev, built, dirty := "unknown", "unknown", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				built = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = " (modified)"
				}
			}
		}
	}
	if commit != "" { // a release build says it
		rev, dirty = commit, ""
	}
	if date != "" {
		built = date
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rubric %s\n", engine.Version())
	fmt.Fprintf(&b, "commit: %s%s\n", rev, dirty)
	fmt.Fprintf(&b, "built: %s\n", built)
	fmt.Fprintf(&b, "go: %s\n", runtime.Version())
	fmt.Fprintf(&b, "platform: %s/%s\n", runtime.GOOS, runtime.GOARCH)
	return b.String()
}
