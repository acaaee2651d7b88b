package pool

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/infergate/infergate/adapters"
	"github.com/infergate/infergate/proxy/batcher"
)

// The pool is what the batcher runs its batches on.
var _ batcher.Runner = (*Pool)(nil)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var noProbes = Options{ProbeInterval: -1}

func TestPickPowerOfTwoChoices(t *testing.T) {
	ms := int64(time.Millisecond)
	tests := []struct {
		name     string
		ewma     []int64
		inflight []int64
		want     string // the replica picked most
		never    string // a replica never picked ("" for none)
	}{
		{"faster replica", []int64{10 * ms, ms}, []int64{0, 0}, "b", "a"},
		{"less loaded replica", []int64{ms, ms}, []int64{8, 1}, "b", "a"},
		{"load outweighs speed", []int64{ms, 2 * ms}, []int64{9, 0}, "b", "a"},
		{"worst of three never wins a draw", []int64{ms, 2 * ms, 3 * ms}, []int64{0, 0, 0}, "a", "c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, reps := newFakes(len(tt.ewma))
			p := New("m", reps, noProbes)
			defer closePool(t, p)
			for i, r := range p.replicas {
				r.ewma.Store(tt.ewma[i])
				r.inflight.Store(tt.inflight[i])
			}
			counts := map[string]int{}
			for range 300 {
				counts[p.pick(nil).Name]++
			}
			for name, n := range counts {
				if name != tt.want && n >= counts[tt.want] {
					t.Errorf("picks %v; want %q picked most", counts, tt.want)
				}
			}
			if tt.never != "" && counts[tt.never] > 0 {
				t.Errorf("picks %v; want %q never picked", counts, tt.never)
			}
		})
	}
}

func TestPrefersTheFasterReplica(t *testing.T) {
	fakes, reps := newFakes(2)
	fakes[0].latency = 5 * time.Millisecond
	p := New("m", reps, noProbes)
	defer closePool(t, p)
	for range 40 {
		if _, err := p.Infer(context.Background(), oneRow()); err != nil {
			t.Fatal(err)
		}
	}
	if slow, fast := fakes[0].calls.Load(), fakes[1].calls.Load(); fast < 35 {
		t.Errorf("calls: slow %d, fast %d; want the fast replica to take nearly all", slow, fast)
	}
	if got := statusOf(p, "a").LatencyEWMA; got < 5*time.Millisecond {
		t.Errorf("slow replica latency EWMA = %v; want >= 5ms", got)
	}
}

