package proxy_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/infergate/infergate/cache/redistest"
	"github.com/infergate/infergate/proxy/config"
)

func TestRedisL2SharedAcrossGatewaysAndOptional(t *testing.T) {
	redis := redistest.Start(t)
	fakeA, fakeB := newFakeRuntime(4, 8), newFakeRuntime(4, 8)
	cfgA := fakeConfig(t, 4, "r")
	cfgA.CacheL2 = config.CacheL2{RedisAddr: redis.Addr, TTL: config.Duration(time.Minute), Timeout: config.Duration(200 * time.Millisecond)}
	cfgB := cfgA
	a := startGateway(t, cfgA, fakeFactory(map[string]*fakeRuntime{"r": fakeA}))
	b := startGateway(t, cfgB, fakeFactory(map[string]*fakeRuntime{"r": fakeB}))

	body := `{"inputs": ["shared between replicas", "another one"]}`
	first := do(t, "POST", a.URL+"/v1/classify", body)
	if first.Status != 200 || first.Header.Get("X-Cache") != "miss" {
		t.Fatalf("gateway A: %d x-cache %q %s", first.Status, first.Header.Get("X-Cache"), first.Body)
	}
	second := do(t, "POST", b.URL+"/v1/classify", body)
	if second.Status != 200 || second.Header.Get("X-Cache") != "hit" {
		t.Fatalf("gateway B: %d x-cache %q; want a hit from Redis", second.Status, second.Header.Get("X-Cache"))
	}
	if !bytes.Equal(first.Body, second.Body) {
		t.Errorf("B's L2 hit differs from A's miss:\n%s\n%s", first.Body, second.Body)
	}
	if n := fakeB.calls.Load(); n != 0 {
		t.Errorf("gateway B ran its model %d times; want 0", n)
	}
	if m := string(do(t, "GET", b.URL+"/metrics", nil).Body); !strings.Contains(m, `infergate_cache_hits_total{model="m",tier="l2"} 2`) {
		t.Error("/metrics of B does not count 2 L2 hits")
	}

	redis.Stop()
	for i, text := range []string{"redis is down", "still down", "and again"} {
		r := do(t, "POST", b.URL+"/v1/classify", `{"inputs": "`+text+`"}`)
		if r.Status != 200 || r.Header.Get("X-Cache") != "miss" {
			t.Fatalf("request %d with Redis down: %d x-cache %q %s", i, r.Status, r.Header.Get("X-Cache"), r.Body)
		}
	}
	m := string(do(t, "GET", b.URL+"/metrics", nil).Body)
	for _, want := range []string{`infergate_cache_errors_total{model="m",tier="l2"}`, "infergate_cache_l2_up 0"} {
		if !strings.Contains(m, want) {
			t.Errorf("with Redis down /metrics lacks %s", want)
		}
	}
}
