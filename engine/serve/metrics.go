package serve

import (
	"net/http"
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rubric-dev/rubric/engine"
)

// serviceMetrics are the service's Prometheus metrics, on a registry of
// its own (several servers may live in one process, as in tests), beside
// the Go runtime's and the process's usual figures. The Prometheus client
// library writes them, on every OS it supports.
type serviceMetrics struct {
	reg            *prometheus.Registry
	handler        http.Handler
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	snapshots      prometheus.Counter
	reloads        prometheus.Counter
	reloadFailures prometheus.Counter
	cacheHits      prometheus.Counter
	cacheMisses    prometheus.Counter
	inflight       prometheus.Gauge
	policies       *prometheus.GaugeVec // 1 per served policy and its status
}

func newMetrics() *serviceMetrics {
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
		f(c)
		return c
	}
	m := &serviceMetrics{
		reg:            reg,
		requests:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rubric_requests_total", Help: "HTTP requests by endpoint and status code."}, []string{"endpoint", "code"}),
		duration:       prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "rubric_request_duration_seconds", Help: "HTTP request duration by endpoint.", Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}}, []string{"endpoint"}),
		snapshots:      counter("rubric_snapshots_evaluated_total", "Snapshots evaluated."),
		reloads:        counter("rubric_policy_reloads_total", "Policy versions loaded."),
		reloadFailures: counter("rubric_policy_reload_failures_total", "Policy loads that failed (the last good version kept serving)."),
		cacheHits:      counter("rubric_result_cache_hits_total", "Requests answered from the result cache."),
		cacheMisses:    counter("rubric_result_cache_misses_total", "Cacheable requests that had to be evaluated."),
		inflight:       prometheus.NewGauge(prometheus.GaugeOpts{Name: "rubric_evaluations_in_flight", Help: "Evaluations running now."}),
	}
	m.policies = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rubric_policy_status", Help: "Each policy directory's status: 1 for its current status (ok, stale, invalid)."}, []string{"policy", "status"})
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rubric_build_info", Help: "The engine version and the Go version serving: always 1."}, []string{"version", "goversion"})
	build.WithLabelValues(engine.Version(), runtime.Version()).Set(1)
	f(m.requests)
	f(m.duration)
	f(m.inflight)
	f(m.policies)
	f(build)
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m
}