func TestBreakerOpensThenRecovers(t *testing.T) {
	fakes, reps := newFakes(2)
	bad, good := fakes[0], fakes[1]
	bad.inferErr = adapters.Errorf(adapters.KindUnavailable, "connection refused")
	obs := newFakeObserver()
	p := New("m", reps, Options{ConsecutiveFailures: 3, OpenTimeout: 300 * time.Millisecond, ProbeInterval: -1, Observer: obs})
	defer closePool(t, p)
	forceFirst(p, 0) // the picker would try the bad one first anyway half the time

	for i := range 30 {
		// Every call succeeds: a failure on the bad replica is retried on the good one.
		if _, err := p.Infer(context.Background(), oneRow()); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if got := bad.calls.Load(); got != 3 {
		t.Errorf("bad replica got %d calls; want 3 (then its breaker opens)", got)
	}
	if got := statusOf(p, "a"); got.Breaker != "open" || got.Failures != 3 {
		t.Errorf("bad replica status = %+v; want breaker open after 3 failures", got)
	}
	if got := good.calls.Load(); got != 30 {
		t.Errorf("good replica got %d calls; want all 30", got)
	}

	// Still failing after the open timeout: the one trial call reopens it.
	time.Sleep(350 * time.Millisecond)
	if _, err := p.Infer(context.Background(), oneRow()); err != nil {
		t.Fatal(err)
	}
	if got, calls := statusOf(p, "a").Breaker, bad.calls.Load(); got != "open" || calls != 4 {
		t.Errorf("after a failed trial: breaker %s, %d calls; want open, 4", got, calls)
	}

	// Recovered: the next trial closes the breaker and traffic returns.
	bad.set(func(f *fakeRuntime) { f.inferErr = nil })
	time.Sleep(350 * time.Millisecond)
	if got := statusOf(p, "a").Breaker; got != "half-open" {
		t.Errorf("breaker after the open timeout = %s; want half-open", got)
	}
	if _, err := p.Infer(context.Background(), oneRow()); err != nil {
		t.Fatal(err)
	}
	if got := statusOf(p, "a").Breaker; got != "closed" {
		t.Errorf("breaker after a successful trial = %s; want closed", got)
	}
	// Back in rotation: now the faster one, it takes most of the traffic.
	good.set(func(f *fakeRuntime) { f.latency = 2 * time.Millisecond })
	before := bad.calls.Load()
	for range 20 {
		if _, err := p.Infer(context.Background(), oneRow()); err != nil {
			t.Fatal(err)
		}
	}
	if got := bad.calls.Load() - before; got < 15 {
		t.Errorf("recovered replica got %d of 20 calls; want most of them", got)
	}
	_, states := obs.snapshot("a")
	want := []string{"closed", "open", "half-open", "open", "half-open", "closed"}
	if !slices.Equal(states, want) {
		t.Errorf("observed breaker states %v; want %v", states, want)
	}
}

// forceFirst makes the picker try replica i first by charging the others a
// large latency.
func forceFirst(p *Pool, i int) {
	for j, r := range p.replicas {
		if j != i {
			r.ewma.Store(int64(time.Second))
		}
	}
}

func TestErrorsThatMustNotTripOrRetry(t *testing.T) {
	tests := []struct {
		name string
		err  error
		kind adapters.Kind
	}{
		{"bad input", adapters.Errorf(adapters.KindBadInput, "input_ids out of range"), adapters.KindBadInput},
		{"internal", errors.New("model crashed on this input"), adapters.KindInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fakes, reps := newFakes(2)
			fakes[0].inferErr = tt.err
			p := New("m", reps, Options{ConsecutiveFailures: 2, ProbeInterval: -1})
			defer closePool(t, p)
			forceFirst(p, 0)
			for range 10 {
				_, err := p.Infer(context.Background(), oneRow())
				if !errors.Is(err, tt.err) || adapters.KindOf(err) != tt.kind {
					t.Fatalf("Infer() = %v; want the replica's %v error", err, tt.kind)
				}
			}
			if got := fakes[1].calls.Load(); got != 0 {
				t.Errorf("other replica got %d calls; want no retry of a %v error", got, tt.kind)
			}
			if got := statusOf(p, "a"); got.Breaker != "closed" || got.Failures != 10 {
				t.Errorf("status = %+v; want breaker closed, 10 failures counted", got)
			}
		})
	}
}

func TestCallerCancellationDoesNotTrip(t *testing.T) {
	fakes, reps := newFakes(2)
	fakes[0].gate = make(chan struct{}) // never opens: calls end with the caller
	fakes[0].started = make(chan struct{}, 1)
	obs := newFakeObserver()
	p := New("m", reps, Options{ConsecutiveFailures: 2, ProbeInterval: -1, Observer: obs})
	defer closePool(t, p)
	forceFirst(p, 0)
	for range 5 {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-fakes[0].started
			cancel()
		}()
		_, err := p.Infer(ctx, oneRow())
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Infer() = %v; want context.Canceled", err)
		}
	}
	if got := statusOf(p, "a").Breaker; got != "closed" {
		t.Errorf("breaker = %s after callers cancelled; want closed", got)
	}
	if got := fakes[1].calls.Load(); got != 0 {
		t.Errorf("other replica got %d calls; want no retry for a departed caller", got)
	}
	if outcomes, _ := obs.snapshot("a"); !slices.Equal(outcomes, []string{"canceled", "canceled", "canceled", "canceled", "canceled"}) {
		t.Errorf("outcomes %v; want five canceled", outcomes)
	}
}

// TestDeadlinesAndTheBreaker: a call that runs out a generous deadline is
// the replica's failure; one given less than its usual latency is not.
func TestDeadlinesAndTheBreaker(t *testing.T) {
	tests := []struct {
		name     string
		ewma     time.Duration
		deadline time.Duration
		want     string
	}{
		{"generous deadline runs out: the replica hangs", time.Millisecond, 20 * time.Millisecond, "open"},
		{"deadline shorter than the usual latency", 500 * time.Millisecond, 5 * time.Millisecond, "closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fakes, reps := newFakes(1)
			fakes[0].gate = make(chan struct{}) // never opens
			p := New("m", reps, Options{ConsecutiveFailures: 2, OpenTimeout: time.Hour, ProbeInterval: -1})
			defer closePool(t, p)
			for range 3 {
				p.replicas[0].ewma.Store(int64(tt.ewma))
				ctx, cancel := context.WithTimeout(context.Background(), tt.deadline)
				_, err := p.Infer(ctx, oneRow())
				cancel()
				if err == nil {
					t.Fatal("Infer() = nil; want an error")
				}
			}
			if got := statusOf(p, "a").Breaker; got != tt.want {
				t.Errorf("breaker = %s; want %s", got, tt.want)
			}
		})
	}
}

