// Command opa evaluates the voice-agent scorecard written in Rego
// (scorecard.rego) with Open Policy Agent over generated snapshots, and
// prints the time per snapshot: the peer comparison of docs/performance.md.
// It is its own module, so OPA never enters rubric's go.mod.
//
//	cd bench/opa && go run . -i /tmp/rubric-bench/voice-agents-100000.csv
package main

import (
	"context"
	_ "embed"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/rego"
)

//go:embed scorecard.rego
var module string

func main() {
	in := flag.String("i", "", "voice-agent snapshots (CSV from fixtures/gen)")
	limit := flag.Int("n", 100000, "snapshots to evaluate")
	workers := flag.Int("workers", runtime.NumCPU(), "parallel evaluations")
	flag.Parse()
	inputs, err := read(*in, *limit)
	if err != nil {
		fmt.Fprintln(os.Stderr, "opa:", err)
		os.Exit(1)
	}
	ctx := context.Background()
	start := time.Now()
	pq, err := rego.New(rego.Query("data.rubric.voice.outcome"), rego.Module("scorecard.rego", module)).PrepareForEval(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "opa:", err)
		os.Exit(1)
	}
	prep := time.Since(start)
	start = time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	bands := map[string]int{}
	var firstErr error
	next := make(chan map[string]any, 1024)
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for input := range next {
				rs, err := pq.Eval(ctx, rego.EvalInput(input))
				if err != nil || len(rs) == 0 {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("no outcome for %v: %v", input["subject"], err)
					}
					mu.Unlock()
					continue
				}
				out := rs[0].Expressions[0].Value.(map[string]any)
				b, _ := out["band"].(string)
				mu.Lock()
				bands[b]++
				mu.Unlock()
			}
		}()
	}
	for _, input := range inputs {
		next <- input
	}
	close(next)
	wg.Wait()
	el := time.Since(start)
	if firstErr != nil {
		fmt.Fprintln(os.Stderr, "opa:", firstErr)
		os.Exit(1)
	}
	fmt.Printf("OPA %s: %d snapshots in %.2f s with %d workers: %.1f µs per snapshot (wall), prepare %.1f ms; bands %v\n",
		"v1", len(inputs), el.Seconds(), *workers, float64(el.Microseconds())/float64(len(inputs))*float64(*workers), float64(prep.Microseconds())/1000, bands)
}

// read loads snapshots as OPA inputs: numbers as numbers, blanks left out.
func read(path string, limit int) ([]map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for len(out) < limit {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		m := map[string]any{}
		for i, v := range rec {
			if v == "" {
				continue
			}
			if x, err := strconv.ParseFloat(v, 64); err == nil {
				m[header[i]] = x
			} else {
				m[header[i]] = v
			}
		}
		out = append(out, m)
	}
	return out, nil
}
