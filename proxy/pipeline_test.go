package proxy_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infergate/infergate/proxy"
	"github.com/infergate/infergate/proxy/config"
)

func TestCacheHitReturnsTheMissBody(t *testing.T) {
	fake := newFakeRuntime(5, 8)
	g := startGateway(t, fakeConfig(t, 5, "a"), fakeFactory(map[string]*fakeRuntime{"a": fake}))
	routes := []struct {
		path string
		body string
	}{
		{"/v1/classify", `{"inputs": ["cache me", "and me too"], "top_k": 3}`},
		{"/v1/embed", `{"inputs": "cache me"}`},
		{"/v1/embeddings", `{"input": ["cache me"], "model": "m", "encoding_format": "base64"}`},
		{"/predict", `{"inputs": "cache me"}`},
		{"/embed", `{"inputs": ["cache me"]}`},
	}
	for _, rt := range routes {
		t.Run(rt.path, func(t *testing.T) {
			miss := do(t, "POST", g.URL+rt.path, rt.body)
			if miss.Status != 200 {
				t.Fatalf("first call: %d %s", miss.Status, miss.Body)
			}
			calls := fake.calls.Load()
			hit := do(t, "POST", g.URL+rt.path, rt.body)
			if hit.Status != 200 || hit.Header.Get("X-Cache") != "hit" {
				t.Fatalf("second call: %d x-cache=%q; want 200 hit", hit.Status, hit.Header.Get("X-Cache"))
			}
			if !bytes.Equal(hit.Body, miss.Body) {
				t.Errorf("hit body differs from the miss body:\nmiss %s\nhit  %s", miss.Body, hit.Body)
			}
			if fake.calls.Load() != calls {
				t.Errorf("a cache hit ran the model")
			}
		})
	}
	// The same texts in a request written differently come from the per-text
	// cache, not the replay of a stored answer, and give the same body.
	first := do(t, "POST", g.URL+"/v1/classify", routes[0].body)
	calls := fake.calls.Load()
	other := do(t, "POST", g.URL+"/v1/classify", `{"top_k":3,"inputs":["cache me","and me too"]}`)
	if other.Header.Get("X-Cache") != "hit" || !bytes.Equal(other.Body, first.Body) || fake.calls.Load() != calls {
		t.Errorf("per-text hit: x-cache %q, body %s; want hit and %s without running the model", other.Header.Get("X-Cache"), other.Body, first.Body)
	}
	if r := do(t, "POST", g.URL+"/v1/classify", `{"inputs": ["cache me", "never seen"]}`); r.Header.Get("X-Cache") != "miss" {
		t.Errorf("a half-cached request says x-cache %q; want miss", r.Header.Get("X-Cache"))
	}
}

func TestIdenticalConcurrentRequestsRunTheModelOnce(t *testing.T) {
	fake := newFakeRuntime(5, 8)
	fake.delay.Store(int64(200 * time.Millisecond)) // all requests arrive while the first runs
	g := startGateway(t, fakeConfig(t, 5, "a"), fakeFactory(map[string]*fakeRuntime{"a": fake}))
	bodies := make([][]byte, 50)
	parallel(len(bodies), func(i int) {
		r := do(t, "POST", g.URL+"/v1/classify", `{"inputs": "the same text, fifty times"}`)
		if r.Status != 200 {
			t.Errorf("status %d %s", r.Status, r.Body)
		}
		bodies[i] = r.Body
	})
	if rows := fake.rows.Load(); rows != 1 {
		t.Errorf("the model ran %d rows for 50 identical requests; want 1", rows)
	}
	for i := range bodies {
		if !bytes.Equal(bodies[i], bodies[0]) {
			t.Fatalf("answers differ: %s vs %s", bodies[i], bodies[0])
		}
	}
}

// replicaState reads one replica's status from GET /v1/models.
func replicaState(t *testing.T, g *gateway, name string) (breaker string, requests uint64) {
	t.Helper()
	var list struct {
		Data []struct {
			Replicas []struct {
				Name     string `json:"name"`
				Breaker  string `json:"breaker"`
				Requests uint64 `json:"requests"`
			} `json:"replicas"`
		} `json:"data"`
	}
	do(t, "GET", g.URL+"/v1/models", nil).decode(t, &list)
	for _, r := range list.Data[0].Replicas {
		if r.Name == name {
			return r.Breaker, r.Requests
		}
	}
	t.Fatalf("no replica %q in /v1/models", name)
	return "", 0
}

