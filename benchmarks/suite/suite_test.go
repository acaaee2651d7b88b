package suite

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/infergate/infergate/adapters"
	"github.com/infergate/infergate/benchmarks/baseline"
	"github.com/infergate/infergate/benchmarks/rawbench"
	"github.com/infergate/infergate/benchmarks/report"
)

func TestMain(m *testing.M) {
	// Re-executed by TestProcessLifecycle as a server process.
	if addr := os.Getenv("SUITE_TEST_SERVE"); addr != "" {
		app := baseline.New(baseline.Body(100))
		go func() { _ = app.Listen(addr) }()
		sig := make(chan os.Signal, 1)
		notifyTerm(sig)
		<-sig
		_ = app.Shutdown()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// fakeGateway answers the classify route after delay and exposes counters
// in Prometheus text format, like the gateway's /metrics.
func fakeGateway(t *testing.T, delay time.Duration) *httptest.Server {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/metrics":
			fmt.Fprintf(w, "# TYPE x counter\nfake_padded_total{model=\"m\"} %d\nfake_tokens_total{model=\"m\"} %d\nfake_other_total %d\n", 3*n.Load(), 2*n.Load(), 2*n.Load())
		case "/v1/classify":
			io.Copy(io.Discard, r.Body)
			time.Sleep(delay)
			n.Add(1)
			w.Write([]byte(`{"results":[{"label":"en","score":0.9}]}`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// fakeRuntime is a test double: 1ms per batch row plus 20µs per padded
// token, answering logits of two classes.
type fakeRuntime struct{}

func (fakeRuntime) Infer(ctx context.Context, b adapters.Batch) (adapters.Outputs, error) {
	time.Sleep(time.Duration(b.Rows)*time.Millisecond + time.Duration(b.Rows*b.Len)*20*time.Microsecond)
	return adapters.Outputs{adapters.Logits: {Shape: []int64{int64(b.Rows), 2}, Data: make([]float32, 2*b.Rows)}}, nil
}

type fakeEncoder struct{}

func (fakeEncoder) Encode(text string) ([]int32, []int32, error) {
	n := len(strings.Fields(text)) + 2
	return make([]int32, n), make([]int32, n), nil
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

func TestRunScenario(t *testing.T) {
	fast, slow := fakeGateway(t, 2*time.Millisecond), fakeGateway(t, 6*time.Millisecond)
	s := &Scenario{
		Name: "t", Title: "Test", Runs: 3,
		Arms: []Arm{
			{Name: "raw", Runtime: &RuntimeArm{Model: "m", Tokenizer: "v", BatchSizes: []int{1, 4}, Texts: 64}},
			{Name: "fast", URL: fast.URL},
			{Name: "slow", URL: slow.URL},
		},
		Load: Load{Target: "/v1/classify", Concurrency: []int{2}, RateFractions: []float64{0.25, 0.5},
			Duration: 200 * time.Millisecond, Workload: "short"},
		Metrics: []Metric{{Name: "padding", Num: "fake_padded_total", Den: "fake_tokens_total+fake_other_total"}},
		Ratio: []Comp{
			{Name: "fast/slow", Num: "fast c=2", Den: "slow c=2", Metric: "throughput", Target: ">= 1.5"},
			{Name: "raw best/b=1", Num: "raw best", Den: "raw b=1", Metric: "throughput"},
			{Name: "budget", Num: "fast @0.5", Den: "raw b=4", Metric: "p99_budget", DelayMs: 2, Batches: 3, Target: "<= 100"},
			{Name: "missing", Num: "nope c=1", Den: "slow c=2", Metric: "throughput"},
		},
	}
	if err := s.validate(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	rep, err := Run(context.Background(), s, Options{Command: "test", Log: &log,
		OpenRuntime: func(context.Context, RuntimeArm) (rawbench.Runner, rawbench.Encoder, io.Closer, error) {
			return fakeRuntime{}, fakeEncoder{}, nopCloser{}, nil
		}})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	labels := map[string]report.Case{}
	for _, c := range rep.Cases {
		labels[c.Label()] = c
		if len(c.Runs) != 3 {
			t.Errorf("%s: %d runs; want 3", c.Label(), len(c.Runs))
		}
	}
	for _, want := range []string{"raw b=1", "raw b=4", "fast c=2", "slow c=2", "fast @0.25", "fast @0.5", "slow @0.5"} {
		if _, ok := labels[want]; !ok {
			t.Errorf("no case %q among %v", want, rep.Cases)
		}
	}
	if got := labels["fast c=2"].Extra["padding"]; len(got) != 3 || got[0] != 0.75 {
		t.Errorf("fast c=2 padding metric = %v; want three runs of 0.75", got)
	}
	half := labels["fast @0.5"]
	if sat := labels["fast c=2"].Median().Throughput; half.Rate < 0.45*sat || half.Rate > 0.55*sat {
		t.Errorf("fast @0.5 ran at %.1f/s; want half of saturation %.1f/s", half.Rate, sat)
	}
	r := rep.Ratios
	if len(r) != 4 || r[0].Met == nil || !*r[0].Met || r[1].Value < 1 || r[2].Met == nil || !*r[2].Met || r[3].Value != 0 || !strings.Contains(r[3].How, "not measured") {
		t.Errorf("ratios = %+v", r)
	}
	if n := rep.Notes; len(n) == 0 || !strings.Contains(n[len(n)-1], "load average") {
		t.Errorf("notes %q; want the host load average", n)
	}
	dir := t.TempDir()
	if err := Write(rep, dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"t.md", "t.json", "t-latency.svg", "t-cdf.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("Write did not create %s", f)
		}
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "t.json"))
	var back report.Report
	if err := json.Unmarshal(raw, &back); err != nil || len(back.Cases) != len(rep.Cases) {
		t.Errorf("t.json does not round-trip: %v", err)
	}
}

func TestBatcherArms(t *testing.T) {
	rt := RuntimeArm{Model: "m", Tokenizer: "v", Texts: 256, Outputs: []string{"logits"}}
	s := &Scenario{
		Name: "g", Title: "Grouping", Runs: 1,
		Arms: []Arm{
			// Batches of 8 from a queue of about 56 leave grouping room to choose.
			{Name: "length", Batcher: &BatcherArm{RuntimeArm: rt, MaxBatchSize: 8, MaxDelay: time.Millisecond}},
			{Name: "fifo", Batcher: &BatcherArm{RuntimeArm: rt, MaxBatchSize: 8, Grouping: "fifo", MaxDelay: time.Millisecond}},
		},
		Load: Load{Concurrency: []int{64}, Duration: 500 * time.Millisecond, Workload: "mixed"},
	}
	if err := s.validate(); err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), s, Options{
		OpenRuntime: func(context.Context, RuntimeArm) (rawbench.Runner, rawbench.Encoder, io.Closer, error) {
			return fakeRuntime{}, fakeEncoder{}, nopCloser{}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Cases) != 2 {
		t.Fatalf("cases = %+v; want length c=64 and fifo c=64", rep.Cases)
	}
	pad := map[string]float64{}
	for _, c := range rep.Cases {
		m := c.Median()
		if m.Throughput <= 0 || m.P50 <= 0 || m.Errors != 0 || len(c.Extra["rows/batch"]) != 1 {
			t.Errorf("%s: %+v extra %v; want answers, latencies and batch metrics", c.Label(), m, c.Extra)
		}
		pad[c.Arm] = c.Extra["padding"][0]
	}
	if pad["length"] >= pad["fifo"] {
		t.Errorf("padding with length grouping %.3f, fifo %.3f; want less padding grouped on a mixed workload", pad["length"], pad["fifo"])
	}
}

func TestScenarioValidation(t *testing.T) {
	good := func() Scenario {
		return Scenario{Name: "x", Arms: []Arm{{Name: "a", URL: "http://h:1"}},
			Load: Load{Target: "/v1/classify", Concurrency: []int{1}, Duration: time.Second, Workload: "short"}}
	}
	tests := []struct {
		name string
		edit func(*Scenario)
	}{
		{"path in name", func(s *Scenario) { s.Name = "../x" }},
		{"no arms", func(s *Scenario) { s.Arms = nil }},
		{"two kinds", func(s *Scenario) { s.Arms[0].Gateway = "c.yaml" }},
		{"duplicate arm", func(s *Scenario) { s.Arms = append(s.Arms, s.Arms[0]) }},
		{"baseline before its arm", func(s *Scenario) { s.Arms = append([]Arm{{Name: "b", Baseline: "a"}}, s.Arms...) }},
		{"no duration", func(s *Scenario) { s.Load.Duration = 0 }},
		{"bad workload", func(s *Scenario) { s.Load.Workload = "huge" }},
		{"no load", func(s *Scenario) { s.Load.Concurrency = nil }},
		{"fractions without saturation", func(s *Scenario) { s.Load.Concurrency, s.Load.RateFractions = nil, []float64{0.5} }},
		{"bad target", func(s *Scenario) { s.Ratio = []Comp{{Name: "r", Metric: "throughput", Target: "about 2"}} }},
		{"bad metric", func(s *Scenario) { s.Ratio = []Comp{{Name: "r", Metric: "speed"}} }},
		{"too many runs", func(s *Scenario) { s.Runs = 99 }},
	}
	s := good()
	if err := s.validate(); err != nil || s.Runs != 3 {
		t.Fatalf("good scenario: %v (runs %d; want default 3)", err, s.Runs)
	}
	for _, tt := range tests {
		s := good()
		tt.edit(&s)
		if err := s.validate(); err == nil {
			t.Errorf("%s: validate() = nil; want an error", tt.name)
		}
	}
}

func TestScenarioFilesLoad(t *testing.T) {
	files, _ := filepath.Glob("../scenarios/*.yaml")
	for _, f := range files {
		if _, err := LoadScenario(f); err != nil {
			t.Errorf("LoadScenario(%s): %v", f, err)
		}
	}
	path := filepath.Join(t.TempDir(), "typo.yaml")
	os.WriteFile(path, []byte("name: x\nruns: 3\nlaod: {}\n"), 0o644)
	if _, err := LoadScenario(path); err == nil || !strings.Contains(err.Error(), "laod") {
		t.Errorf("LoadScenario with an unknown key = %v; want an error naming it", err)
	}
}

func TestParseSums(t *testing.T) {
	text := `# HELP infergate_batch_rows rows
infergate_batch_rows_sum{model="a"} 10
infergate_batch_rows_sum{model="b",x="}"} 5.5
infergate_batch_rows_count 3 1700000000
other_sum 99
`
	got, err := parseSums(strings.NewReader(text), []string{"infergate_batch_rows_sum", "infergate_batch_rows_count"})
	if err != nil || got["infergate_batch_rows_sum"] != 15.5 || got["infergate_batch_rows_count"] != 3 || len(got) != 2 {
		t.Errorf("parseSums = %v, %v; want sum 15.5 and count 3", got, err)
	}
}

func TestProcessLifecycle(t *testing.T) {
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	t.Setenv("SUITE_TEST_SERVE", addr)
	p, err := startProcess(context.Background(), t.TempDir(), []string{exe}, "http://"+addr+"/readyz", 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("server still listening after stop")
	}
	t.Setenv("SUITE_TEST_SERVE", "")
	if _, err := startProcess(context.Background(), t.TempDir(), []string{"/bin/false"}, "http://"+addr+"/readyz", 5*time.Second); err == nil ||
		!strings.Contains(err.Error(), "exited before it was ready") {
		t.Errorf("a process that exits: %v; want an error saying so", err)
	}
}
