package engine

import (
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/evaluator"
)

// TestStreamPanicIsAnError: a panic while evaluating (a bug) fails the run
// with the snapshot that caused it, and nothing more is written.
func TestStreamPanicIsAnError(t *testing.T) {
	p := inputTestPolicy(t)
	in := writeFile(t, "in.csv", "subject,period,handled,pay\nA1,2026-10,1,100\nA2,2026-10,2,100\nA3,2026-10,3,100\n")
	var written []byte
	_, err := p.Stream(Input{Name: in}, StreamOptions{Workers: 2}, func(o *evaluator.Outcome, buf []byte) []byte {
		if o.Snapshot.Subject == "A2" {
			panic("boom")
		}
		return append(buf, o.Snapshot.Subject...)
	}, func(b []byte) error { written = append(written, b...); return nil })
	if err == nil || !strings.Contains(err.Error(), "in.csv line 3 (A2 2026-10): boom") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(string(written), "A3") {
		t.Errorf("written after the panic: %q", written)
	}
}
