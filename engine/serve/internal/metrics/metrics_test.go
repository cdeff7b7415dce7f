package metrics

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

func TestExposition(t *testing.T) {
	r := NewRegistry(false)
	req := r.NewCounterVec("x_requests_total", "Requests by endpoint and code.", "endpoint", "code")
	dur := r.NewHistogramVec("x_duration_seconds", "Duration.", []float64{0.001, 0.5, 10}, "endpoint")
	n := r.NewCounter("x_snapshots_total", "Snapshots\nevaluated \\ counted.")
	g := r.NewGauge("x_in_flight", "Now.")
	req.With("eval", "200").Inc()
	req.With("eval", "200").Inc()
	req.With("a\"b\\c\nd", "500").Inc()
	dur.Observe(0.0005, "eval")
	dur.Observe(0.001, "eval") // on a bound: counted in it
	dur.Observe(0.2, "eval")
	dur.Observe(60, "eval") // above every bound: +Inf only
	n.Add(3)
	g.Inc()
	g.Inc()
	g.Dec()
	var b bytes.Buffer
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	want := `# HELP x_duration_seconds Duration.
# TYPE x_duration_seconds histogram
x_duration_seconds_bucket{endpoint="eval",le="0.001"} 2
x_duration_seconds_bucket{endpoint="eval",le="0.5"} 3
x_duration_seconds_bucket{endpoint="eval",le="10"} 3
x_duration_seconds_bucket{endpoint="eval",le="+Inf"} 4
x_duration_seconds_sum{endpoint="eval"} 60.2015
x_duration_seconds_count{endpoint="eval"} 4
# HELP x_in_flight Now.
# TYPE x_in_flight gauge
x_in_flight 1
# HELP x_requests_total Requests by endpoint and code.
# TYPE x_requests_total counter
x_requests_total{code="500",endpoint="a\"b\\c\nd"} 1
x_requests_total{code="200",endpoint="eval"} 2
# HELP x_snapshots_total Snapshots\nevaluated \\ counted.
# TYPE x_snapshots_total counter
x_snapshots_total 3
`
	if got := b.String(); got != want {
		t.Errorf("exposition:\n%s\nwant:\n%s", got, want)
	}
}

func TestRuntimeFigures(t *testing.T) {
	var b bytes.Buffer
	NewRegistry(true).WriteTo(&b)
	for _, name := range []string{"go_goroutines ", "go_memstats_heap_alloc_bytes ", "go_info{version=\"go", "process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ", "process_start_time_seconds "} {
		if !strings.Contains(b.String(), "\n"+name) {
			t.Errorf("no %s in\n%s", name, b.String())
		}
	}
	if strings.Contains(b.String(), "process_resident_memory_bytes 0\n") {
		t.Errorf("resident memory read as 0:\n%s", b.String())
	}
}

// TestConcurrent: counts from many goroutines add up (run with -race).
func TestConcurrent(t *testing.T) {
	r := NewRegistry(false)
	c := r.NewCounterVec("c_total", "C.", "k")
	h := r.NewHistogramVec("h", "H.", []float64{1}, "k")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 1000; j++ {
				c.With("a").Inc()
				h.Observe(0.5, "a")
				if j%100 == 0 {
					r.WriteTo(&bytes.Buffer{})
				}
			}
		}()
	}
	wg.Wait()
	if got := c.With("a").Value(); got != 8000 {
		t.Errorf("count %v, want 8000", got)
	}
	var b bytes.Buffer
	r.WriteTo(&b)
	if !strings.Contains(b.String(), `h_count{k="a"} 8000`) {
		t.Errorf("histogram:\n%s", b.String())
	}
}

func TestMisuse(t *testing.T) {
	r := NewRegistry(false)
	r.NewCounter("a_total", "A.")
	for name, f := range map[string]func(){
		"twice":          func() { r.NewCounter("a_total", "A again.") },
		"label count":    func() { r.NewCounterVec("b_total", "B.", "x").With("1", "2") },
		"negative add":   func() { r.NewCounter("c_total", "C.").Add(-1) },
		"unsorted bound": func() { r.NewHistogramVec("d", "D.", []float64{2, 1}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
