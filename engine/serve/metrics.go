package serve

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the service's Prometheus metrics, on a registry of its own
// (several servers may live in one process, as in tests).
type metrics struct {
	reg            *prometheus.Registry
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	snapshots      prometheus.Counter
	reloads        prometheus.Counter
	reloadFailures prometheus.Counter
	cacheHits      prometheus.Counter
	cacheMisses    prometheus.Counter
	inflight       prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rubric_requests_total", Help: "HTTP requests by endpoint and status code."},
			[]string{"endpoint", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "rubric_request_duration_seconds", Help: "HTTP request duration by endpoint.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}}, []string{"endpoint"}),
		snapshots:      prometheus.NewCounter(prometheus.CounterOpts{Name: "rubric_snapshots_evaluated_total", Help: "Snapshots evaluated."}),
		reloads:        prometheus.NewCounter(prometheus.CounterOpts{Name: "rubric_policy_reloads_total", Help: "Policy versions loaded."}),
		reloadFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "rubric_policy_reload_failures_total", Help: "Policy loads that failed (the last good version kept serving)."}),
		cacheHits:      prometheus.NewCounter(prometheus.CounterOpts{Name: "rubric_result_cache_hits_total", Help: "Requests answered from the result cache."}),
		cacheMisses:    prometheus.NewCounter(prometheus.CounterOpts{Name: "rubric_result_cache_misses_total", Help: "Cacheable requests that had to be evaluated."}),
		inflight:       prometheus.NewGauge(prometheus.GaugeOpts{Name: "rubric_evaluations_in_flight", Help: "Evaluations running now."}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.snapshots, m.reloads, m.reloadFailures, m.cacheHits, m.cacheMisses, m.inflight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
