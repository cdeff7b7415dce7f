package engine

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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

// TestEvalToRegularFile: standard output redirected to a file is written
// directly; a run that fails on bad input cuts it back to what it held
// before, and a good run writes the same bytes as through a buffer.
func TestEvalToRegularFile(t *testing.T) {
	p := inputTestPolicy(t)
	good := writeFile(t, "good.csv", "subject,period,handled,pay\nA1,2026-10,1,100\nA2,2026-10,2,100\n")
	// Enough good rows before the bad one that outcomes reach the file
	// before the bad row is read.
	var rows strings.Builder
	rows.WriteString("subject,period,handled,pay\n")
	for i := range 5000 {
		fmt.Fprintf(&rows, "A%d,2026-10,%d,100\n", i, i)
	}
	rows.WriteString("B1,2026-10,many,100\n")
	bad := writeFile(t, "bad.csv", rows.String())
	var want bytes.Buffer
	if _, err := p.Eval(Input{Name: good}, Output{W: &want}, EvalOptions{}); err != nil || want.Len() == 0 {
		t.Fatalf("eval to a buffer: %v, %d bytes", err, want.Len())
	}
	for _, tc := range []struct {
		name, input, want string
		failed, appending bool
	}{
		{"good input", good, "before\n" + want.String(), false, false},
		{"bad input", bad, "before\n", true, false},
		// Opened for appending (>>): the offset is 0 while the file holds
		// "before"; a failed run must not cut it to nothing.
		{"bad input, appending", bad, "before\n", true, true},
		{"good input, appending", good, "before\n" + want.String(), false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.ndjson")
			if err := os.WriteFile(path, []byte("before\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			flags := os.O_WRONLY
			if tc.appending {
				flags |= os.O_APPEND
			}
			f, err := os.OpenFile(path, flags, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if !tc.appending {
				f.Seek(0, io.SeekEnd)
			}
			res, err := p.Eval(Input{Name: tc.input}, Output{W: f}, EvalOptions{})
			if err != nil || res.Failed() != tc.failed {
				t.Fatalf("err %v, failed %v", err, res != nil && res.Failed())
			}
			f.WriteString("after\n")
			got, _ := os.ReadFile(path)
			if diff := cmp.Diff(tc.want+"after\n", string(got)); diff != "" {
				t.Errorf("file (-want +got):\n%s", diff)
			}
		})
	}
}
