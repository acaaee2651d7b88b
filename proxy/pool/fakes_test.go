package pool

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infergate/infergate/adapters"
)

// fakeRuntime is an adapters.Runtime whose behaviour a test switches at will:
// the error Infer and Ready return, a latency, and a gate that holds calls
// until the test closes it or the caller's ctx ends.
type fakeRuntime struct {
	name string

	mu       sync.Mutex
	inferErr error
	readyErr error
	latency  time.Duration
	gate     chan struct{}
	started  chan struct{}

	calls  atomic.Int64
	closed atomic.Bool
}

func (f *fakeRuntime) set(fn func(f *fakeRuntime)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeRuntime) Infer(ctx context.Context, b adapters.Batch) (adapters.Outputs, error) {
	f.calls.Add(1)
	f.mu.Lock()
	err, latency, gate, started := f.inferErr, f.latency, f.gate, f.started
	f.mu.Unlock()
	if started != nil {
		started <- struct{}{}
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, adapters.Wrap(adapters.KindTimeout, ctx.Err())
		}
	}
	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-ctx.Done():
			return nil, adapters.Wrap(adapters.KindTimeout, ctx.Err())
		}
	}
	if err != nil {
		return nil, err
	}
	// One zero logit per row: tests look at which replica ran, not values.
	return adapters.Outputs{adapters.Logits: {Shape: []int64{int64(b.Rows), 1}, Data: make([]float32, b.Rows)}}, nil
}

func (f *fakeRuntime) Ready(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.readyErr
}

func (f *fakeRuntime) Metadata(ctx context.Context) (adapters.Metadata, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.readyErr != nil {
		return adapters.Metadata{}, f.readyErr
	}
	return adapters.Metadata{Name: f.name}, nil
}

func (f *fakeRuntime) Close() error {
	f.closed.Store(true)
	return nil
}

// fakeObserver records the events of an Observer.
type fakeObserver struct {
	mu       sync.Mutex
	outcomes map[string][]string // replica -> outcomes in order
	states   map[string][]string // replica -> breaker states in order
	maxIn    map[string]int
}

func newFakeObserver() *fakeObserver {
	return &fakeObserver{outcomes: map[string][]string{}, states: map[string][]string{}, maxIn: map[string]int{}}
}

func (o *fakeObserver) BackendDone(replica, outcome string, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.outcomes[replica] = append(o.outcomes[replica], outcome)
}

func (o *fakeObserver) BreakerState(replica, state string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.states[replica] = append(o.states[replica], state)
}

func (o *fakeObserver) InFlight(replica string, n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.maxIn[replica] = max(o.maxIn[replica], n)
}

func (o *fakeObserver) snapshot(replica string) (outcomes, states []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.outcomes[replica]...), append([]string(nil), o.states[replica]...)
}

// newFakes returns n fake runtimes named r0, r1, ... and their Replicas.
func newFakes(n int) ([]*fakeRuntime, []Replica) {
	fakes := make([]*fakeRuntime, n)
	reps := make([]Replica, n)
	for i := range n {
		fakes[i] = &fakeRuntime{name: string(rune('a' + i))}
		reps[i] = Replica{Name: fakes[i].name, Type: "fake", Runtime: fakes[i]}
	}
	return fakes, reps
}

func oneRow() adapters.Batch {
	return adapters.Batch{Rows: 1, Len: 2, InputIDs: []int64{101, 102}, AttentionMask: []int64{1, 1}, TokenTypeIDs: []int64{0, 0}}
}

func statusOf(p *Pool, name string) ReplicaStatus {
	for _, s := range p.Status() {
		if s.Name == name {
			return s
		}
	}
	return ReplicaStatus{}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func closePool(t *testing.T, p *Pool) {
	t.Helper()
	if err := p.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
}
