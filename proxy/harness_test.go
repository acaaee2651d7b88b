package proxy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/infergate/infergate/adapters"
	"github.com/infergate/infergate/proxy"
	"github.com/infergate/infergate/proxy/config"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// The expiring LRU's janitor cannot be stopped (see cache.New).
		goleak.IgnoreAnyFunction("github.com/hashicorp/golang-lru/v2/expirable.NewLRU[...].func1"),
		// fasthttp's date ticker is process-wide; its worker pool's cleaner
		// notices a stop only after its sleep of up to 10s.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
	)
}

// refDir is the reference model's folder, from this package.
var refDir = filepath.Join("..", config.ReferenceDir)

// fakeRuntime is a unit-test stand-in for a model runtime: its outputs are
// a deterministic function of each row's ids (so batching must not change
// them), and a test can slow it down, make it fail, and count its calls.
type fakeRuntime struct {
	classes, hidden int
	embedOnly       bool         // metadata lists no logits, as an embedding model's
	delay           atomic.Int64 // nanoseconds per call
	failing         atomic.Bool  // answer KindUnavailable
	calls, rows     atomic.Int64
}

func newFakeRuntime(classes, hidden int) *fakeRuntime {
	return &fakeRuntime{classes: classes, hidden: hidden}
}

func (f *fakeRuntime) Infer(ctx context.Context, b adapters.Batch) (adapters.Outputs, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	if f.failing.Load() {
		return nil, adapters.Errorf(adapters.KindUnavailable, "fake runtime: injected failure")
	}
	if d := time.Duration(f.delay.Load()); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, adapters.Wrap(adapters.KindTimeout, ctx.Err())
		}
	}
	f.calls.Add(1)
	f.rows.Add(int64(b.Rows))
	logits := make([]float32, b.Rows*f.classes)
	hidden := make([]float32, b.Rows*b.Len*f.hidden)
	for r := 0; r < b.Rows; r++ {
		for t := 0; t < b.Len; t++ {
			i := r*b.Len + t
			if b.AttentionMask[i] == 0 {
				continue
			}
			id := float64(b.InputIDs[i])
			for c := 0; c < f.classes; c++ {
				logits[r*f.classes+c] += float32(math.Sin(id * float64(c+1) * 0.001))
			}
			for j := 0; j < f.hidden; j++ {
				hidden[i*f.hidden+j] = float32(math.Cos(id*float64(j+1)*0.01 + float64(t)))
			}
		}
	}
	return adapters.Outputs{
		adapters.Logits:          {Shape: []int64{int64(b.Rows), int64(f.classes)}, Data: logits},
		adapters.LastHiddenState: {Shape: []int64{int64(b.Rows), int64(b.Len), int64(f.hidden)}, Data: hidden},
	}, nil
}

func (f *fakeRuntime) Ready(context.Context) error { return nil }

func (f *fakeRuntime) Metadata(context.Context) (adapters.Metadata, error) {
	md := adapters.Metadata{
		Name: "fake", Version: "1",
		Inputs: []adapters.TensorSpec{
			{Name: adapters.InputIDs, DType: "INT64", Shape: []int64{-1, -1}},
			{Name: adapters.AttentionMask, DType: "INT64", Shape: []int64{-1, -1}},
			{Name: adapters.TokenTypeIDs, DType: "INT64", Shape: []int64{-1, -1}},
		},
		Outputs: []adapters.TensorSpec{
			{Name: adapters.Logits, DType: "FP32", Shape: []int64{-1, int64(f.classes)}},
			{Name: adapters.LastHiddenState, DType: "FP32", Shape: []int64{-1, -1, int64(f.hidden)}},
		},
	}
	if f.embedOnly {
		md.Outputs = md.Outputs[1:]
	}
	return md, nil
}

func (f *fakeRuntime) Close() error { return nil }

