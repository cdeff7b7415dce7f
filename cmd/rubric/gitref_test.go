package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/diff"
)

func TestDiffGitRevision(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	repo := t.TempDir()
	run := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	run("init", "-q")
	pdir := filepath.Join(repo, "policies", "va")
	os.MkdirAll(pdir, 0o755)
	srcs, _ := dsl.ReadSources("../../policies/voice-agents")
	for _, s := range srcs {
		os.WriteFile(filepath.Join(pdir, filepath.Base(s.Name)), s.Bytes, 0o644)
	}
	run("add", ".")
	run("commit", "-q", "-m", "policy")
	b, _ := os.ReadFile(filepath.Join(pdir, "incentives.hcl"))
	os.WriteFile(filepath.Join(pdir, "incentives.hcl"), bytes.Replace(b, []byte("cap      = 900"), []byte("cap      = 600"), 1), 0o644)

	input, _ := filepath.Abs("../../fixtures/voice-agents/snapshots.csv")
	t.Chdir(repo)
	oldP, diags, _, err := loadRef("HEAD:policies/va")
	if err != nil || diags.HasErrors() {
		t.Fatal(err, diags)
	}
	newP, _, _, err := loadRef("policies/va")
	if err != nil {
		t.Fatal(err)
	}
	if oldP.Rules().Digest == newP.Rules().Digest {
		t.Fatal("same digest for different text")
	}
	rep, _, err := diff.Compare(oldP, newP, engine.Input{Name: input}, diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Incentives[1].Delta == "0.00" || rep.Subjects.Lose == 0 {
		t.Errorf("lowering the cap changed nothing: %+v", rep.Incentives)
	}
	if _, _, _, err := loadRef("HEAD:policies/nope"); err == nil {
		t.Error("a missing path at a revision loaded")
	}
}

// TestLoadRefNonASCII: a policy file with a non-ASCII name is read from a
// git revision too.
func TestLoadRefNonASCII(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	repo := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	dir := filepath.Join(repo, "pol")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "policy.hcl"), []byte("policy \"p\" {\n  version = \"1\"\n}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "métriques.hcl"), []byte("metric \"m\" { better = \"higher\" }\n"), 0o644)
	run("init", "-q")
	run("add", ".")
	run("commit", "-q", "-m", "x")
	t.Chdir(repo)
	p, diags, srcs, err := loadRef("HEAD:pol")
	if err != nil || diags.HasErrors() {
		t.Fatal(err, diags)
	}
	if len(srcs) != 2 || len(p.Rules().Metrics) != 1 {
		t.Errorf("%d files, %d metrics; want 2 and 1", len(srcs), len(p.Rules().Metrics))
	}
}
