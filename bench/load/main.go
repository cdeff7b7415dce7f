//go:build unix

// The benchmark tools read getrusage: they run where it exists.

// Command load measures `rubric serve` on loopback, client and server on
// the same machine: single-snapshot eval requests from concurrent
// keep-alive clients (cache off and on), hot reloads during the load, and
// one large NDJSON request against `rubric eval` on the same data. It is
// bounded in count and time.
//
//	go run ./bench/load -clients 64 -duration 10s
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/serve"
)

const policy = `
policy "agent" {
  version  = "1"
  currency = "EUR"
}
metric "aht" {
  better = "lower"
  unit   = "s"
}
metric "handled" { better = "higher" }
metric "resolved" { better = "higher" }
metric "fcr" {
  better = "higher"
  expr   = "ratio(resolved, handled)"
}
attribute "base_pay" { type = "money" }
target "aht" {
  metric     = "aht"
  goal       = 300
  threshold  = 420
  sample     = "handled"
  min_sample = 50
}
target "fcr" {
  metric = "fcr"
  goal   = 0.75
}
scorecard "q" {
  weights = { aht = 50, fcr = 50 }
  band "strong" { min = 1 }
  band "ok" { min = 0.8 }
}
incentive "bonus" {
  basis = "base_pay * 0.1"
  tier "strong" {
    when       = "band.q == 'strong'"
    multiplier = 1
  }
}
`

func snapshot(i int) string {
	return fmt.Sprintf(`{"subject":"A-%d","period":"2026-10","aht":%d,"handled":%d,"resolved":%d,"base_pay":%d.50}`,
		i, 220+i%200, 60+i%300, 40+i%200, 2000+i%1500)
}

func main() {
	clients := flag.Int("clients", 64, "concurrent keep-alive clients")
	duration := flag.Duration("duration", 10*time.Second, "length of each load phase")
	distinct := flag.Int("distinct", 1000, "distinct snapshots the clients cycle through")
	big := flag.Int("big", 100000, "snapshots in the large NDJSON request")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the first phase to this file")
	flag.Parse()

	root, _ := os.MkdirTemp("", "rubric-load-*")
	defer os.RemoveAll(root)
	os.MkdirAll(filepath.Join(root, "agent"), 0o755)
	policyFile := filepath.Join(root, "agent", "policy.hcl")
	must(os.WriteFile(policyFile, []byte(policy), 0o644))

	fmt.Printf("rubric serve load test: %d clients, %s a phase, GOMAXPROCS %d\n\n", *clients, *duration, runtime.GOMAXPROCS(0))
	fmt.Printf("%-34s %10s %9s %9s %9s %8s\n", "phase", "req/s", "p50 ms", "p99 ms", "failed", "mixed")
	for _, phase := range []struct {
		name    string
		cacheMB int
		reload  bool
	}{{"single snapshot, cache off", 0, false}, {"single snapshot, cache on", 64, false}, {"cache on, reload every second", 64, true}} {
		base, stop := start(root, phase.cacheMB)
		var reloads atomic.Int64
		ctx, cancel := context.WithTimeout(context.Background(), *duration)
		if phase.reload {
			go func() {
				t := time.NewTicker(time.Second)
				defer t.Stop()
				for i := 0; ; i++ {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
						os.WriteFile(policyFile, []byte(policy+fmt.Sprintf("\n# reload %d\n", i)), 0o644)
						reloads.Add(1)
					}
				}
			}()
		}
		if *cpuprofile != "" && phase.cacheMB == 0 {
			f, err := os.Create(*cpuprofile)
			must(err)
			must(pprof.StartCPUProfile(f))
		}
		lat, failed, mixed := hammer(ctx, base, *clients, *distinct)
		if *cpuprofile != "" && phase.cacheMB == 0 {
			pprof.StopCPUProfile()
		}
		cancel()
		stop()
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		q := func(p float64) float64 {
			if len(lat) == 0 {
				return 0
			}
			return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
		}
		fmt.Printf("%-34s %10.0f %9.2f %9.2f %9d %8d\n", phase.name, float64(len(lat))/duration.Seconds(), q(0.5), q(0.99), failed, mixed)
	}

	// One large NDJSON request against rubric eval on the same data.
	var body bytes.Buffer
	for i := 0; i < *big; i++ {
		body.WriteString(snapshot(i))
		body.WriteByte('\n')
	}
	p, diags, err := engine.Load(filepath.Join(root, "agent"))
	if err != nil || diags.HasErrors() {
		panic(fmt.Sprint(err, diags))
	}
	// Best of three of each, alternating, so that both see the same machine.
	var evalRate, serveRate float64
	var status int
	var n int64
	base, stop := start(root, 0)
	for round := 0; round < 3; round++ {
		t0 := time.Now()
		if _, err := p.Eval(engine.Input{Name: "-", Format: engine.FormatNDJSON, Stdin: bytes.NewReader(body.Bytes())}, engine.Output{W: io.Discard}, engine.EvalOptions{Format: engine.OutNDJSON}); err != nil {
			panic(err)
		}
		evalRate = max(evalRate, float64(*big)/time.Since(t0).Seconds())
		t0 = time.Now()
		req, _ := http.NewRequest("POST", base+"/v1/policies/agent/eval", bytes.NewReader(body.Bytes()))
		req.Header.Set("Content-Type", "application/x-ndjson")
		req.Header.Set("Accept", "application/x-ndjson")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		n, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		status = resp.StatusCode
		serveRate = max(serveRate, float64(*big)/time.Since(t0).Seconds())
	}
	stop()
	fmt.Printf("\none request of %d NDJSON snapshots (best of 3): %.0f snapshots/s (status %d, %d bytes); rubric eval on the same data: %.0f snapshots/s; ratio %.2f\n",
		*big, serveRate, status, n, evalRate, serveRate/evalRate)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("peak RSS of the process (server, clients and the test data): %.0f MiB\n", float64(ru.Maxrss)/1024)
}

func start(root string, cacheMB int) (string, func()) {
	s, err := serve.New(serve.Config{Policies: root, CacheMB: cacheMB, Debounce: 100 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- s.Serve(ctx, serve.ListenConfig{Addr: "127.0.0.1:0", Ready: func(a string) { ready <- a }})
	}()
	addr := <-ready
	return "http://" + addr, func() { cancel(); <-done; s.Close() }
}

// hammer sends single-snapshot requests from clients goroutines until ctx
// ends; it returns every latency, the failures, and the answers whose
// outcomes name another digest than their header.
func hammer(ctx context.Context, base string, clients, distinct int) ([]time.Duration, int, int) {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	var mu sync.Mutex
	var all []time.Duration
	var failed, mixed int
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			var lat []time.Duration
			f, m := 0, 0
			for i := c; ctx.Err() == nil; i += clients {
				t0 := time.Now()
				req, _ := http.NewRequest("POST", base+"/v1/policies/agent/eval", strings.NewReader(snapshot(i%distinct)))
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						f++
					}
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(t0))
				if resp.StatusCode != 200 {
					f++
				} else if !bytes.Contains(b, []byte(resp.Header.Get("Rubric-Policy-Digest"))) {
					m++
				}
			}
			mu.Lock()
			all = append(all, lat...)
			failed += f
			mixed += m
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	return all, failed, mixed
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
