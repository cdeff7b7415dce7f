package rollup_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/testkit"
	"github.com/rubric-dev/rubric/engine/rollup"
)

// FuzzRollup: whatever the rows, a rollup ends with snapshots or bad
// input reported, never a panic, and spilling after every few groups or
// counting on one worker gives the same bytes.
func FuzzRollup(f *testing.F) {
	text, _ := rows(50)
	f.Add(text)
	f.Add("agent,queue,at,answered,talk,wait\nA,q,2026-10-01 10:00:00,y,1:00,1.5\nA,q,2026-10-01T10:00:00Z,n,,\n")
	f.Add("agent,queue,at,answered,talk,wait\n\"A, B\",\"q\"\"x\",2026-02-29 10:00:00,Y,99:59:59,1e3\n")
	f.Add("agent,at\nA,2026-10-01\n,2026-10-01\nB,\n")
	p := testkit.LoadSource(f, "p.hcl", strings.Replace(policy, "LANG", "cel", 1))
	f.Fuzz(func(t *testing.T, text string) {
		run := func(opts rollup.Options) (string, bool) {
			var out bytes.Buffer
			res, err := rollup.Run(p, engine.Input{Name: "-", Format: "csv", Stdin: strings.NewReader(text)}, &out, opts)
			if err != nil {
				return err.Error(), false
			}
			if res.Failed() {
				return "", false
			}
			return out.String(), true
		}
		a, okA := run(rollup.Options{})
		b, okB := run(rollup.Options{Workers: 1, SortMemory: 512})
		if okA != okB || okA && a != b {
			t.Fatalf("in memory on every core: %v %q\none worker, spilling: %v %q", okA, a, okB, b)
		}
	})
}
