package proxy

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/infergate/infergate/cache"
)

// metrics are the gateway's Prometheus series, on a registry of its own so
// that two servers in one process (tests, reload) never collide.
type metrics struct {
	reg *prometheus.Registry

	requests     *prometheus.CounterVec   // route, model, code
	duration     *prometheus.HistogramVec // route, model, stage
	batchRows    *prometheus.HistogramVec // model
	batchTokens  *prometheus.HistogramVec // model
	padding      *prometheus.HistogramVec // model
	cacheHits    *prometheus.CounterVec   // model, tier
	cacheMisses  *prometheus.CounterVec   // model, tier
	cacheErrors  *prometheus.CounterVec   // model, tier
	backendReqs  *prometheus.CounterVec   // model, replica, outcome
	backendDur   *prometheus.HistogramVec // model, replica
	breakerState *prometheus.GaugeVec     // model, replica
	inFlight     *prometheus.GaugeVec     // model, replica
	reloads      *prometheus.CounterVec   // result
	rateLimited  prometheus.Counter

	// perRequest caches the series of each route, model and code, so the
	// hot path skips hashing label values.
	perRequest sync.Map // requestLabels -> requestSeries
}

type requestLabels struct{ route, model, code string }

type requestSeries struct {
	count prometheus.Counter
	total prometheus.Observer
}

// request counts one answered request and its total duration.
func (m *metrics) request(route, model, code string, d time.Duration) {
	k := requestLabels{route, model, code}
	v, ok := m.perRequest.Load(k)
	if !ok {
		v, _ = m.perRequest.LoadOrStore(k, requestSeries{
			count: m.requests.WithLabelValues(route, model, code),
			total: m.duration.WithLabelValues(route, model, "total"),
		})
	}
	rs := v.(requestSeries)
	rs.count.Inc()
	rs.total.Observe(d.Seconds())
}

// latencyBuckets span 0.1ms to 10s: a cache hit to a long timeout.
var latencyBuckets = prometheus.ExponentialBucketsRange(0.0001, 10, 20)

func newMetrics(queues func() map[string]queueStat, l2Up func() (bool, bool)) *metrics {
	const ns = "infergate"
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "requests_total",
			Help: "HTTP requests by route template, model and status code."}, []string{"route", "model", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "request_duration_seconds",
			Help:    "Request time by stage: tokenize, queue and inference (per text, from the model path) and total (per request).",
			Buckets: latencyBuckets}, []string{"route", "model", "stage"}),
		batchRows: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "batch_rows",
			Help: "Rows per batch sent to a backend.", Buckets: prometheus.ExponentialBuckets(1, 2, 10)}, []string{"model"}),
		batchTokens: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "batch_tokens",
			Help: "Padded tokens (rows x longest row) per batch.", Buckets: prometheus.ExponentialBuckets(8, 2, 14)}, []string{"model"}),
		padding: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "padding_ratio",
			Help: "Share of a batch's tokens that are padding.", Buckets: prometheus.LinearBuckets(0, 0.1, 11)}, []string{"model"}),
		cacheHits: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "cache_hits_total",
			Help: "Result cache hits by tier (l1, l2)."}, []string{"model", "tier"}),
		cacheMisses: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "cache_misses_total",
			Help: "Result cache misses by tier (l1, l2)."}, []string{"model", "tier"}),
		cacheErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "cache_errors_total",
			Help: "Cache tier failures (Redis down or slow): the request went on uncached."}, []string{"model", "tier"}),
		backendReqs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "backend_requests_total",
			Help: "Backend calls by replica and outcome (ok, unavailable, timeout, bad_input, internal, canceled, rejected)."},
			[]string{"model", "replica", "outcome"}),
		backendDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "backend_duration_seconds",
			Help: "Backend call latency by replica.", Buckets: latencyBuckets}, []string{"model", "replica"}),
		breakerState: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "breaker_state",
			Help: "Circuit breaker per replica: 0 closed, 1 half-open, 2 open."}, []string{"model", "replica"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "backend_in_flight",
			Help: "Backend calls running per replica."}, []string{"model", "replica"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "reloads_total",
			Help: "Configuration reloads by result (ok, error)."}, []string{"result"}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "rate_limited_total",
			Help: "Requests refused by the per-client rate limit."}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.batchRows, m.batchTokens, m.padding,
		m.cacheHits, m.cacheMisses, m.cacheErrors, m.backendReqs, m.backendDur, m.breakerState,
		m.inFlight, m.reloads, m.rateLimited,
		queueCollector{
			depth:    prometheus.NewDesc(ns+"_queue_depth", "Texts waiting for a batch, per model.", []string{"model"}, nil),
			capacity: prometheus.NewDesc(ns+"_queue_capacity", "Most texts the queue holds (batching.max_queue); past it requests get 429.", []string{"model"}, nil),
			stats:    queues,
		},
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: "cache_l2_up",
			Help: "1 while the Redis L2 answers, 0 while it is down; absent without L2."}, func() float64 {
			up, on := l2Up()
			if !on || up {
				return 1
			}
			return 0
		}),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// queueCollector reads queue depths at scrape time from whatever pipelines
