package serve

import "github.com/rubric-dev/rubric/engine/serve/internal/metrics"

// serviceMetrics are the service's Prometheus metrics, on a registry of its own
// (several servers may live in one process, as in tests).
type serviceMetrics struct {
	reg            *metrics.Registry
	requests       *metrics.CounterVec
	duration       *metrics.HistogramVec
	snapshots      *metrics.Counter
	reloads        *metrics.Counter
	reloadFailures *metrics.Counter
	cacheHits      *metrics.Counter
	cacheMisses    *metrics.Counter
	inflight       *metrics.Gauge
}

func newMetrics() *serviceMetrics {
	reg := metrics.NewRegistry(true)
	return &serviceMetrics{
		reg:            reg,
		requests:       reg.NewCounterVec("rubric_requests_total", "HTTP requests by endpoint and status code.", "endpoint", "code"),
		duration:       reg.NewHistogramVec("rubric_request_duration_seconds", "HTTP request duration by endpoint.", []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}, "endpoint"),
		snapshots:      reg.NewCounter("rubric_snapshots_evaluated_total", "Snapshots evaluated."),
		reloads:        reg.NewCounter("rubric_policy_reloads_total", "Policy versions loaded."),
		reloadFailures: reg.NewCounter("rubric_policy_reload_failures_total", "Policy loads that failed (the last good version kept serving)."),
		cacheHits:      reg.NewCounter("rubric_result_cache_hits_total", "Requests answered from the result cache."),
		cacheMisses:    reg.NewCounter("rubric_result_cache_misses_total", "Cacheable requests that had to be evaluated."),
		inflight:       reg.NewGauge("rubric_evaluations_in_flight", "Evaluations running now."),
	}
}
