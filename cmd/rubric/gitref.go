package main

// Policies as of a git revision: REV:PATH arguments of diff.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine"
)

// loadRef loads a policy from a path, or from REV:PATH, the policy as of a
// git revision (read with git show, so CI can diff against main without a
// second checkout).
func loadRef(arg string) (*engine.Policy, hcl.Diagnostics, []dsl.Source, error) {
	rev, path, isRev := splitRev(arg)
	if !isRev {
		srcs, err := dsl.ReadSources(arg)
		if err != nil {
			return nil, nil, nil, err
		}
		p, diags := engine.LoadSources(arg, srcs)
		return p, diags, srcs, nil
	}
	srcs, err := gitSources(rev, path)
	if err != nil {
		return nil, nil, nil, err
	}
	p, diags := engine.LoadSources(arg, srcs)
	return p, diags, srcs, nil
}

func splitRev(arg string) (rev, path string, ok bool) {
	if _, err := os.Stat(arg); err == nil {
		return "", arg, false
	}
	i := strings.Index(arg, ":")
	if i <= 0 {
		return "", arg, false
	}
	return arg[:i], arg[i+1:], true
}

func git(args ...string) (string, error) {
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return "", fmt.Errorf("git %s: %s", strings.Join(args, " "), strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("git %s: %v", strings.Join(args, " "), err)
	}
	return string(out), nil
}

// gitSources reads a policy directory or file as of a revision. The
// sources are named REV:PATH/file so diagnostics say where they come from.
func gitSources(rev, path string) ([]dsl.Source, error) {
	p := "./" + filepath.ToSlash(filepath.Clean(path))
	kind, err := git("cat-file", "-t", rev+":"+p)
	if err != nil {
		return nil, err
	}
	var files []string
	switch strings.TrimSpace(kind) {
	case "blob":
		files = []string{p}
	case "tree":
		// -z: names as they are, NUL-separated (without it git quotes
		// names with non-ASCII characters, and those files were lost).
		list, err := git("ls-tree", "-z", "--name-only", rev, p+"/")
		if err != nil {
			return nil, err
		}
		for _, f := range strings.Split(list, "\x00") {
			if f != "" && dsl.IsPolicyFile(filepath.Base(f)) {
				files = append(files, "./"+filepath.ToSlash(f))
			}
		}
	default:
		return nil, fmt.Errorf("%s:%s is a %s, not a policy", rev, path, strings.TrimSpace(kind))
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s:%s has no policy files", rev, path)
	}
	sort.Strings(files)
	var out []dsl.Source
	for _, f := range files {
		b, err := git("show", rev+":"+f)
		if err != nil {
			return nil, err
		}
		out = append(out, dsl.Source{Name: rev + ":" + strings.TrimPrefix(f, "./"), Bytes: []byte(b)})
	}
	return out, nil
}