func TestRetriesOnceOnAnotherReplica(t *testing.T) {
	down := adapters.Errorf(adapters.KindUnavailable, "down")
	t.Run("second replica answers", func(t *testing.T) {
		fakes, reps := newFakes(2)
		fakes[0].inferErr = down
		p := New("m", reps, noProbes)
		defer closePool(t, p)
		forceFirst(p, 0)
		if _, err := p.Infer(context.Background(), oneRow()); err != nil {
			t.Fatalf("Infer() = %v; want the retry to succeed", err)
		}
		if a, b := fakes[0].calls.Load(), fakes[1].calls.Load(); a != 1 || b != 1 {
			t.Errorf("calls %d, %d; want 1, 1", a, b)
		}
	})
	t.Run("only once", func(t *testing.T) {
		fakes, reps := newFakes(4)
		for _, f := range fakes {
			f.inferErr = down
		}
		p := New("m", reps, noProbes)
		defer closePool(t, p)
		_, err := p.Infer(context.Background(), oneRow())
		if !errors.Is(err, down) || adapters.KindOf(err) != adapters.KindUnavailable {
			t.Errorf("Infer() = %v; want the unavailable error", err)
		}
		total := int64(0)
		for _, f := range fakes {
			total += f.calls.Load()
		}
		if total != 2 {
			t.Errorf("%d calls in total; want 2 (one retry)", total)
		}
	})
	t.Run("not when the deadline leaves no time", func(t *testing.T) {
		fakes, reps := newFakes(2)
		fakes[0].inferErr = down
		p := New("m", reps, noProbes)
		defer closePool(t, p)
		forceFirst(p, 0) // replica b's latency is now 1s
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if _, err := p.Infer(ctx, oneRow()); !errors.Is(err, down) {
			t.Errorf("Infer() = %v; want the first replica's error", err)
		}
		if got := fakes[1].calls.Load(); got != 0 {
			t.Errorf("retry replica got %d calls; want none within a 100ms deadline", got)
		}
	})
}

func TestProbesTakeReplicasOutAndBack(t *testing.T) {
	fakes, reps := newFakes(2)
	fakes[0].readyErr = errors.New("model loading")
	p := New("m", reps, Options{ProbeInterval: 5 * time.Millisecond})
	defer closePool(t, p)

	// The probe in New already took it out.
	if st := statusOf(p, "a"); st.Ready {
		t.Errorf("replica a ready = true right after New; want false")
	}
	for range 10 {
		if _, err := p.Infer(context.Background(), oneRow()); err != nil {
			t.Fatal(err)
		}
	}
	if got := fakes[0].calls.Load(); got != 0 {
		t.Errorf("not-ready replica got %d calls; want 0", got)
	}

	fakes[0].set(func(f *fakeRuntime) { f.readyErr = nil })
	waitFor(t, "replica a back in rotation", func() bool { return statusOf(p, "a").Ready })
	fakes[1].set(func(f *fakeRuntime) { f.readyErr = errors.New("draining") })
	waitFor(t, "replica b out of rotation", func() bool { return !statusOf(p, "b").Ready })
	before := fakes[1].calls.Load()
	for range 10 {
		if _, err := p.Infer(context.Background(), oneRow()); err != nil {
			t.Fatal(err)
		}
	}
	if got := fakes[1].calls.Load() - before; got != 0 {
		t.Errorf("replica b got %d calls after failing its probe; want 0", got)
	}
}

func TestNoReplica(t *testing.T) {
	t.Run("none ready", func(t *testing.T) {
		fakes, reps := newFakes(2)
		for _, f := range fakes {
			f.readyErr = errors.New("down")
		}
		p := New("m", reps, Options{ProbeInterval: time.Hour})
		defer closePool(t, p)
		if p.Ready() {
			t.Error("Ready() = true; want false")
		}
		_, err := p.Infer(context.Background(), oneRow())
		if !errors.Is(err, ErrNoReplica) || adapters.KindOf(err) != adapters.KindUnavailable {
			t.Errorf("Infer() = %v; want ErrNoReplica of kind unavailable", err)
		}
	})
	t.Run("every breaker open", func(t *testing.T) {
		fakes, reps := newFakes(2)
		for _, f := range fakes {
			f.inferErr = adapters.Errorf(adapters.KindUnavailable, "down")
		}
		p := New("m", reps, Options{ConsecutiveFailures: 1, OpenTimeout: time.Hour, ProbeInterval: -1})
		defer closePool(t, p)
		if _, err := p.Infer(context.Background(), oneRow()); errors.Is(err, ErrNoReplica) {
			t.Errorf("first Infer() = %v; want the replicas' own error", err)
		}
		if p.Ready() {
			t.Error("Ready() = true with every breaker open; want false")
		}
		if _, err := p.Infer(context.Background(), oneRow()); !errors.Is(err, ErrNoReplica) {
			t.Errorf("Infer() = %v; want ErrNoReplica", err)
		}
	})
	t.Run("empty pool", func(t *testing.T) {
		p := New("m", nil, noProbes)
		defer closePool(t, p)
		if _, err := p.Infer(context.Background(), oneRow()); !errors.Is(err, ErrNoReplica) {
			t.Errorf("Infer() = %v; want ErrNoReplica", err)
		}
	})
}

