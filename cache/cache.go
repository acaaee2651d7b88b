// Package cache keeps model results so that a text seen before is answered
// without tokenization or inference: an in-process L1 (an expiring LRU) in
// front of an optional L2 in Redis that gateway replicas share. Values are
// opaque bytes; the caller owns their encoding. A failing L2 never fails a
// request: the cache degrades to L1 and reports the errors.
package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// Tier names where a value was found, for metrics and the x-cache header.
type Tier string

// The cache tiers.
const (
	L1 Tier = "l1"
	L2 Tier = "l2"
)

// ErrMiss is what an L2 returns for a key it does not hold.
var ErrMiss = errors.New("cache: miss")

// Remote is the shared second tier; *Redis implements it.
type Remote interface {
	Get(ctx context.Context, key string) ([]byte, error) // ErrMiss when absent
	Set(ctx context.Context, key string, val []byte) error
}

// Observer counts lookups per tier; outcome is "hit", "miss" or "error".
type Observer interface {
	CacheLookup(tier Tier, outcome string)
}

// Key identifies one result: which model (and which version of it) computed
// what task with which options on which text. The text enters only as a
// hash, so keys are short and texts never reach Redis.
func Key(model, version, task, options, text string) string {
	h := sha256.New()
	for _, part := range []string{model, version, task, options} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write([]byte(text))
	sum := h.Sum(nil)
	return "infergate:" + model + ":" + hex.EncodeToString(sum[:16])
}

// Options configure a Cache.
type Options struct {
	// Size is the most L1 entries; it must be positive.
	Size int
	// TTL is how long an L1 entry lives.
	TTL time.Duration
	// Remote is the optional L2.
	Remote Remote
	// Observer, if set, sees every lookup.
	Observer Observer
}

// Cache is a two-tier result cache, safe for concurrent use.
type Cache struct {
	l1     *expirable.LRU[string, []byte]
	remote Remote
	obs    Observer
}

// New builds a cache. The expiring LRU runs one janitor goroutine for the
// life of the process (golang-lru/v2 offers no way to stop it), so callers
// keep a Cache across config reloads rather than building new ones.
func New(opts Options) *Cache {
	return &Cache{
		l1:     expirable.NewLRU[string, []byte](opts.Size, nil, opts.TTL),
		remote: opts.Remote,
		obs:    opts.Observer,
	}
}

// Get returns the value of key and the tier that held it. An L2 hit is
// copied into L1. L2 errors count as misses.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, Tier, bool) {
	if v, ok := c.l1.Get(key); ok {
		c.observe(L1, "hit")
		return v, L1, true
	}
	c.observe(L1, "miss")
	if c.remote == nil {
		return nil, "", false
	}
	v, err := c.remote.Get(ctx, key)
	switch {
	case err == nil:
		c.observe(L2, "hit")
		c.l1.Add(key, v)
		return v, L2, true
	case errors.Is(err, ErrMiss):
		c.observe(L2, "miss")
	default:
		c.observe(L2, "error")
	}
	return nil, "", false
}

// Set stores val in both tiers. val must not be modified afterwards.
func (c *Cache) Set(ctx context.Context, key string, val []byte) {
	c.l1.Add(key, val)
	if c.remote != nil {
		if err := c.remote.Set(ctx, key, val); err != nil {
			c.observe(L2, "error")
		}
	}
}

// Len is the number of L1 entries.
func (c *Cache) Len() int { return c.l1.Len() }

// Resize changes the L1 capacity, keeping the most recent entries.
func (c *Cache) Resize(size int) { c.l1.Resize(size) }

func (c *Cache) observe(t Tier, outcome string) {
	if c.obs != nil {
		c.obs.CacheLookup(t, outcome)
	}
}
