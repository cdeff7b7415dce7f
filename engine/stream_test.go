package engine

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
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

// TestDuplicatesFoundLate: past memKeys keys the duplicate check moves to
// disk and finds duplicates at the end of the input. The run fails with
// the same errors, in line order, merged with the other bad rows and cut
// at MaxErrors, as when every key is checked in memory; nothing is
// written, and no check file is left behind.
func TestDuplicatesFoundLate(t *testing.T) {
	p := inputTestPolicy(t)
	var in strings.Builder
	in.WriteString("subject,period,aht,handled,pay\n")
	for i := range 40 {
		fmt.Fprintf(&in, "A%d,2026-10,280,10,100\n", i)
		switch i {
		case 2:
			in.WriteString("A1,2026-10,280,10,100\n") // a duplicate while in memory
		case 20:
			in.WriteString("A3,2026-10,280,10,100\n") // of a key that was in memory
			in.WriteString("B,2026-10,fast,10,100\n") // a bad value
		case 30:
			in.WriteString("A25,2026-10,280,10,100\n") // of a key on disk
		}
	}
	in.WriteString("B,2026-10,281,10,100\n") // its first row was bad: not a duplicate
	path := writeFile(t, "in.csv", in.String())
	run := func(keys, maxErrors int) []string {
		t.Helper()
		defer func(n int) { memKeys = n }(memKeys)
		memKeys = keys
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		outPath := filepath.Join(t.TempDir(), "out.csv")
		res, err := p.Eval(Input{Name: path}, Output{Path: outPath}, EvalOptions{Format: OutCSV, StreamOptions: StreamOptions{MaxErrors: maxErrors}})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Failed() || res.ErrorCount != 4 {
			t.Fatalf("memKeys %d: failed %v with %d errors, want 4", keys, res.Failed(), res.ErrorCount)
		}
		if _, err := os.Stat(outPath); !os.IsNotExist(err) {
			t.Errorf("memKeys %d: output written despite duplicates", keys)
		}
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			t.Errorf("memKeys %d: left behind in the temporary directory: %v", keys, left)
		}
		var got []string
		for _, e := range res.Errors {
			got = append(got, strings.TrimPrefix(e.Error(), path+":"))
		}
		return got
	}
	want := []string{
		"5:1: A1 2026-10: duplicate snapshot: A1 2026-10 is already at line 3",
		"24:1: A3 2026-10: duplicate snapshot: A3 2026-10 is already at line 6",
		"25:11: B 2026-10: metric aht \"fast\" is not a number (write plain decimals such as 1234.5)",
		"36:1: A25 2026-10: duplicate snapshot: A25 2026-10 is already at line 30",
	}
	inMemory := run(0, 0)
	if diff := cmp.Diff(want, trimRaw(inMemory)); diff != "" {
		t.Fatalf("in memory (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(inMemory, run(10, 0)); diff != "" {
		t.Errorf("on disk vs in memory (-memory +disk):\n%s", diff)
	}
	if diff := cmp.Diff(inMemory[:2], run(10, 2)); diff != "" {
		t.Errorf("on disk, MaxErrors 2 (-want +got):\n%s", diff)
	}
}

// trimRaw cuts an error message at its first line (the message without
// the record it quotes, if any).
func trimRaw(errs []string) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i], _, _ = strings.Cut(e, "\n")
	}
	return out
}

// TestStreamInKeyOrder: with InKeyOrder the outcomes come in byte order of
// subject and period, whatever the input order, with the same bytes as in
// input order, whether or not the input was in key order already; a bad
// row still fails the run before anything is evaluated.
func TestStreamInKeyOrder(t *testing.T) {
	p := inputTestPolicy(t)
	var in strings.Builder
	in.WriteString("subject,period,aht,handled,pay\n")
	var want []string
	for i := range 600 {
		subject := fmt.Sprintf("A-%d", (i*7919)%600) // shuffled; A-10 sorts before A-9
		fmt.Fprintf(&in, "%s,2026-1%d,%d,%d,%d.%02d\n", subject, i%3, 200+i%90, 1+i%40, 1000+i, i%100)
		want = append(want, subject+"\x00"+fmt.Sprintf("2026-1%d", i%3))
	}
	slices.Sort(want)
	shuffled := writeFile(t, "in.csv", in.String())
	// The same rows already in key order.
	rows := strings.Split(strings.TrimSuffix(in.String(), "\n"), "\n")
	body := rows[1:]
	slices.SortFunc(body, func(a, b string) int {
		ka, _, _ := strings.Cut(a, ",")
		kb, _, _ := strings.Cut(b, ",")
		if c := strings.Compare(ka, kb); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	inOrder := writeFile(t, "sorted.csv", rows[0]+"\n"+strings.Join(body, "\n")+"\n")
	path := shuffled
	run := func(inKeyOrder bool) (keys []string, byKey map[string]string) {
		t.Helper()
		byKey = map[string]string{}
		prog := &Progress{}
		defer func() {
			if _, rows := prog.Read(); rows != 600 || prog.Evaluated() != 600 {
				t.Errorf("progress: %d rows read, %d evaluated, want 600 and 600", rows, prog.Evaluated())
			}
		}()
		res, err := p.Stream(Input{Name: path}, StreamOptions{Explain: true, InKeyOrder: inKeyOrder, Workers: 3, Progress: prog}, func(o *evaluator.Outcome, buf []byte) []byte {
			key := o.Snapshot.Subject + "\x00" + o.Snapshot.Period.Label
			line := fmt.Sprintf("%s|%s|%s\n", key, o.Incentives[0].Amount.Text('f'), o.Targets[0].Why())
			return append(buf, line...)
		}, func(b []byte) error {
			for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
				key, rest, _ := strings.Cut(line, "|")
				keys = append(keys, key)
				byKey[key] = rest
			}
			return nil
		})
		if err != nil || res.Failed() || res.Evaluated != 600 {
			t.Fatalf("in key order %v: %v, %+v", inKeyOrder, err, res)
		}
		return keys, byKey
	}
	keys, sorted := run(true)
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Fatalf("order (-want +got):\n%s", diff)
	}
	_, inputOrder := run(false)
	if diff := cmp.Diff(inputOrder, sorted); diff != "" {
		t.Errorf("outcomes differ from those in input order (-input order +key order):\n%s", diff)
	}
	path = inOrder
	keys, already := run(true)
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Fatalf("input already in key order: order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sorted, already); diff != "" {
		t.Errorf("input already in key order: outcomes differ (-sorted +as read):\n%s", diff)
	}

	bad := writeFile(t, "bad.csv", in.String()+"B,2026-10,x,1,1\n")
	evaluated := 0
	res, err := p.Stream(Input{Name: bad}, StreamOptions{InKeyOrder: true}, func(o *evaluator.Outcome, buf []byte) []byte {
		evaluated++
		return buf
	}, func([]byte) error { return nil })
	if err != nil || !res.Failed() || evaluated != 0 {
		t.Errorf("bad input: %v, failed %v, %d evaluated", err, res.Failed(), evaluated)
	}
}

