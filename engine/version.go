package engine

// sourceVersion is the engine's version as written in the source. It is
// part of every payroll run_id, so it changes with any release that could
// change a number. It never depends on how the binary was built: the
// executable's bytes and the build's VCS stamp differ between `go run`,
// `go build` and `go install` of the same source, and a rerun of the same
// export must be recognised as the same run.
const sourceVersion = "0.10.0"

// version is set at release builds:
//
//	go build -ldflags "-X github.com/rubric-dev/rubric/engine.version=v1.2.3" ./cmd/rubric
var version string

// Version is the engine's version: the release version when set at build
// time, else the source version.
func Version() string {
	if version != "" {
		return version
	}
	return sourceVersion
}
