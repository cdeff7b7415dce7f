package engine

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/dsl"
)

// changedVoicePolicy is the voice-agent policy with one text replaced.
func changedVoicePolicy(t *testing.T, old, new string) *Policy {
	t.Helper()
	srcs, err := dsl.ReadSources("../policies/voice-agents")
	if err != nil {
		t.Fatal(err)
	}
	changed := false
	for i := range srcs {
		if bytes.Contains(srcs[i].Bytes, []byte(old)) {
			srcs[i].Bytes = bytes.Replace(srcs[i].Bytes, []byte(old), []byte(new), 1)
			changed = true
		}
	}
	if !changed {
		t.Fatalf("%q not found", old)
	}
	p, diags := LoadSources("changed", srcs)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

// TestDiffTotals changes one tier multiplier and checks the reported total
// delta against the sum of per-subject amounts of two separate eval runs.
func TestDiffTotals(t *testing.T) {
	input := "../fixtures/voice-agents/snapshots.csv"
	oldP := mustLoad(t, "../policies/voice-agents")
	newP := changedVoicePolicy(t, "multiplier = 1.5", "multiplier = 2.0")
	rep, res, err := Diff(oldP, newP, Input{Name: input}, DiffOptions{})
	if err != nil || res.Failed() {
		t.Fatal(err, res)
	}
	sum := func(p *Policy) (map[string]*apd.Decimal, map[string]string) {
		tot := map[string]*apd.Decimal{}
		status := map[string]string{}
		for _, o := range evalToMaps(t, p, input) {
			for name, v := range o["incentives"].(map[string]any) {
				iv := v.(map[string]any)
				if a, ok := iv["amount"].(string); ok {
					addAmount(t, tot, name, a)
				}
				status[o["subject"].(string)+" "+name] = iv["status"].(string)
			}
		}
		return tot, status
	}
	oldTot, _ := sum(oldP)
	newTot, _ := sum(newP)
	for _, id := range rep.Incentives {
		d := new(apd.Decimal)
		apd.BaseContext.WithPrecision(50).Sub(d, newTot[id.Incentive], oldTot[id.Incentive])
		got, _, _ := apd.NewFromString(id.Delta)
		if got.Cmp(d) != 0 || id.Old != oldTot[id.Incentive].Text('f') || id.New != newTot[id.Incentive].Text('f') {
			t.Errorf("%s: old %s new %s delta %s; eval says %s, %s, %s", id.Incentive, id.Old, id.New, id.Delta, oldTot[id.Incentive].Text('f'), newTot[id.Incentive].Text('f'), d.Text('f'))
		}
	}
	bonus := rep.Incentives[1]
	if bonus.Incentive != "monthly_bonus" || bonus.Delta == "0.00" || bonus.Percent == nil || *bonus.Percent <= 0 {
		t.Fatalf("%+v", bonus)
	}
	if rep.Subjects.Lose != 0 || rep.Subjects.Gain == 0 || rep.Subjects.Gain+rep.Subjects.Unchanged != rep.Snapshots {
		t.Errorf("subjects %+v of %d", rep.Subjects, rep.Snapshots)
	}
	if m := rep.MaxChange(); m != *bonus.Percent || m < 1 {
		t.Errorf("max change %v", m)
	}
	if len(rep.Largest) != 10 || rep.Largest[0].OldWhy == rep.Largest[0].NewWhy {
		t.Errorf("largest: %+v", rep.Largest)
	}
}

// TestDiffTransitions raises the tenure gate: the status transitions must
// match those counted from two eval runs.
func TestDiffTransitions(t *testing.T) {
	input := "../fixtures/voice-agents/snapshots.csv"
	oldP := mustLoad(t, "../policies/voice-agents")
	newP := changedVoicePolicy(t, `when = "tenure_days >= 90"`, `when = "tenure_days >= 1000"`)
	rep, _, err := Diff(oldP, newP, Input{Name: input}, DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[[2]string]int{}
	olds, news := evalToMaps(t, oldP, input), evalToMaps(t, newP, input)
	for i := range olds {
		o := olds[i]["incentives"].(map[string]any)["monthly_bonus"].(map[string]any)["status"].(string)
		n := news[i]["incentives"].(map[string]any)["monthly_bonus"].(map[string]any)["status"].(string)
		if o != n {
			want[[2]string{o, n}]++
		}
	}
	got := map[[2]string]int{}
	for _, tr := range rep.Statuses {
		if tr.Rule != "monthly_bonus" {
			t.Errorf("unexpected transition %+v", tr)
		}
		got[[2]string{tr.From, tr.To}] = tr.Count
	}
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s → %s: %d, want %d", k[0], k[1], got[k], n)
		}
	}
	if rep.Subjects.Gain != 0 || rep.Subjects.Lose == 0 || len(rep.Bands) != 0 || len(rep.Targets) != 0 {
		t.Errorf("subjects %+v bands %v targets %v", rep.Subjects, rep.Bands, rep.Targets)
	}
}

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
	srcs, _ := dsl.ReadSources("../policies/voice-agents")
	for _, s := range srcs {
		os.WriteFile(filepath.Join(pdir, filepath.Base(s.Name)), s.Bytes, 0o644)
	}
	run("add", ".")
	run("commit", "-q", "-m", "policy")
	b, _ := os.ReadFile(filepath.Join(pdir, "incentives.hcl"))
	os.WriteFile(filepath.Join(pdir, "incentives.hcl"), bytes.Replace(b, []byte("cap      = 900"), []byte("cap      = 600"), 1), 0o644)

	wd, _ := os.Getwd()
	input, _ := filepath.Abs("../fixtures/voice-agents/snapshots.csv")
	os.Chdir(repo)
	defer os.Chdir(wd)
	oldP, diags, _, err := LoadRef("HEAD:policies/va")
	if err != nil || diags.HasErrors() {
		t.Fatal(err, diags)
	}
	newP, _, _, err := LoadRef("policies/va")
	if err != nil {
		t.Fatal(err)
	}
	if oldP.Rules.Digest == newP.Rules.Digest {
		t.Fatal("same digest for different text")
	}
	rep, _, err := Diff(oldP, newP, Input{Name: input}, DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Incentives[1].Delta == "0.00" || rep.Subjects.Lose == 0 {
		t.Errorf("lowering the cap changed nothing: %+v", rep.Incentives)
	}
	if _, _, _, err := LoadRef("HEAD:policies/nope"); err == nil {
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
	p, diags, srcs, err := LoadRef("HEAD:pol")
	if err != nil || diags.HasErrors() {
		t.Fatal(err, diags)
	}
	if len(srcs) != 2 || len(p.Rules.Metrics) != 1 {
		t.Errorf("%d files, %d metrics; want 2 and 1", len(srcs), len(p.Rules.Metrics))
	}
}

func addAmount(t *testing.T, sums map[string]*apd.Decimal, key, amount string) {
	t.Helper()
	if sums[key] == nil {
		sums[key] = new(apd.Decimal)
	}
	if amount == "" {
		return
	}
	d, _, err := apd.NewFromString(amount)
	if err != nil {
		t.Fatal(err)
	}
	apd.BaseContext.WithPrecision(50).Add(sums[key], sums[key], d)
}