// TestReadInParallelMatchesSerial: a stream in key order converts on every
// worker; what it reports (errors in line order up to MaxErrors, their
// count, rejects, warnings, rows, duplicates in memory and found late) and
// what it evaluates are the same as when one goroutine reads, for good and
// bad inputs of every format, failing and skipping bad rows, over more rows
// than the reading ring holds.
func TestReadInParallelMatchesSerial(t *testing.T) {
	defer func(n int) { memKeys = n }(memKeys)
	memKeys = 300 // some duplicates are found at the end
	var csv strings.Builder
	csv.WriteString("subject,period,aht,handled,pay,extra,rate\n")
	var ndjson strings.Builder
	for i := range 4000 { // more rows than the reading ring holds, so its slots are reused
		aht, handled, subject := fmt.Sprint(200+i%70), fmt.Sprint(1+i%9), fmt.Sprintf("A%d", (i*37)%10007)
		switch i % 97 {
		case 5:
			aht = "fast" // a bad value
		case 11:
			subject = fmt.Sprintf("A%d", ((i-1)*37)%10007) // a duplicate of the row before
		case 13:
			subject = "A0" // a duplicate of an early row
		}
		if i%211 == 7 {
			csv.WriteString("A1,2026-10,1\n") // a wrong field count
			ndjson.WriteString("{\"subject\": \n")
		}
		fmt.Fprintf(&csv, "%s,2026-10,%s,%s,100,x,1\n", subject, aht, handled)
		if aht == "fast" {
			aht = `"fast"`
		}
		fmt.Fprintf(&ndjson, "{\"subject\": %q, \"period\": \"2026-10\", \"aht\": %s, \"handled\": %s, \"pay\": 100, \"extra\": 1}\n", subject, aht, handled)
	}
	good := "subject,period,aht,handled,pay\nB,2026-10,1,1,1\nA,2026-10,2,2,2\n"
	p := inputTestPolicy(t)
	for _, in := range []struct{ name, file, content string }{
		{"csv", "in.csv", csv.String()},
		{"ndjson", "in.ndjson", ndjson.String()},
		{"good", "good.csv", good},
	} {
		path := writeFile(t, in.file, in.content)
		for _, skip := range []bool{false, true} {
			for _, maxErrors := range []int{3, 0} {
				t.Run(fmt.Sprintf("%s/skip=%v/max=%d", in.name, skip, maxErrors), func(t *testing.T) {
					type outcome struct {
						Res     StreamResult
						Errors  []string
						Rejects string
						Out     string
					}
					run := func(workers int) outcome {
						opts := StreamOptions{InKeyOrder: true, Workers: workers, MaxErrors: maxErrors}
						var rejects string
						if skip {
							rejects = filepath.Join(t.TempDir(), "rejects.csv")
							opts.SkipInvalid = rejects
						}
						var out strings.Builder
						res, err := p.Stream(Input{Name: path}, opts, func(o *evaluator.Outcome, buf []byte) []byte {
							return fmt.Appendf(buf, "%d %s %v\n", o.Snapshot.Line, o.Snapshot.Subject, o.Snapshot.Values)
						}, func(b []byte) error { out.Write(b); return nil })
						if err != nil {
							t.Fatal(err)
						}
						o := outcome{Out: out.String()}
						for _, e := range res.Errors {
							o.Errors = append(o.Errors, e.Error())
						}
						res.Errors = nil
						o.Res = *res
						if skip && !res.Failed() {
							b, err := os.ReadFile(rejects)
							if err != nil {
								t.Fatal(err)
							}
							o.Rejects = string(b)
						}
						return o
					}
					serial, parallel := run(1), run(3)
					if diff := cmp.Diff(serial, parallel, cmp.AllowUnexported(StreamResult{})); diff != "" {
						t.Errorf("serial vs parallel reading (-serial +parallel):\n%s", diff)
					}
					if in.name != "good" && serial.Res.ErrorCount+serial.Res.Rejected == 0 {
						t.Error("the bad input was accepted")
					}
					if in.name == "good" && (serial.Res.Evaluated != 2 || !strings.HasPrefix(serial.Out, "3 A")) {
						t.Errorf("good input: %+v", serial)
					}
				})
			}
		}
	}
}
