package triton

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// load sends classify requests to g from workers until stop is closed, each
// text unique so no cache or singleflight hides a backend call.
type load struct {
	mu       sync.Mutex
	statuses map[int]int
	noRetry  int // 503s without Retry-After
	errs     []error
	slowest  time.Duration
	ok       atomic.Int64

	stop chan struct{}
	wg   sync.WaitGroup
}

func startLoad(g *gateway, workers int) *load {
	l := &load{statuses: map[int]int{}, stop: make(chan struct{})}
	client := &http.Client{Timeout: 20 * time.Second}
	var n atomic.Int64
	for w := range workers {
		l.wg.Go(func() {
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				text := fmt.Sprintf("%s (%d/%d)", e2eTexts[w%len(e2eTexts)], w, n.Add(1))
				start := time.Now()
				code, hdr, _, err := classify(context.Background(), client, g, []string{text})
				d := time.Since(start)
				l.mu.Lock()
				l.slowest = max(l.slowest, d)
				if code == 0 {
					l.errs = append(l.errs, err) // no answer at all
				} else {
					l.statuses[code]++
				}
				if code == http.StatusServiceUnavailable && hdr.Get("Retry-After") == "" {
					l.noRetry++
				}
				l.mu.Unlock()
				if code == http.StatusOK {
					l.ok.Add(1)
				} else {
					time.Sleep(5 * time.Millisecond)
				}
			}
		})
	}
	return l
}

func (l *load) finish() {
	close(l.stop)
	l.wg.Wait()
}

// waitOK waits until the load has had n more successes, or fails t.
func (l *load) waitOK(t *testing.T, n int64, within time.Duration) {
	t.Helper()
	target := l.ok.Load() + n
	for start := time.Now(); l.ok.Load() < target; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > within {
			t.Fatalf("load had %d successes; want %d within %v", l.ok.Load(), target, within)
		}
	}
}

// replicaStatus is one replica in GET /v1/models.
type replicaStatus struct {
	Name, Breaker      string
	Requests, Failures uint64
}

// breakerState reads the breaker of g's replica from /v1/models.
func breakerState(t *testing.T, g *gateway, replica string) string {
	t.Helper()
	return replicaOf(t, g, replica).Breaker
}

func replicaOf(t *testing.T, g *gateway, replica string) replicaStatus {
	t.Helper()
	resp, err := http.Get(g.url("/v1/models"))
	if err != nil {
		t.Fatalf("GET /v1/models: %v", err)
	}
	defer resp.Body.Close()
	var r struct {
		Data []struct {
			Replicas []replicaStatus `json:"replicas"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("GET /v1/models: %v", err)
	}
	for _, m := range r.Data {
		for _, rep := range m.Replicas {
			if rep.Name == replica {
				return rep
			}
		}
	}
	t.Fatalf("/v1/models has no replica %q", replica)
	return replicaStatus{}
}

// TestFaultUpstreamKilled kills A under load on B: B answers 200 or 503 with
// Retry-After, never 500 and never hangs; B's breaker for A opens; after A
// restarts, B serves again within 5 s.
func TestFaultUpstreamKilled(t *testing.T) {
	for _, transport := range []string{"grpc", "http"} {
		t.Run(transport, func(t *testing.T) { testUpstreamKilled(t, transport) })
	}
}

// upstreamURL is a's KServe v2 endpoint for the transport.
func upstreamURL(a *gateway, transport string) string {
	if transport == "http" {
		return "http://" + a.httpAddr
	}
	return "grpc://" + a.grpcAddr
}

func testUpstreamKilled(t *testing.T, transport string) {
	a := startGateway(t, "A", gatewayConfig(t, backendYAML{name: "local", typ: "onnx"}))
	b := startGateway(t, "B", gatewayConfig(t, backendYAML{name: "a", typ: "triton", url: upstreamURL(a, transport)}))

	l := startLoad(b, 4)
	defer func() {
		select {
		case <-l.stop:
		default:
			l.finish()
		}
	}()
	l.waitOK(t, 20, 10*time.Second)

	a.kill()
	opened := false
	for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(20 * time.Millisecond) {
		if breakerState(t, b, "a") == "open" {
			opened = true
			break
		}
	}
	if !opened {
		t.Errorf("B's breaker for A did not open within 5s of A's death (state %q)", breakerState(t, b, "a"))
	}
	time.Sleep(500 * time.Millisecond) // load keeps hitting B while A is down

	a.start(t)
	back := time.Now()
	l.waitOK(t, 1, 5*time.Second)
	t.Logf("B served again %v after A was ready", time.Since(back).Round(time.Millisecond))
	l.waitOK(t, 20, 10*time.Second)
	l.finish()

	t.Logf("statuses %v, slowest %v", l.statuses, l.slowest)
	for code, n := range l.statuses {
		if code != http.StatusOK && code != http.StatusServiceUnavailable {
			t.Errorf("%d answers with status %d; want only 200 and 503", n, code)
		}
	}
	if l.statuses[http.StatusServiceUnavailable] == 0 {
		t.Error("no 503 while A was down: the fault was not exercised")
	}
	if l.noRetry > 0 {
		t.Errorf("%d answers 503 without Retry-After", l.noRetry)
	}
	if len(l.errs) > 0 {
		t.Errorf("%d requests got no answer, first: %v", len(l.errs), l.errs[0])
	}
	if l.slowest > 5*time.Second {
		t.Errorf("slowest answer took %v; B must fail fast, not hang", l.slowest)
	}
}

// TestFaultOneOfTwoReplicas kills one of B's two upstreams under load: the
// pool retries on the other, so every request succeeds.
func TestFaultOneOfTwoReplicas(t *testing.T) {
	for _, transport := range []string{"grpc", "http"} {
		t.Run(transport, func(t *testing.T) { testOneOfTwoReplicas(t, transport) })
	}
}

func testOneOfTwoReplicas(t *testing.T, transport string) {
	a1 := startGateway(t, "A1", gatewayConfig(t, backendYAML{name: "local", typ: "onnx"}))
	a2 := startGateway(t, "A2", gatewayConfig(t, backendYAML{name: "local", typ: "onnx"}))
	b := startGateway(t, "B", gatewayConfig(t,
		backendYAML{name: "a1", typ: "triton", url: upstreamURL(a1, transport)},
		backendYAML{name: "a2", typ: "triton", url: upstreamURL(a2, transport)}))

	l := startLoad(b, 4)
	l.waitOK(t, 40, 10*time.Second)
	a1.kill()
	l.waitOK(t, 100, 15*time.Second)
	l.finish()

	t.Logf("statuses %v, slowest %v, replica a1 %+v", l.statuses, l.slowest, replicaOf(t, b, "a1"))
	for code, n := range l.statuses {
		if code != http.StatusOK {
			t.Errorf("%d requests answered %d; want every one 200 (retried on a2)", n, code)
		}
	}
	if len(l.errs) > 0 {
		t.Errorf("%d requests got no answer, first: %v", len(l.errs), l.errs[0])
	}
}
