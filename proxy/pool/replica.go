package pool

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.uber.org/zap"

	"github.com/infergate/infergate/adapters"
)

// ewmaAlpha weighs the newest latency sample.
const ewmaAlpha = 0.3

// replica is one Replica with its breaker and load statistics.
type replica struct {
	Replica
	breaker  *gobreaker.CircuitBreaker[adapters.Outputs]
	ready    atomic.Bool
	inflight atomic.Int64
	ewma     atomic.Int64 // latency EWMA in ns; 0 until the first call
	requests atomic.Uint64
	failures atomic.Uint64
}

// callerCaused marks a failure the caller brought on itself: it cancelled,
// or its deadline left the replica less than its usual latency. Such
// failures say nothing about the replica and are kept out of its breaker.
type callerCaused struct{ err error }

func (e callerCaused) Error() string { return e.err.Error() }
func (e callerCaused) Unwrap() error { return e.err }

func newReplica(r Replica, opts Options) *replica {
	rep := &replica{Replica: r}
	obs, log := opts.Observer, opts.Logger.With(zap.String("replica", r.Name))
	rep.breaker = gobreaker.NewCircuitBreaker[adapters.Outputs](gobreaker.Settings{
		Name:    r.Name,
		Timeout: opts.OpenTimeout,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= opts.ConsecutiveFailures
		},
		// Only failures another replica might not have count: bad input,
		// internal errors and callers who left are neither success nor failure.
		IsExcluded: func(err error) bool {
			var caller callerCaused
			return err != nil && (errors.As(err, &caller) || !adapters.Retryable(err))
		},
		OnStateChange: func(_ string, from, to gobreaker.State) {
			if to == gobreaker.StateClosed {
				// Recovered: forget the latency of its failures (timeouts
				// included), so it is tried again at once.
				rep.ewma.Store(0)
			}
			obs.BreakerState(r.Name, to.String())
			if to == gobreaker.StateOpen {
				log.Warn("breaker opened", zap.String("from", from.String()))
			} else {
				log.Info("breaker state", zap.String("from", from.String()), zap.String("to", to.String()))
			}
		},
	})
	obs.BreakerState(r.Name, gobreaker.StateClosed.String())
	return rep
}

// call runs b on the replica inside its breaker. ran is false when the
// breaker refused the call, so no work was done.
func (r *replica) call(ctx context.Context, b adapters.Batch, obs Observer) (out adapters.Outputs, ran bool, err error) {
	start := time.Now()
	tight := !r.fits(ctx)
	out, err = r.breaker.Execute(func() (adapters.Outputs, error) {
		ran = true
		obs.InFlight(r.Name, int(r.inflight.Add(1)))
		defer func() { obs.InFlight(r.Name, int(r.inflight.Add(-1))) }()
		out, err := r.Runtime.Infer(ctx, b)
		if err != nil && (errors.Is(ctx.Err(), context.Canceled) || tight && ctx.Err() != nil) {
			return nil, callerCaused{err}
		}
		return out, err
	})
	d := time.Since(start)

	var caller callerCaused
	switch {
	case !ran:
		obs.BackendDone(r.Name, "rejected", d)
		return nil, false, adapters.Wrap(adapters.KindUnavailable, err)
	case err == nil:
		r.requests.Add(1)
		r.observe(d, false)
		obs.BackendDone(r.Name, "ok", d)
		return out, true, nil
	case errors.As(err, &caller):
		r.requests.Add(1)
		outcome := adapters.KindTimeout.String()
		if errors.Is(ctx.Err(), context.Canceled) {
			outcome = "canceled"
		}
		obs.BackendDone(r.Name, outcome, d)
		return nil, true, caller.err
	default:
		r.requests.Add(1)
		r.failures.Add(1)
		if adapters.Retryable(err) {
			r.observe(d, true)
		}
		obs.BackendDone(r.Name, adapters.KindOf(err).String(), d)
		return nil, true, err
	}
}

// observe folds one latency sample into the EWMA. A failure never lowers
// it: a replica that fails fast must not look fast to the picker (its
// breaker, not the EWMA, takes it out), while a slow failure such as a
// timeout still counts its full duration.
func (r *replica) observe(d time.Duration, failed bool) {
	for {
		old := r.ewma.Load()
		sample := int64(d)
		if failed {
			sample = max(sample, old)
		}
		next := sample
		if old > 0 {
			next = old + int64(ewmaAlpha*float64(sample-old))
		}
		if r.ewma.CompareAndSwap(old, next) {
			return
		}
	}
}

// available reports whether the picker may choose the replica. State() also
// moves an open breaker whose timeout passed to half-open.
func (r *replica) available() bool {
	return r.ready.Load() && r.breaker.State() != gobreaker.StateOpen
}

// cost is the p2c score: expected wait if calls queue behind each other. A
// replica without latency data costs almost nothing, so it gets tried.
func (r *replica) cost() float64 {
	return float64(r.inflight.Load()+1) * float64(r.ewma.Load()+int64(time.Microsecond))
}

// fits reports whether ctx leaves the replica its usual latency: a retry is
// worth starting, and a timeout counts against the replica.
func (r *replica) fits(ctx context.Context) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > time.Duration(r.ewma.Load())
}
