package load

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latencies are recorded in microseconds from 1µs to one hour with three
// significant digits (0.1% resolution).
const (
	histMin    = 1
	histMax    = int64(time.Hour / time.Microsecond)
	histDigits = 3
)

func newHistogram() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histDigits) }

// recorder collects the measured requests of one run. A mutex is cheap next
// to an HTTP round trip and lets live snapshots read consistent numbers.
type recorder struct {
	mu       sync.Mutex
	hist     *hdrhistogram.Histogram
	sent     int64
	ok       int64
	errs     int64
	kinds    map[string]int64
	lastDone time.Time
}

func newRecorder() *recorder {
	return &recorder{hist: newHistogram(), kinds: map[string]int64{}}
}

func (r *recorder) markSent() {
	r.mu.Lock()
	r.sent++
	r.mu.Unlock()
}

// record adds one finished request; errKind is "" for a success.
func (r *recorder) record(lat time.Duration, errKind string, done time.Time) {
	us := min(max(lat.Microseconds(), histMin), histMax)
	r.mu.Lock()
	defer r.mu.Unlock()
	if done.After(r.lastDone) {
		r.lastDone = done
	}
	if errKind != "" {
		r.errs++
		r.kinds[errKind]++
		return
	}
	r.ok++
	_ = r.hist.RecordValue(us) // cannot fail: us is clamped to the histogram's range
}

// Latency summarises a latency distribution in milliseconds.
type Latency struct {
	Min  float64 `json:"min_ms"`
	Mean float64 `json:"mean_ms"`
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P95  float64 `json:"p95_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p999_ms"`
	Max  float64 `json:"max_ms"`
	// CDF samples the distribution for plots: the latency at each quantile.
	CDF []Quantile `json:"cdf,omitempty"`
}

// Quantile is one point of a latency CDF.
type Quantile struct {
	Q  float64 `json:"q"`
	Ms float64 `json:"ms"`
}

func ms(us int64) float64 { return float64(us) / 1000 }

// cdfQuantiles are dense in the tail, where latency problems live.
var cdfQuantiles = []float64{0, .01, .05, .1, .2, .3, .4, .5, .6, .7, .75, .8, .85, .9, .925, .95, .96, .97, .98, .99, .995, .999, .9995, .9999, 1}

// Summarize computes the summary of h (microsecond values).
func Summarize(h *hdrhistogram.Histogram, withCDF bool) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	l := Latency{
		Min:  ms(h.Min()),
		Mean: h.Mean() / 1000,
		P50:  ms(h.ValueAtQuantile(50)),
		P90:  ms(h.ValueAtQuantile(90)),
		P95:  ms(h.ValueAtQuantile(95)),
		P99:  ms(h.ValueAtQuantile(99)),
		P999: ms(h.ValueAtQuantile(99.9)),
		Max:  ms(h.Max()),
	}
	if withCDF {
		for _, q := range cdfQuantiles {
			l.CDF = append(l.CDF, Quantile{Q: q, Ms: ms(h.ValueAtQuantile(q * 100))})
		}
	}
	return l
}
