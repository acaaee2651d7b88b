package load

import (
	"maps"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Result is the outcome of one run, ready for JSON.
type Result struct {
	Target          string    `json:"target"`
	Mode            Mode      `json:"mode"`
	Arrival         Arrival   `json:"arrival,omitempty"`
	Concurrency     int       `json:"concurrency,omitempty"`
	Rate            float64   `json:"rate,omitempty"` // offered requests/s (open loop)
	TextsPerRequest int       `json:"texts_per_request"`
	Start           time.Time `json:"start"`
	// Elapsed is the measured window in seconds: from the end of the warm-up
	// to the last measured answer.
	Elapsed float64 `json:"elapsed_s"`
	Sent    int64   `json:"sent"`
	OK      int64   `json:"ok"`
	Errors  int64   `json:"errors"`
	// ErrorKinds counts errors by kind: http_<code>, timeout, transport.
	ErrorKinds map[string]int64 `json:"error_kinds,omitempty"`
	// SendRate is the achieved offered load: measured sends per second of
	// the sending window.
	SendRate float64 `json:"send_rate"`
	// Throughput is successful requests per second; TextsPerSecond the texts
	// they carried.
	Throughput     float64 `json:"throughput_rps"`
	TextsPerSecond float64 `json:"texts_per_s"`
	Latency        Latency `json:"latency"`

	hist *hdrhistogram.Histogram
}

// Histogram returns the latencies of successful requests in microseconds.
func (r Result) Histogram() *hdrhistogram.Histogram {
	if r.hist == nil {
		return newHistogram()
	}
	return r.hist
}

func (r *Run) result() Result {
	rec := r.rec
	rec.mu.Lock()
	defer rec.mu.Unlock()
	res := Result{
		Target:          r.cfg.Target.String(),
		Mode:            r.cfg.Mode,
		TextsPerRequest: r.cfg.TextsPerRequest,
		Start:           r.started,
		Sent:            rec.sent,
		OK:              rec.ok,
		Errors:          rec.errs,
		ErrorKinds:      maps.Clone(rec.kinds),
		hist:            rec.hist.Clone(),
	}
	switch r.cfg.Mode {
	case Closed:
		res.Concurrency = r.cfg.Concurrency
	case Open:
		res.Rate, res.Arrival = r.cfg.Rate, r.cfg.Arrival
	}
	if len(res.ErrorKinds) == 0 {
		res.ErrorKinds = nil
	}
	end := rec.lastDone
	if end.Before(r.measure) {
		end = time.Now()
	}
	res.Elapsed = end.Sub(r.measure).Seconds()
	sendWindow := res.Elapsed
	if d := r.deadline(); !d.IsZero() && d.Before(end) {
		sendWindow = r.cfg.Duration.Seconds()
	}
	if res.Elapsed > 0 {
		res.Throughput = float64(res.OK) / res.Elapsed
		res.TextsPerSecond = res.Throughput * float64(res.TextsPerRequest)
	}
	if sendWindow > 0 {
		res.SendRate = float64(res.Sent) / sendWindow
	}
	res.Latency = Summarize(res.hist, true)
	return res
}

// Snapshot is a live view of a run, for progress bars and the dashboard.
type Snapshot struct {
	Phase   string  `json:"phase"` // warmup, measuring, draining or done
	Elapsed float64 `json:"elapsed_s"`
	// Progress is the fraction of the run done, in [0, 1].
	Progress float64 `json:"progress"`
	Sent     int64   `json:"sent"`
	OK       int64   `json:"ok"`
	Errors   int64   `json:"errors"`
	RPS      float64 `json:"rps"`
	P50      float64 `json:"p50_ms"`
	P95      float64 `json:"p95_ms"`
	P99      float64 `json:"p99_ms"`
}

// Snapshot reads the run's counters and percentiles so far (measured
// requests only).
func (r *Run) Snapshot() Snapshot {
	now := time.Now()
	s := Snapshot{Elapsed: now.Sub(r.started).Seconds()}
	select {
	case <-r.done:
		s.Phase = "done"
		s.Elapsed = r.ended.Sub(r.started).Seconds()
	default:
		switch d := r.deadline(); {
		case now.Before(r.measure):
			s.Phase = "warmup"
		case !d.IsZero() && !now.Before(d):
			s.Phase = "draining"
		default:
			s.Phase = "measuring"
		}
	}
	rec := r.rec
	rec.mu.Lock()
	s.Sent, s.OK, s.Errors = rec.sent, rec.ok, rec.errs
	s.P50 = ms(rec.hist.ValueAtQuantile(50))
	s.P95 = ms(rec.hist.ValueAtQuantile(95))
	s.P99 = ms(rec.hist.ValueAtQuantile(99))
	rec.mu.Unlock()
	if m := now.Sub(r.measure).Seconds(); m > 0 {
		if d := r.cfg.Duration.Seconds(); d > 0 && m > d {
			m = d
		}
		s.RPS = float64(s.OK) / m
	}
	total := (r.cfg.Warmup + r.cfg.Duration).Seconds()
	switch {
	case s.Phase == "done":
		s.Progress = 1
	case r.cfg.Duration > 0 && total > 0:
		s.Progress = min(s.Elapsed/total, 1)
	case r.cfg.Requests > 0:
		s.Progress = min(float64(s.OK+s.Errors)/float64(r.cfg.Requests), 1)
	}
	if r.cfg.Duration > 0 && r.cfg.Requests > 0 { // whichever ends first
		s.Progress = max(s.Progress, min(float64(s.OK+s.Errors)/float64(r.cfg.Requests), 1))
	}
	return s
}
