package payroll

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rubric-dev/rubric/engine"
)

// BenchmarkPayroll100k pays 100k generated voice-agent snapshots: ns/op is
// per run of 100k (the eval side is engine's BenchmarkEndToEnd100k).
func BenchmarkPayroll100k(b *testing.B) {
	path := filepath.Join(os.TempDir(), "rubric-bench-voice-100000.csv")
	if _, err := os.Stat(path); err != nil {
		cmd := exec.Command("go", "run", "../../fixtures/gen", "-policy", "voice-agents", "-n", "100001", "-seed", "42", "-edges=false", "-o", path)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
	}
	p, diags, err := engine.Load("../../policies/voice-agents")
	if err != nil || diags.HasErrors() {
		b.Fatal(err, diags)
	}
	for i := 0; i < b.N; i++ {
		res, err := Run(p, engine.Input{Name: path}, Options{Dir: filepath.Join(b.TempDir(), fmt.Sprint(i)), Force: true})
		if err != nil || res.Failed() {
			b.Fatal(err, res)
		}
	}
}
