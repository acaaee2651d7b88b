package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Run is a load run in progress. Start it with Start, watch it with
// Snapshot, end it early with Stop and collect it with Wait.
type Run struct {
	cfg     Config
	rec     *recorder
	cancel  context.CancelFunc
	done    chan struct{}
	started time.Time
	measure time.Time // measurement starts here, after the warm-up
	issued  atomic.Int64
	ended   time.Time // set before done is closed
	res     Result
	err     error
}

// Start validates cfg and starts the run in the background.
func Start(ctx context.Context, cfg Config) (*Run, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	now := time.Now()
	r := &Run{cfg: cfg, rec: newRecorder(), cancel: cancel, done: make(chan struct{}), started: now, measure: now.Add(cfg.Warmup)}
	go func() {
		defer close(r.done)
		defer cancel()
		r.res, r.err = r.run(ctx)
		r.ended = time.Now()
	}()
	return r, nil
}

// Execute starts a run and waits for it to end.
func Execute(ctx context.Context, cfg Config) (Result, error) {
	r, err := Start(ctx, cfg)
	if err != nil {
		return Result{}, err
	}
	return r.Wait()
}

// Stop ends the run early; requests in flight are abandoned and not counted.
// Wait still returns the result of what was measured so far.
func (r *Run) Stop() { r.cancel() }

// Done is closed when the run has ended and all its goroutines are gone.
func (r *Run) Done() <-chan struct{} { return r.done }

// Wait blocks until the run ends and returns its result.
func (r *Run) Wait() (Result, error) {
	<-r.done
	return r.res, r.err
}

// deadline is when sending stops, or the zero time when only a request count
// bounds the run.
func (r *Run) deadline() time.Time {
	if r.cfg.Duration == 0 {
		return time.Time{}
	}
	return r.measure.Add(r.cfg.Duration)
}

// claim reports whether one more request may be sent at t (its send time or,
// in an open loop, its intended send time) and whether it is measured.
func (r *Run) claim(t time.Time) (send, measured bool) {
	if d := r.deadline(); !d.IsZero() && !t.Before(d) {
		return false, false
	}
	if t.Before(r.measure) {
		return true, false
	}
	if r.cfg.Requests > 0 && r.issued.Add(1) > r.cfg.Requests {
		return false, false
	}
	return true, true
}

func (r *Run) run(ctx context.Context) (Result, error) {
	switch r.cfg.Mode {
	case Closed:
		r.closedLoop(ctx)
	case Open:
		r.openLoop(ctx)
	}
	res := r.result()
	if err := ctx.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return res, err
	}
	if res.OK+res.Errors == 0 {
		return res, errors.New("load: no request was measured (run too short or stopped during warm-up)")
	}
	return res, nil
}

// closedLoop runs Concurrency clients back to back.
func (r *Run) closedLoop(ctx context.Context) {
	var wg sync.WaitGroup
	for range r.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				sent := time.Now()
				send, measured := r.claim(sent)
				if !send {
					return
				}
				r.do(ctx, sent, measured)
			}
		}()
	}
	wg.Wait()
}

// openLoop sends on schedule. When MaxInFlight requests are outstanding the
// next send waits, but its latency still counts from its intended time, so
// a stalled server cannot hide behind the load generator.
func (r *Run) openLoop(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, r.cfg.MaxInFlight)
	seed := r.cfg.Seed
	if seed == 0 {
		seed = uint64(r.started.UnixNano())
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	mean := float64(time.Second) / r.cfg.Rate
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	// Intended times come from the schedule, not from the clock after each
	// send, so oversleeping is caught up and the offered rate holds.
	offset := 0.0
	for {
		intended := r.started.Add(time.Duration(offset))
		if r.cfg.Arrival == Poisson {
			offset += rng.ExpFloat64() * mean
		} else {
			offset += mean
		}
		send, measured := r.claim(intended)
		if !send {
			return
		}
		if d := time.Until(intended); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			r.do(ctx, intended, measured)
		}()
	}
}

// do sends one request; latency runs from `from` to the end of the body.
func (r *Run) do(ctx context.Context, from time.Time, measured bool) {
	if measured {
		r.rec.markSent() // when it is really sent, not when it was scheduled
	}
	texts := r.cfg.Workload.Next(r.cfg.TextsPerRequest)
	rctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	kind := r.send(rctx, texts)
	done := time.Now()
	if !measured || ctx.Err() != nil { // stopped: the request says nothing about the server
		return
	}
	r.rec.record(done.Sub(from), kind, done)
}

// send returns "" on success or the error's kind for reports.
func (r *Run) send(ctx context.Context, texts []string) string {
	req, err := r.cfg.Target.NewRequest(ctx, texts)
	if err != nil {
		return "build"
	}
	resp, err := r.cfg.Client.Do(req)
	if err != nil {
		return errKind(err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Sprintf("http_%d", resp.StatusCode)
	}
	if err != nil {
		return errKind(err)
	}
	return ""
}

func errKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	default:
		return "transport"
	}
}
