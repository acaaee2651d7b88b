package cache_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/infergate/infergate/cache"
	"github.com/infergate/infergate/cache/redistest"
)

func TestMain(m *testing.M) {
	// The expiring LRU's janitor cannot be stopped (see cache.New).
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/hashicorp/golang-lru/v2/expirable.NewLRU[...].func1"))
}

// counts is an Observer that tallies lookups.
type counts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counts) CacheLookup(t cache.Tier, outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[string(t)+" "+outcome]++
}

func (c *counts) get(k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[k]
}

func TestKeySeparatesEveryPart(t *testing.T) {
	base := cache.Key("m", "1", "classify", "trunc=128", "hello")
	tests := []struct {
		name string
		give string
	}{
		{"model", cache.Key("n", "1", "classify", "trunc=128", "hello")},
		{"version", cache.Key("m", "2", "classify", "trunc=128", "hello")},
		{"task", cache.Key("m", "1", "embed", "trunc=128", "hello")},
		{"options", cache.Key("m", "1", "classify", "trunc=64", "hello")},
		{"text", cache.Key("m", "1", "classify", "trunc=128", "hello!")},
		{"boundary", cache.Key("m", "1", "classify", "trunc=128h", "ello")},
	}
	for _, tt := range tests {
		if tt.give == base {
			t.Errorf("changing the %s kept the key %s", tt.name, base)
		}
	}
	if again := cache.Key("m", "1", "classify", "trunc=128", "hello"); again != base {
		t.Errorf("Key is not deterministic: %s vs %s", again, base)
	}
}

func TestL1HitMissAndTTL(t *testing.T) {
	obs := &counts{}
	c := cache.New(cache.Options{Size: 2, TTL: 100 * time.Millisecond, Observer: obs})
	ctx := context.Background()
	if _, _, ok := c.Get(ctx, "a"); ok {
		t.Fatal("Get(a) on an empty cache hit")
	}
	c.Set(ctx, "a", []byte("1"))
	v, tier, ok := c.Get(ctx, "a")
	if !ok || tier != cache.L1 || string(v) != "1" {
		t.Fatalf("Get(a) = %q, %q, %v; want 1, l1, true", v, tier, ok)
	}
	c.Set(ctx, "b", []byte("2"))
	c.Set(ctx, "c", []byte("3")) // evicts a, the least recent
	if _, _, ok := c.Get(ctx, "a"); ok {
		t.Error("Get(a) hit after eviction by size")
	}
	time.Sleep(250 * time.Millisecond)
	if _, _, ok := c.Get(ctx, "c"); ok {
		t.Error("Get(c) hit after its TTL")
	}
	if got := obs.get("l1 hit"); got != 1 {
		t.Errorf("l1 hits = %d; want 1", got)
	}
}

func TestL2SharedBetweenTwoCaches(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	r1 := cache.NewRedis(cache.RedisOptions{Addr: srv.Addr, TTL: time.Minute, Timeout: time.Second})
	r2 := cache.NewRedis(cache.RedisOptions{Addr: srv.Addr, TTL: time.Minute, Timeout: time.Second})
	defer r1.Close()
	defer r2.Close()
	obs := &counts{}
	a := cache.New(cache.Options{Size: 10, TTL: time.Minute, Remote: r1})
	b := cache.New(cache.Options{Size: 10, TTL: time.Minute, Remote: r2, Observer: obs})

	val := []byte{0, 1, 2, 255}
	a.Set(ctx, "k", val)
	got, tier, ok := b.Get(ctx, "k")
	if !ok || tier != cache.L2 || !bytes.Equal(got, val) {
		t.Fatalf("b.Get(k) = %v, %q, %v; want %v from l2", got, tier, ok, val)
	}
	if _, tier, _ := b.Get(ctx, "k"); tier != cache.L1 {
		t.Errorf("second b.Get(k) came from %q; want l1 after promotion", tier)
	}
	if _, _, ok := b.Get(ctx, "absent"); ok {
		t.Error("b.Get(absent) hit")
	}
	if obs.get("l2 miss") != 1 || obs.get("l2 hit") != 1 {
		t.Errorf("l2 counts = %v; want one hit and one miss", obs.n)
	}
}

func TestRedisDownKeepsServingAndSaysSo(t *testing.T) {
	srv := redistest.Start(t)
	core, logs := observer.New(zap.WarnLevel)
	r := cache.NewRedis(cache.RedisOptions{
		Addr: srv.Addr, TTL: time.Minute, Timeout: 200 * time.Millisecond,
		Backoff: 100 * time.Millisecond, Logger: zap.New(core), LogEvery: time.Hour,
	})
	defer r.Close()
	obs := &counts{}
	c := cache.New(cache.Options{Size: 10, TTL: time.Minute, Remote: r, Observer: obs})
	ctx := context.Background()
	c.Set(ctx, "before", []byte("x"))
	srv.Stop()

	start := time.Now()
	for i := 0; i < 50; i++ {
		if _, _, ok := c.Get(ctx, "missing"); ok {
			t.Fatal("Get hit a key nobody set")
		}
		c.Set(ctx, "after", []byte("y"))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("100 calls with Redis down took %v; the backoff should make them cheap", d)
	}
	if v, tier, ok := c.Get(ctx, "after"); !ok || tier != cache.L1 || string(v) != "y" {
		t.Errorf("L1 stopped working with Redis down: %q %q %v", v, tier, ok)
	}
	if r.Up() {
		t.Error("Up() = true with Redis stopped")
	}
	if obs.get("l2 error") == 0 {
		t.Error("no l2 errors counted with Redis stopped")
	}
	if n := logs.FilterMessage("redis cache unavailable; serving without L2").Len(); n != 1 {
		t.Errorf("logged the outage %d times; want once (rate-limited)", n)
	}
}
