package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// RedisOptions configure the shared L2.
type RedisOptions struct {
	Addr     string
	Password string
	DB       int
	// TTL is how long a value lives in Redis.
	TTL time.Duration
	// Timeout bounds every call, so a slow Redis costs each request at most this.
	Timeout time.Duration
	// Backoff is how long the L2 is skipped after a failure; 0 means 1s.
	// It keeps a dead Redis from adding a failed dial to every request.
	Backoff time.Duration
	// Logger receives at most one line per LogEvery about failures.
	Logger *zap.Logger
	// LogEvery is the least time between two failure logs; 0 means 10s.
	LogEvery time.Duration
}

// Redis is the L2 tier. While Redis is down it answers every call with an
// error at once (after the first failure, for Backoff), and logs the outage
// rate-limited, so the gateway keeps serving from L1 and the runtimes.
type Redis struct {
	client *redis.Client
	opts   RedisOptions

	mu         sync.Mutex
	downUntil  time.Time
	lastLog    time.Time
	suppressed int
	up         bool
}

// NewRedis connects lazily: it never fails, and a Redis that comes up later
// is used from then on.
func NewRedis(opts RedisOptions) *Redis {
	if opts.Backoff <= 0 {
		opts.Backoff = time.Second
	}
	if opts.LogEvery <= 0 {
		opts.LogEvery = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	c := redis.NewClient(&redis.Options{
		Addr:         opts.Addr,
		Password:     opts.Password,
		DB:           opts.DB,
		DialTimeout:  opts.Timeout,
		ReadTimeout:  opts.Timeout,
		WriteTimeout: opts.Timeout,
		MaxRetries:   -1, // no retries: a miss is cheaper than a wait
	})
	return &Redis{client: c, opts: opts, up: true}
}

var errSkipped = errors.New("cache: redis skipped after a recent failure")

// Get implements Remote.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, error) {
	if r.skipping() {
		return nil, errSkipped
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	v, err := r.client.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		r.succeeded()
		return nil, ErrMiss
	}
	if err != nil {
		return nil, r.failed("get", err)
	}
	r.succeeded()
	return v, nil
}

// Set implements Remote.
func (r *Redis) Set(ctx context.Context, key string, val []byte) error {
	if r.skipping() {
		return errSkipped
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	if err := r.client.Set(ctx, key, val, r.opts.TTL).Err(); err != nil {
		return r.failed("set", err)
	}
	r.succeeded()
	return nil
}

// Up reports whether the last call reached Redis.
func (r *Redis) Up() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.up
}

// Close releases the connection pool.
func (r *Redis) Close() error { return r.client.Close() }

func (r *Redis) skipping() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return time.Now().Before(r.downUntil)
}

func (r *Redis) succeeded() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.up {
		r.opts.Logger.Info("redis cache reachable again", zap.String("addr", r.opts.Addr))
	}
	r.up = true
}

// failed starts a backoff, logs at most once per LogEvery, and returns err
// with context. A caller's own cancellation is not Redis's fault.
func (r *Redis) failed(op string, err error) error {
	err = fmt.Errorf("redis %s %s: %w", op, r.opts.Addr, err)
	if errors.Is(err, context.Canceled) {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	r.up = false
	r.downUntil = now.Add(r.opts.Backoff)
	if now.Sub(r.lastLog) < r.opts.LogEvery {
		r.suppressed++
		return err
	}
	r.opts.Logger.Warn("redis cache unavailable; serving without L2",
		zap.Error(err), zap.Int("suppressed", r.suppressed), zap.Duration("retry_in", r.opts.Backoff))
	r.lastLog, r.suppressed = now, 0
	return err
}