func TestBreakerOpensOnAFailingReplicaAndClosesAfterRecovery(t *testing.T) {
	bad, good := newFakeRuntime(3, 8), newFakeRuntime(3, 8)
	bad.failing.Store(true)
	// The pool charges failures to a replica's latency, so under light load it
	// avoids a failing replica without tripping its breaker. A slow healthy
	// replica under concurrent load keeps sending work its way.
	good.delay.Store(int64(40 * time.Millisecond))
	cfg := fakeConfig(t, 3, "bad", "good")
	cfg.Models[0].Cache.Size = 0
	cfg.Models[0].Batching.MaxBatchSize = 1
	cfg.Models[0].Breaker.ConsecutiveFailures = 2
	cfg.Models[0].Breaker.OpenTimeout = config.Duration(300 * time.Millisecond)
	g := startGateway(t, cfg, fakeFactory(map[string]*fakeRuntime{"bad": bad, "good": good}))

	var seq atomic.Int64
	load := func(until func() bool) bool {
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			parallel(12, func(int) {
				r := do(t, "POST", g.URL+"/v1/classify", fmt.Sprintf(`{"inputs": "text %d"}`, seq.Add(1)))
				if r.Status != 200 {
					t.Errorf("status %d %s; the pool should retry on the healthy replica", r.Status, r.Body)
				}
			})
			if until() {
				return true
			}
		}
		return false
	}
	if !load(func() bool { st, _ := replicaState(t, g, "bad"); return st == "open" }) {
		t.Fatal("the failing replica's breaker never opened")
	}
	badCalls := bad.calls.Load() // successful calls only; it has none yet
	if badCalls != 0 {
		t.Fatalf("the failing replica answered %d calls", badCalls)
	}

	bad.failing.Store(false)
	recovered := load(func() bool {
		st, _ := replicaState(t, g, "bad")
		return st == "closed" && bad.calls.Load() > 0
	})
	if !recovered {
		st, _ := replicaState(t, g, "bad")
		t.Fatalf("after recovery the breaker is %q and the replica ran %d batches; want closed and used", st, bad.calls.Load())
	}
	metrics := string(do(t, "GET", g.URL+"/metrics", nil).Body)
	for _, want := range []string{
		`infergate_backend_requests_total{model="m",outcome="unavailable",replica="bad"}`,
		`infergate_backend_requests_total{model="m",outcome="ok",replica="bad"}`,
		`infergate_breaker_state{model="m",replica="bad"} 0`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestReloadDropsNoRequest(t *testing.T) {
	fakes := map[string]*fakeRuntime{"a": newFakeRuntime(3, 8)}
	for _, f := range fakes {
		f.delay.Store(int64(5 * time.Millisecond))
	}
	cfg := fakeConfig(t, 3, "a")
	cfg.Models[0].Cache.Size = 0
	var next atomic.Int64 // each reload changes max_batch_size, to see it applied
	reload := func() (config.Config, error) {
		c := cfg
		c.Models = append([]config.Model(nil), cfg.Models...)
		c.Models[0].Batching.MaxBatchSize = int(8 + next.Add(1))
		return c, nil
	}
	g := startGateway(t, cfg, fakeFactory(fakes), func(o *proxy.Options) { o.Reload = reload })

	stop := make(chan struct{})
	var sent, failed atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		parallel(16, func(w int) {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r := do(t, "POST", g.URL+"/v1/classify", fmt.Sprintf(`{"inputs": ["w%d r%d", "second %d"]}`, w, i, i))
				sent.Add(1)
				if r.Status != 200 {
					failed.Add(1)
					t.Errorf("during reloads: %d %s", r.Status, r.Body)
				}
			}
		})
	}()
	for i := 0; i < 5; i++ {
		time.Sleep(100 * time.Millisecond)
		if err := g.srv.Reload(context.Background()); err != nil {
			t.Fatalf("Reload: %v", err)
		}
	}
	close(stop)
	<-done
	if sent.Load() < 50 || failed.Load() > 0 {
		t.Errorf("sent %d requests across 5 reloads, %d failed; want many sent and none failed", sent.Load(), failed.Load())
	}
	var list struct {
		Data []struct {
			Batching config.Batching `json:"batching"`
		} `json:"data"`
	}
	do(t, "GET", g.URL+"/v1/models", nil).decode(t, &list)
	if got := list.Data[0].Batching.MaxBatchSize; got != 13 {
		t.Errorf("after 5 reloads max_batch_size = %d; want 13", got)
	}
	if m := string(do(t, "GET", g.URL+"/metrics", nil).Body); !strings.Contains(m, `infergate_reloads_total{result="ok"} 5`) {
		t.Error("/metrics does not count 5 successful reloads")
	}
}

func TestFailedReloadKeepsServing(t *testing.T) {
	fake := newFakeRuntime(3, 8)
	cfg := fakeConfig(t, 3, "a")
	bad := func() (config.Config, error) {
		c := cfg
		c.Models = append([]config.Model(nil), cfg.Models...)
		c.Models[0].Backends = []config.Backend{{Name: "x", Type: "nosuchtype", Timeout: config.Duration(time.Second)}}
		return c, nil
	}
	g := startGateway(t, cfg, fakeFactory(map[string]*fakeRuntime{"a": fake}), func(o *proxy.Options) { o.Reload = bad })
	err := g.srv.Reload(context.Background())
	if err == nil || !strings.Contains(err.Error(), `unknown type "nosuchtype"`) {
		t.Fatalf("Reload() = %v; want an unknown type error", err)
	}
	if r := do(t, "POST", g.URL+"/v1/classify", `{"inputs": "still here"}`); r.Status != http.StatusOK {
		t.Errorf("after a failed reload: %d %s", r.Status, r.Body)
	}
}

func TestCachedAnswersExpireWithTheTTL(t *testing.T) {
	fake := newFakeRuntime(3, 8)
	cfg := fakeConfig(t, 3, "a")
	cfg.Models[0].Cache.TTL = config.Duration(300 * time.Millisecond)
	g := startGateway(t, cfg, fakeFactory(map[string]*fakeRuntime{"a": fake}))
	body := `{"inputs": "short-lived"}`
	for i, want := range []string{"miss", "hit"} {
		if r := do(t, "POST", g.URL+"/v1/classify", body); r.Header.Get("X-Cache") != want {
			t.Fatalf("call %d: x-cache %q; want %s", i, r.Header.Get("X-Cache"), want)
		}
	}
	time.Sleep(700 * time.Millisecond)
	if r := do(t, "POST", g.URL+"/v1/classify", body); r.Header.Get("X-Cache") != "miss" {
		t.Errorf("after the TTL: x-cache %q; want miss", r.Header.Get("X-Cache"))
	}
	if m := string(do(t, "GET", g.URL+"/metrics", nil).Body); !strings.Contains(m, `infergate_cache_hits_total{model="m",tier="replay"} 1`) {
		t.Error("/metrics does not count the replayed answer")
	}
}