func TestRejectsBadBatchWithoutACall(t *testing.T) {
	fakes, reps := newFakes(1)
	p := New("m", reps, noProbes)
	defer closePool(t, p)
	_, err := p.Infer(context.Background(), adapters.Batch{Rows: 2, Len: 2, InputIDs: []int64{1}})
	if adapters.KindOf(err) != adapters.KindBadInput || fakes[0].calls.Load() != 0 {
		t.Errorf("Infer(malformed) = %v after %d calls; want bad input, no call", err, fakes[0].calls.Load())
	}
}

func TestMetadataFromAReadyReplica(t *testing.T) {
	fakes, reps := newFakes(2)
	fakes[0].readyErr = errors.New("down")
	p := New("m", reps, Options{ProbeInterval: time.Hour})
	defer closePool(t, p)
	m, err := p.Metadata(context.Background())
	if err != nil || m.Name != "b" {
		t.Errorf("Metadata() = %+v, %v; want replica b's", m, err)
	}
}

func TestCloseWaitsForCallsThenClosesRuntimes(t *testing.T) {
	fakes, reps := newFakes(1)
	fakes[0].gate = make(chan struct{})
	fakes[0].started = make(chan struct{}, 1)
	p := New("m", reps, Options{ProbeInterval: time.Millisecond})
	call := make(chan error, 1)
	go func() {
		_, err := p.Infer(context.Background(), oneRow())
		call <- err
	}()
	<-fakes[0].started
	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned while a call was running")
	case <-time.After(30 * time.Millisecond):
	}
	if fakes[0].closed.Load() {
		t.Error("runtime closed under a running call")
	}
	close(fakes[0].gate)
	if err := <-call; err != nil {
		t.Errorf("running call: %v", err)
	}
	if err := <-closed; err != nil {
		t.Errorf("Close() = %v", err)
	}
	if !fakes[0].closed.Load() {
		t.Error("runtime not closed")
	}
	if _, err := p.Infer(context.Background(), oneRow()); !errors.Is(err, ErrNoReplica) {
		t.Errorf("Infer after Close = %v; want ErrNoReplica", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close() = %v", err)
	}
}

// TestConcurrentCalls runs many callers against a flaky replica (with
// -race), its breaker steady or flapping, and checks that a retry always
// finds a healthy replica and that the books balance: every call the
// runtimes saw is counted once.
func TestConcurrentCalls(t *testing.T) {
	tests := []struct {
		name        string
		failures    uint32
		openTimeout time.Duration
	}{
		{"breaker never opens", 1000, time.Hour},
		{"breaker flaps", 2, 2 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fakes, reps := newFakes(3)
			p := New("m", reps, Options{ConsecutiveFailures: tt.failures, OpenTimeout: tt.openTimeout, ProbeInterval: time.Millisecond})
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(g), 2))
					for range 200 {
						switch rng.IntN(20) {
						case 0:
							fakes[rng.IntN(2)].set(func(f *fakeRuntime) { f.latency = time.Duration(rng.IntN(200)) * time.Microsecond })
						case 1:
							fakes[2].set(func(f *fakeRuntime) { f.inferErr = adapters.Errorf(adapters.KindUnavailable, "flaky") })
						case 2:
							fakes[2].set(func(f *fakeRuntime) { f.inferErr = nil })
						}
						if _, err := p.Infer(context.Background(), oneRow()); err != nil {
							select {
							case errs <- fmt.Errorf("caller %d: %w", g, err):
							default:
							}
						}
					}
				}()
			}
			wg.Wait()
			closePool(t, p)
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			var seen, counted uint64
			for i, st := range p.Status() {
				seen += uint64(fakes[i].calls.Load())
				counted += st.Requests
				if st.InFlight != 0 {
					t.Errorf("replica %s in flight %d after all calls; want 0", st.Name, st.InFlight)
				}
			}
			if seen != counted {
				t.Errorf("runtimes saw %d calls, status counts %d", seen, counted)
			}
		})
	}
}
