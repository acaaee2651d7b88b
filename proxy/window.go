package proxy

import (
	"math"
	"sync"
	"time"
)

// window keeps the last few minutes of the gateway's numbers in one-second
// slots for GET /v1/stats: the dashboard charts them without Prometheus.
// Latencies go into log-spaced buckets (10% wide), so percentiles cost a
// merge of a few hundred counters.
type window struct {
	mu    sync.Mutex
	slots []slot
	now   func() time.Time
}

const (
	windowSpan  = 301 // slots: the 300 complete seconds reported, and the current one
	latBuckets  = 200 // 10µs * 1.1^199 ≈ 1.7e3 s
	latBase     = 10e-6
	latGrowthLn = 0.09531017980432493 // ln(1.1)
)

type slot struct {
	sec                          int64 // unix second this slot holds; 0: empty
	requests, errors             int
	lat                          [latBuckets]uint32
	batches, rows                int
	tokens, padded               int
	cacheLookups, cacheHits      int
	queueMax                     int
	queueSamples, queueSampleSum int
}

func newWindow(now func() time.Time) *window {
	return &window{slots: make([]slot, windowSpan), now: now}
}

// at returns the slot of the current second, clearing a stale one. Callers
// hold mu.
func (w *window) at(t time.Time) *slot {
	sec := t.Unix()
	s := &w.slots[sec%windowSpan]
	if s.sec != sec {
		*s = slot{sec: sec}
	}
	return s
}

func (w *window) request(d time.Duration, failed bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.at(w.now())
	s.requests++
	if failed {
		s.errors++
	}
	s.lat[latBucket(d)]++
}

func (w *window) batch(rows, tokens, padded int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.at(w.now())
	s.batches++
	s.rows += rows
	s.tokens += tokens
	s.padded += padded
}

func (w *window) cacheResult(hit bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.at(w.now())
	s.cacheLookups++
	if hit {
		s.cacheHits++
	}
}

// cacheHits counts n texts answered from a cache at once.
func (w *window) cacheHits(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.at(w.now())
	s.cacheLookups += n
	s.cacheHits += n
}

func (w *window) queue(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.at(w.now())
	s.queueMax = max(s.queueMax, n)
	s.queueSamples++
	s.queueSampleSum += n
}

func latBucket(d time.Duration) int {
	sec := d.Seconds()
	if sec <= latBase {
		return 0
	}
	i := int(math.Log(sec/latBase)/latGrowthLn) + 1
	return min(i, latBuckets-1)
}

// latUpper is the upper bound of bucket i, in milliseconds.
func latUpper(i int) float64 {
	return latBase * math.Exp(float64(i)*latGrowthLn) * 1e3
}

// statsPoint is the numbers of one span of time. Ratios and percentiles are
// null when nothing happened to compute them from.
type statsPoint struct {
	T             int64    `json:"t"` // unix seconds at the span's end
	Requests      int      `json:"requests"`
	RPS           float64  `json:"rps"`
	ErrorRatio    *float64 `json:"error_ratio"`
	P50           *float64 `json:"p50_ms"`
	P95           *float64 `json:"p95_ms"`
	P99           *float64 `json:"p99_ms"`
	BatchRows     *float64 `json:"batch_rows"` // mean rows per batch
	PaddingRatio  *float64 `json:"padding_ratio"`
	CacheHitRatio *float64 `json:"cache_hit_ratio"`
	QueueDepth    float64  `json:"queue_depth"` // peak seen in the span
}

// summarize merges the slots of the seconds (end-span, end], excluding the
// current, still filling second.
func (w *window) summarize(end int64, span int) statsPoint {
	var acc slot
	for sec := end - int64(span) + 1; sec <= end; sec++ {
		s := &w.slots[((sec%windowSpan)+windowSpan)%windowSpan]
		if s.sec != sec {
			continue
		}
		acc.requests += s.requests
		acc.errors += s.errors
		for i := range s.lat {
			acc.lat[i] += s.lat[i]
		}
		acc.batches += s.batches
		acc.rows += s.rows
		acc.tokens += s.tokens
		acc.padded += s.padded
		acc.cacheLookups += s.cacheLookups
		acc.cacheHits += s.cacheHits
		acc.queueMax = max(acc.queueMax, s.queueMax)
	}
	p := statsPoint{T: end, Requests: acc.requests, RPS: float64(acc.requests) / float64(span), QueueDepth: float64(acc.queueMax)}
	if acc.requests > 0 {
		p.ErrorRatio = ratio(acc.errors, acc.requests)
		p.P50, p.P95, p.P99 = percentile(&acc.lat, acc.requests, 0.50), percentile(&acc.lat, acc.requests, 0.95), percentile(&acc.lat, acc.requests, 0.99)
	}
	if acc.batches > 0 {
		p.BatchRows = ratio(acc.rows, acc.batches)
	}
	if acc.padded > 0 {
		v := 1 - float64(acc.tokens)/float64(acc.padded)
		p.PaddingRatio = &v
	}
	if acc.cacheLookups > 0 {
		p.CacheHitRatio = ratio(acc.cacheHits, acc.cacheLookups)
	}
	return p
}

func ratio(a, b int) *float64 {
	v := float64(a) / float64(b)
	return &v
}

func percentile(lat *[latBuckets]uint32, n int, q float64) *float64 {
	rank := uint64(math.Ceil(q * float64(n)))
	var seen uint64
	for i, c := range lat {
		seen += uint64(c)
		if seen >= rank && c > 0 {
			v := math.Round(latUpper(i)*1000) / 1000
			return &v
		}
	}
	return nil
}

// statsReply is GET /v1/stats: the last `recent` seconds at the top level
// (what the dashboard polls every second), and a series of points over the
// asked window for charts that load history at once.
type statsReply struct {
	statsPoint
	RecentS int            `json:"recent_s"`
	WindowS int            `json:"window_s"`
	StepS   int            `json:"step_s"`
	Series  []statsPoint   `json:"series"`
	Queue   map[string]int `json:"queue"` // current depth per model
}

func (w *window) snapshot(recent, span, step int) statsReply {
	w.mu.Lock()
	defer w.mu.Unlock()
	end := w.now().Unix() - 1 // the last complete second
	r := statsReply{statsPoint: w.summarize(end, recent), RecentS: recent, WindowS: span, StepS: step}
	r.Series = make([]statsPoint, 0, span/step)
	for t := end - int64(span) + int64(step); t <= end; t += int64(step) {
		r.Series = append(r.Series, w.summarize(t, step))
	}
	return r
}
