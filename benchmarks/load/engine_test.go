package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// gridServer answers after a latency drawn without replacement from a
// uniform grid: request k waits lo + (hi-lo) * ((k*37) mod 100) / 100, so
// every 100 requests cover the distribution exactly: p50 = lo + 0.5(hi-lo),
// p90 = lo + 0.9(hi-lo), p99 = lo + 0.99(hi-lo). Sleeps overshoot on a busy
// machine, so the server also records what it really took in served.
func gridServer(t *testing.T, lo, hi time.Duration) (srv *httptest.Server, served func() *hdrhistogram.Histogram) {
	t.Helper()
	var (
		n    atomic.Int64
		mu   sync.Mutex
		hist = newHistogram()
	)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		k := n.Add(1) - 1
		time.Sleep(lo + (hi-lo)*time.Duration((k*37)%100)/100)
		w.Write([]byte(`{"ok":true}`))
		mu.Lock()
		hist.RecordValue(time.Since(began).Microseconds())
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return srv, func() *hdrhistogram.Histogram {
		mu.Lock()
		defer mu.Unlock()
		return hist.Clone()
	}
}

func testConfig(t *testing.T, url string) Config {
	t.Helper()
	target, err := Generic(url, `{"inputs": {{texts}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	wl, err := NewGenerator(GeneratorOptions{Lengths: Short, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(64)
	t.Cleanup(c.CloseIdleConnections)
	return Config{Target: target, Workload: wl, Client: c, Timeout: 5 * time.Second}
}

// Percentile tolerance: a reported percentile must lie within 0.1% (the
// histogram's resolution) below and 3ms + 5% above both the designed value
// and what the server measured itself; the slack above covers HTTP over
// loopback and -race on a shared 2-core machine.
func within(got, want float64) bool {
	return got >= want*0.999-0.01 && got <= want*1.05+3
}

func TestClosedLoopPercentiles(t *testing.T) {
	lo, hi := 10*time.Millisecond, 30*time.Millisecond
	srv, served := gridServer(t, lo, hi)
	cfg := testConfig(t, srv.URL)
	cfg.Mode, cfg.Concurrency, cfg.Requests = Closed, 4, 400
	res, err := Execute(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK != 400 || res.Errors != 0 || res.Sent != 400 {
		t.Fatalf("sent %d, ok %d, errors %d; want 400, 400, 0", res.Sent, res.OK, res.Errors)
	}
	truth := Summarize(served(), false)
	tests := []struct {
		name        string
		got, server float64
		q           float64
	}{
		{"p50", res.Latency.P50, truth.P50, 0.50},
		{"p90", res.Latency.P90, truth.P90, 0.90},
		{"p99", res.Latency.P99, truth.P99, 0.99},
	}
	for _, tt := range tests {
		designed := float64(lo+time.Duration(float64(hi-lo)*tt.q)) / 1e6
		if !within(tt.got, tt.server) {
			t.Errorf("%s = %.2fms; server measured %.2fms", tt.name, tt.got, tt.server)
		}
		if tt.got < designed*0.999-0.01 {
			t.Errorf("%s = %.2fms; below the designed %.2fms", tt.name, tt.got, designed)
		}
	}
	if !within(res.Latency.P50, 20) {
		t.Errorf("p50 = %.2fms; want the designed 20ms", res.Latency.P50)
	}
	// Throughput of 4 clients at a mean of 20ms each is near 200/s.
	if res.Throughput < 140 || res.Throughput > 205 {
		t.Errorf("throughput %.0f/s; want about 200/s", res.Throughput)
	}
}

func TestOpenLoopHoldsRate(t *testing.T) {
	srv, _ := gridServer(t, time.Millisecond, 3*time.Millisecond)
	tests := []struct {
		arrival Arrival
		tol     float64
	}{
		{Constant, 0.02},
		// A Poisson count over 2s at 400/s has a standard deviation of about
		// 3.5%; the seed is fixed, so this checks the mean, not luck.
		{Poisson, 0.10},
	}
	for _, tt := range tests {
		t.Run(string(tt.arrival), func(t *testing.T) {
			cfg := testConfig(t, srv.URL)
			cfg.Mode, cfg.Arrival, cfg.Rate, cfg.Seed = Open, tt.arrival, 400, 42
			cfg.Warmup, cfg.Duration = 200*time.Millisecond, 2*time.Second
			res, err := Execute(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if d := res.SendRate/400 - 1; d < -tt.tol || d > tt.tol {
				t.Errorf("send rate %.1f/s; want 400/s within %.0f%%", res.SendRate, tt.tol*100)
			}
			if res.Errors != 0 || res.OK != res.Sent {
				t.Errorf("ok %d of %d sent, errors %v", res.OK, res.Sent, res.ErrorKinds)
			}
		})
	}
}

// stallServer answers in about 1ms, except that the first request to arrive
// stallAt or later after it starts freezes it for stall: that request and
// every one arriving before the freeze ends wait until it ends, like a server
// stopped by a pause. Starting the freeze at a request, not at a clock time,
// makes its full length visible however late a loaded machine sends.
func stallServer(t *testing.T, stallAt, stall time.Duration) *httptest.Server {
	t.Helper()
	start := time.Now()
	var mu sync.Mutex
	var frozenUntil time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		mu.Lock()
		if frozenUntil.IsZero() && now.Sub(start) >= stallAt {
			frozenUntil = now.Add(stall)
		}
		until := frozenUntil
		mu.Unlock()
		if now.Before(until) {
			time.Sleep(until.Sub(now))
		} else {
			time.Sleep(time.Millisecond)
		}
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestStallShowsInOpenLoop checks the coordinated-omission correction: a
// 400ms stall in a 2s run at 200/s delays 20% of the requests that an open
// loop intends to send, so its p90 must be large; a closed loop with one
// client sees the stall only once and its p90 stays near the 1ms service
// time. With a single in-flight slot the open loop cannot even send during
// the stall, yet latency counted from intended send times must still show it.
func TestStallShowsInOpenLoop(t *testing.T) {
	const stall = 400 * time.Millisecond
	tests := []struct {
		name        string
		mode        Mode
		maxInFlight int
		wantSlow    bool
	}{
		{"open", Open, 0, true},
		{"open, one slot", Open, 1, true},
		{"closed, one client", Closed, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := stallServer(t, 600*time.Millisecond, stall)
			cfg := testConfig(t, srv.URL)
			cfg.Mode, cfg.Duration = tt.mode, 2*time.Second
			cfg.Rate, cfg.MaxInFlight, cfg.Concurrency = 200, tt.maxInFlight, 1
			res, err := Execute(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			p90 := res.Latency.P90
			if tt.wantSlow && p90 < 0.2*float64(stall.Milliseconds()) {
				t.Errorf("p90 = %.1fms; want a stall of %v to show (>= %v)", p90, stall, stall/5)
			}
			if !tt.wantSlow && p90 > 20 {
				t.Errorf("closed loop p90 = %.1fms; want near the 1ms service time", p90)
			}
			if res.Latency.Max < 0.9*float64(stall.Milliseconds()) {
				t.Errorf("max = %.1fms; want >= 90%% of the %v stall", res.Latency.Max, stall)
			}
		})
	}
}

func TestWarmupAndErrorsCounted(t *testing.T) {
	var total, n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		total.Add(1)
		if n.Add(1)%4 == 0 {
			http.Error(w, `{"error":{}}`, http.StatusTooManyRequests)
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	cfg := testConfig(t, srv.URL)
	cfg.Mode, cfg.Concurrency, cfg.Warmup, cfg.Requests = Closed, 2, 300*time.Millisecond, 200
	res, err := Execute(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK+res.Errors != 200 {
		t.Errorf("ok %d + errors %d; want 200 measured", res.OK, res.Errors)
	}
	if total.Load() <= 200 {
		t.Errorf("server saw %d requests; want warm-up requests beyond the 200 measured", total.Load())
	}
	if got := res.ErrorKinds["http_429"]; got < 40 || got > 60 || got != res.Errors {
		t.Errorf("error kinds %v; want about 50 http_429", res.ErrorKinds)
	}
}

func TestStopEndsRunPromptly(t *testing.T) {
	srv, _ := gridServer(t, 100*time.Millisecond, 200*time.Millisecond)
	cfg := testConfig(t, srv.URL)
	cfg.Mode, cfg.Concurrency, cfg.Duration = Closed, 4, time.Minute
	run, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if s := run.Snapshot(); s.Phase != "measuring" || s.OK == 0 {
		t.Errorf("snapshot %+v; want measuring with answers", s)
	}
	began := time.Now()
	run.Stop()
	res, err := run.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d > time.Second {
		t.Errorf("Stop took %v; want well under a second", d)
	}
	if res.OK == 0 || res.Errors != 0 {
		t.Errorf("after stop: ok %d, errors %v; want answers and no errors from abandoned requests", res.OK, res.ErrorKinds)
	}
	if s := run.Snapshot(); s.Phase != "done" || s.Progress != 1 {
		t.Errorf("snapshot after stop %+v; want done", s)
	}
}

func TestConfigValidation(t *testing.T) {
	srv, _ := gridServer(t, 0, time.Millisecond)
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"unbounded", func(c *Config) { c.Mode, c.Concurrency = Closed, 1 }, "bounded"},
		{"no mode", func(c *Config) { c.Duration = time.Second }, "unknown mode"},
		{"zero clients", func(c *Config) { c.Mode, c.Duration = Closed, time.Second }, "concurrency"},
		{"too many clients", func(c *Config) { c.Mode, c.Duration, c.Concurrency = Closed, time.Second, MaxConcurrency+1 }, "concurrency"},
		{"zero rate", func(c *Config) { c.Mode, c.Duration = Open, time.Second }, "rate"},
		{"huge rate", func(c *Config) { c.Mode, c.Duration, c.Rate = Open, time.Second, 1e9 }, "rate"},
		{"bad arrival", func(c *Config) { c.Mode, c.Duration, c.Rate, c.Arrival = Open, time.Second, 1, "bursty" }, "arrival"},
		{"negative", func(c *Config) { c.Mode, c.Duration, c.Concurrency = Closed, -time.Second, 1 }, "negative"},
		{"no target", func(c *Config) { c.Mode, c.Duration, c.Concurrency, c.Target = Closed, time.Second, 1, nil }, "target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, srv.URL)
			tt.edit(&cfg)
			_, err := Start(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start() error = %v; want one about %q", err, tt.want)
			}
		})
	}
}
