package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"runtime/debug"
	"sync"
)

// version is set at release builds:
//
//	go build -ldflags "-X github.com/rubric-dev/rubric/engine.version=v1.2.3" ./cmd/rubric
var version string

var versionOnce = sync.OnceValue(computeVersion)

// Version is the engine's version: the release version when set at build
// time, else the module version, else the VCS revision (with "+dirty" for
// uncommitted changes), else "devel+" and a hash of the executable, so that
// a changed engine never passes for the same one (it is part of a payroll
// run_id).
func Version() string { return versionOnce() }

func computeVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "+dirty"
				}
			}
		}
		if rev != "" && dirty == "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			return "devel-" + rev
		}
	}
	if exe, err := os.Executable(); err == nil {
		if f, err := os.Open(exe); err == nil {
			defer f.Close()
			h := sha256.New()
			if _, err := io.Copy(h, f); err == nil {
				return "devel+" + hex.EncodeToString(h.Sum(nil))[:12]
			}
		}
	}
	return "devel"
}
