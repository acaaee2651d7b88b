package proxy

import (
	"context"
	"errors"
	"sync"

	"golang.org/x/sync/singleflight"
)

// flights runs identical concurrent computations once (singleflight on the
// cache key) and gives the shared computation a context of its own: it
// ends when its first caller's deadline passes or when every caller has
// gone, never because one of several callers left. So one client hanging
// up does not fail the others waiting for the same text, and a text that
// nobody waits for any more is dropped by the batcher before inference.
type flights struct {
	group singleflight.Group
	mu    sync.Mutex
	live  map[string]*flight
}

type flight struct {
	ctx     context.Context
	cancel  context.CancelFunc
	waiters int
}

// do returns fn's result for key, run once for all concurrent callers.
func (fs *flights) do(ctx context.Context, key string, fn func(context.Context) (textResult, error)) (textResult, error) {
	for attempt := 0; ; attempt++ {
		r, err := fs.once(ctx, key, fn)
		// A caller that joined a computation just as its last waiter left
		// gets that computation's cancellation; it runs its own instead.
		if errors.Is(err, errFlightAbandoned) && ctx.Err() == nil && attempt < 2 {
			continue
		}
		return r, err
	}
}

var errFlightAbandoned = errors.New("every caller of a shared computation left")

func (fs *flights) once(ctx context.Context, key string, fn func(context.Context) (textResult, error)) (textResult, error) {
	f := fs.join(ctx, key)
	ch := fs.group.DoChan(key, func() (any, error) {
		r, err := fn(f.ctx)
		if err != nil && context.Cause(f.ctx) == errFlightAbandoned {
			err = errFlightAbandoned
		}
		return r, err
	})
	select {
	case res := <-ch:
		fs.leave(key, f)
		if res.Err != nil {
			return textResult{}, res.Err
		}
		return res.Val.(textResult), nil
	case <-ctx.Done():
		fs.leave(key, f)
		return textResult{}, context.Cause(ctx)
	}
}

func (fs *flights) join(ctx context.Context, key string) *flight {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.live == nil {
		fs.live = map[string]*flight{}
	}
	f, ok := fs.live[key]
	if !ok {
		base := context.WithoutCancel(ctx)
		var cancelDeadline context.CancelFunc = func() {}
		if d, ok := ctx.Deadline(); ok {
			base, cancelDeadline = context.WithDeadline(base, d)
		}
		fctx, cancel := context.WithCancelCause(base)
		f = &flight{ctx: fctx, cancel: func() { cancel(errFlightAbandoned); cancelDeadline() }}
		fs.live[key] = f
	}
	f.waiters++
	return f
}

// leave drops a caller; the last one ends the computation's context (a
// no-op when it has finished).
func (fs *flights) leave(key string, f *flight) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f.waiters--
	if f.waiters > 0 {
		return
	}
	if fs.live[key] == f {
		delete(fs.live, key)
	}
	f.cancel()
}
