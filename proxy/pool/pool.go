// Package pool spreads the batches of one model over its replicas. It picks a
// replica by the power of two random choices on in-flight calls and latency,
// guards each replica with a circuit breaker that only retryable failures
// trip, retries once on another replica, and keeps replicas that fail their
// readiness probe out of rotation until they pass again.
package pool

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/infergate/infergate/adapters"
)

// ErrNoReplica means no replica could take the call: all are not ready or
// behind an open breaker. Its kind is adapters.KindUnavailable, so the
// gateway answers 503 with Retry-After.
var ErrNoReplica error = &adapters.Error{Kind: adapters.KindUnavailable, Err: errors.New("no replica available")}

// Replica is one runtime serving the model; Name and Type label its metrics
// and status.
type Replica struct {
	Name, Type string
	Runtime    adapters.Runtime
}

// Observer receives replica events for metrics. Calls come from several
// goroutines (BreakerState under the breaker's lock) and must not block or
// call back into the pool.
type Observer interface {
	// BackendDone reports one call: outcome is "ok", an adapters.Kind name
	// ("unavailable", "timeout", "bad_input", "internal"), "canceled" when the
	// caller left, or "rejected" when the breaker refused it.
	BackendDone(replica, outcome string, d time.Duration)
	// BreakerState reports "closed", "half-open" or "open" on every change
	// (and "closed" at start).
	BreakerState(replica, state string)
	// InFlight reports the number of calls running on a replica.
	InFlight(replica string, n int)
}

// Options tune the pool. Zero values take the defaults noted per field.
type Options struct {
	// ConsecutiveFailures retryable failures in a row open a breaker (default 5).
	ConsecutiveFailures uint32
	// OpenTimeout is how long a breaker stays open before it lets one trial
	// call through (half-open; default 10s).
	OpenTimeout time.Duration
	// ProbeInterval is the period of readiness probes (default 5s; negative
	// disables probing and every replica counts as ready).
	ProbeInterval time.Duration
	// ProbeTimeout bounds one probe (default the smaller of ProbeInterval and 2s).
	ProbeTimeout time.Duration
	// Observer receives metrics events; nil for none.
	Observer Observer
	// Logger records readiness and breaker changes; nil for none.
	Logger *zap.Logger
}

func (o Options) withDefaults() Options {
	if o.ConsecutiveFailures == 0 {
		o.ConsecutiveFailures = 5
	}
	if o.OpenTimeout <= 0 {
		o.OpenTimeout = 10 * time.Second
	}
	if o.ProbeInterval == 0 {
		o.ProbeInterval = 5 * time.Second
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = 2 * time.Second
		if o.ProbeInterval > 0 && o.ProbeInterval < o.ProbeTimeout {
			o.ProbeTimeout = o.ProbeInterval
		}
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return o
}

// Pool holds the replicas of one model. It is safe for concurrent use.
type Pool struct {
	model    string
	replicas []*replica
	opts     Options

	mu     sync.RWMutex // guards closed against new calls during Close
	closed bool
	calls  sync.WaitGroup // running Infer calls, drained by Close

	stop      chan struct{} // closed by Close to end the probe loop
	probeDone chan struct{}
	closeOnce sync.Once
	closeErr  error

	metaMu sync.Mutex
	meta   *adapters.Metadata
}

// New builds the pool, probes every replica once (in parallel, bounded by
// ProbeTimeout) so Ready is meaningful at once, and starts the probe loop.
// Close must be called to stop it.
func New(model string, replicas []Replica, opts Options) *Pool {
	opts = opts.withDefaults()
	p := &Pool{
		model:     model,
		opts:      opts,
		stop:      make(chan struct{}),
		probeDone: make(chan struct{}),
	}
	for _, r := range replicas {
		p.replicas = append(p.replicas, newReplica(r, opts))
	}
	if opts.ProbeInterval < 0 {
		for _, r := range p.replicas {
			r.ready.Store(true)
		}
		close(p.probeDone)
		return p
	}
	p.probeAll(nil)
	go p.probeLoop()
	return p
}

// Infer runs the batch on a replica chosen by the power of two choices. A
// retryable failure is retried once on another replica while ctx allows and
// the deadline leaves that replica its usual latency.
func (p *Pool) Infer(ctx context.Context, b adapters.Batch) (adapters.Outputs, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	if !p.enter() {
		return nil, fmt.Errorf("pool %s: closed: %w", p.model, ErrNoReplica)
	}
	defer p.calls.Done()

	var (
		tried   []*replica
		lastErr error // from the last call a replica actually ran
		calls   int
	)
	for {
		if err := ctx.Err(); err != nil {
			if lastErr != nil {
				return nil, lastErr
			}
			return nil, adapters.Wrap(adapters.KindTimeout, fmt.Errorf("pool %s: %w", p.model, err))
		}
		r := p.pick(tried)
		if r == nil {
			if lastErr != nil {
				return nil, lastErr
			}
			return nil, fmt.Errorf("pool %s: %w: none of %d replicas is ready with a closed breaker",
				p.model, ErrNoReplica, len(p.replicas))
		}
		if calls > 0 && !r.fits(ctx) {
			return nil, lastErr
		}
		tried = append(tried, r)
		out, ran, err := r.call(ctx, b, p.opts.Observer)
		if err == nil {
			return out, nil
		}
		if !ran {
			continue // the breaker refused before any work: try another
		}
		calls++
		lastErr = fmt.Errorf("pool %s: replica %s: %w", p.model, r.Name, err)
		if calls >= 2 || !adapters.Retryable(err) {
			return nil, lastErr
		}
	}
}

func (p *Pool) enter() bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return false
	}
	p.calls.Add(1)
	return true
}

// Ready reports whether some replica is ready and not behind an open breaker.
func (p *Pool) Ready() bool {
	for _, r := range p.replicas {
		if r.available() {
			return true
		}
	}
	return false
}

// Metadata describes the model, asked of the first ready replica that
// answers; the first answer is kept, as every replica serves the same model.
func (p *Pool) Metadata(ctx context.Context) (adapters.Metadata, error) {
	p.metaMu.Lock()
	defer p.metaMu.Unlock()
	if p.meta != nil {
		return *p.meta, nil
	}
	errs := make([]error, 0, len(p.replicas))
	for _, ready := range []bool{true, false} {
		for _, r := range p.replicas {
			if r.ready.Load() != ready {
				continue
			}
			m, err := r.Runtime.Metadata(ctx)
			if err == nil {
				p.meta = &m
				return m, nil
			}
			errs = append(errs, fmt.Errorf("replica %s: %w", r.Name, err))
		}
	}
	if len(errs) == 0 {
		return adapters.Metadata{}, fmt.Errorf("pool %s: metadata: %w", p.model, ErrNoReplica)
	}
	return adapters.Metadata{}, fmt.Errorf("pool %s: metadata: %w", p.model, errors.Join(errs...))
}

// Close stops the probes, waits for running calls, then closes every
// runtime. It is safe to call more than once.
func (p *Pool) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		close(p.stop)
		<-p.probeDone
		p.calls.Wait()
		var errs []error
		for _, r := range p.replicas {
			if err := r.Runtime.Close(); err != nil {
				errs = append(errs, fmt.Errorf("pool %s: close replica %s: %w", p.model, r.Name, err))
			}
		}
		p.closeErr = errors.Join(errs...)
	})
	return p.closeErr
}

type nopObserver struct{}

func (nopObserver) BackendDone(string, string, time.Duration) {}
func (nopObserver) BreakerState(string, string)               {}
func (nopObserver) InFlight(string, int)                      {}