// fakeHandle is one opening of a shared fakeRuntime, as a reload opens its
// backends anew: closing it leaves the other openings working.
type fakeHandle struct {
	*fakeRuntime
	closed atomic.Bool
}

func (h *fakeHandle) Infer(ctx context.Context, b adapters.Batch) (adapters.Outputs, error) {
	if h.closed.Load() {
		return nil, adapters.Errorf(adapters.KindUnavailable, "fake runtime: used after Close")
	}
	return h.fakeRuntime.Infer(ctx, b)
}

func (h *fakeHandle) Ready(context.Context) error {
	if h.closed.Load() {
		return adapters.Errorf(adapters.KindUnavailable, "fake runtime: closed")
	}
	return nil
}

func (h *fakeHandle) Close() error {
	h.closed.Store(true)
	return nil
}

// fakeLabels writes n labels l0..l{n-1} and returns the file.
func fakeLabels(t testing.TB, n int) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "l%d\n", i)
	}
	p := filepath.Join(t.TempDir(), "labels.txt")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeConfig serves one model "m" on the given fake replicas (by name).
func fakeConfig(t testing.TB, classes int, replicas ...string) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Server.HTTPAddr = "127.0.0.1:0"
	cfg.Server.GRPCAddr = ""
	m := config.DefaultModel()
	m.Name = "m"
	m.Tokenizer = filepath.Join(refDir, "vocab.txt")
	m.Labels = fakeLabels(t, classes)
	m.Breaker.ProbeInterval = config.Duration(50 * time.Millisecond)
	for _, r := range replicas {
		m.Backends = append(m.Backends, config.Backend{Name: r, Type: "fake", Timeout: config.Duration(time.Second)})
	}
	cfg.Models = []config.Model{m}
	return cfg
}

func fakeFactory(fakes map[string]*fakeRuntime) map[string]proxy.RuntimeFactory {
	return map[string]proxy.RuntimeFactory{
		"fake": func(_ context.Context, b config.Backend) (adapters.Runtime, error) {
			f, ok := fakes[b.Name]
			if !ok {
				return nil, fmt.Errorf("no fake runtime %q", b.Name)
			}
			return &fakeHandle{fakeRuntime: f}, nil
		},
	}
}

// gateway is a real Server on a loopback port.
type gateway struct {
	URL    string
	GRPC   string // host:port of the KServe v2 gRPC listener
	srv    *proxy.Server
	cancel context.CancelFunc
	done   chan error
}

func startGateway(t testing.TB, cfg config.Config, rts map[string]proxy.RuntimeFactory, opts ...func(*proxy.Options)) *gateway {
	t.Helper()
	o := proxy.Options{Runtimes: rts, Logger: zap.NewNop()}
	for _, f := range opts {
		f(&o)
	}
	srv, err := proxy.New(context.Background(), cfg, o)
	if err != nil {
		t.Fatalf("proxy.New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &gateway{URL: "http://" + ln.Addr().String(), GRPC: gln.Addr().String(), srv: srv, cancel: cancel, done: make(chan error, 1)}
	go func() { g.done <- srv.Serve(ctx, ln, gln) }()
	t.Cleanup(g.stop)
	return g
}

func (g *gateway) stop() {
	g.cancel()
	if err := <-g.done; err != nil {
		panic(fmt.Sprintf("Serve: %v", err))
	}
	g.done <- nil // a second stop returns at once
}

// reply is one HTTP answer.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r reply) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

var client = &http.Client{Timeout: 30 * time.Second}

func do(t testing.TB, method, url string, body any, header ...string) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return reply{}
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Errorf("%s %s: read: %v", method, url, err)
	}
	return reply{Status: res.StatusCode, Header: res.Header, Body: data}
}

// errorEnvelope is the API's one error body.
type errorEnvelope struct {
	Error struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Code    string `json:"code"`
	} `json:"error"`
}

// parallel runs fn(i) for i in [0, n) on n goroutines and waits.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i)
		}()
	}
	wg.Wait()
}