// are live, so reloads need no bookkeeping.
type queueCollector struct {
	depth, capacity *prometheus.Desc
	stats           func() map[string]queueStat
}

// queueStat is one model's queue depth and its limit.
type queueStat struct{ depth, capacity int }

func (q queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- q.depth; ch <- q.capacity }

func (q queueCollector) Collect(ch chan<- prometheus.Metric) {
	for model, s := range q.stats() {
		ch <- prometheus.MustNewConstMetric(q.depth, prometheus.GaugeValue, float64(s.depth), model)
		ch <- prometheus.MustNewConstMetric(q.capacity, prometheus.GaugeValue, float64(s.capacity), model)
	}
}

// modelObserver adapts the metrics to the batcher, pool and cache observer
// interfaces of one model, and feeds the dashboard's window.
type modelObserver struct {
	m     *metrics
	model string
	win   *window
}

// BatchDone implements batcher.Observer.
func (o modelObserver) BatchDone(rows, tokens, padded int, _ time.Duration) {
	o.m.batchRows.WithLabelValues(o.model).Observe(float64(rows))
	o.m.batchTokens.WithLabelValues(o.model).Observe(float64(padded))
	ratio := 0.0
	if padded > 0 {
		ratio = 1 - float64(tokens)/float64(padded)
	}
	o.m.padding.WithLabelValues(o.model).Observe(ratio)
	o.win.batch(rows, tokens, padded)
}

// BackendDone implements pool.Observer.
func (o modelObserver) BackendDone(replica, outcome string, d time.Duration) {
	o.m.backendReqs.WithLabelValues(o.model, replica, outcome).Inc()
	if outcome != "rejected" {
		o.m.backendDur.WithLabelValues(o.model, replica).Observe(d.Seconds())
	}
}

// BreakerState implements pool.Observer.
func (o modelObserver) BreakerState(replica, state string) {
	v := 0.0
	switch state {
	case "half-open":
		v = 1
	case "open":
		v = 2
	}
	o.m.breakerState.WithLabelValues(o.model, replica).Set(v)
}

// InFlight implements pool.Observer.
func (o modelObserver) InFlight(replica string, n int) {
	o.m.inFlight.WithLabelValues(o.model, replica).Set(float64(n))
}

// CacheLookup implements cache.Observer.
func (o modelObserver) CacheLookup(tier cache.Tier, outcome string) {
	switch outcome {
	case "hit":
		o.m.cacheHits.WithLabelValues(o.model, string(tier)).Inc()
	case "miss":
		o.m.cacheMisses.WithLabelValues(o.model, string(tier)).Inc()
	default:
		o.m.cacheErrors.WithLabelValues(o.model, string(tier)).Inc()
	}
}

// QueueDepth implements statsSink.
func (o modelObserver) QueueDepth(n int) { o.win.queue(n) }

// CacheResult implements statsSink.
func (o modelObserver) CacheResult(hit bool) { o.win.cacheResult(hit) }
