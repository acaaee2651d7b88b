package batcher

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/infergate/infergate/adapters"
)

// fakeClock is a manual Clock: time moves only on Advance.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c       *fakeClock
	at      time.Time
	ch      chan time.Time
	stopped bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves time forward and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	pending := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.ch <- c.now
		default:
			pending = append(pending, t)
		}
	}
	c.timers = pending
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.stopped || !slices.Contains(t.c.timers, t) {
		return false
	}
	t.stopped = true
	return true
}

// fakeRunner is a model whose outputs reveal its inputs: logits row i is
// [sum of real input ids, number of real tokens, sum of real type ids], and
// last_hidden_state[i][j] is [input id, position] for every position. It
// records every batch it saw. With release set, each call waits until the
// channel is closed (or ctx ends); started gets one value per call.
type fakeRunner struct {
	release chan struct{}
	started chan adapters.Batch
	err     error
	// onCall, when set, runs inside Infer with the batch's context.
	onCall func(ctx context.Context, b adapters.Batch)

	mu      sync.Mutex
	batches []adapters.Batch
}

func (f *fakeRunner) Infer(ctx context.Context, b adapters.Batch) (adapters.Outputs, error) {
	f.mu.Lock()
	f.batches = append(f.batches, b)
	f.mu.Unlock()
	if f.started != nil {
		f.started <- b
	}
	if f.onCall != nil {
		f.onCall(ctx, b)
	}
	if f.release != nil {
		select {
		case <-f.release:
		case <-ctx.Done():
			return nil, adapters.Wrap(adapters.KindTimeout, ctx.Err())
		}
	}
	if f.err != nil {
		return nil, f.err
	}
	out := adapters.Outputs{}
	want := func(name string) bool { return len(b.Outputs) == 0 || slices.Contains(b.Outputs, name) }
	if want(adapters.Logits) {
		t := adapters.Tensor{Shape: []int64{int64(b.Rows), 3}, Data: make([]float32, b.Rows*3)}
		for i := range b.Rows {
			for j := range b.Len {
				k := i*b.Len + j
				if b.AttentionMask[k] == 1 {
					t.Data[i*3] += float32(b.InputIDs[k])
					t.Data[i*3+1]++
					t.Data[i*3+2] += float32(b.TokenTypeIDs[k])
				}
			}
		}
		out[adapters.Logits] = t
	}
	if want(adapters.LastHiddenState) {
		t := adapters.Tensor{Shape: []int64{int64(b.Rows), int64(b.Len), 2}, Data: make([]float32, b.Rows*b.Len*2)}
		for k := range b.Rows * b.Len {
			t.Data[2*k] = float32(b.InputIDs[k])
			t.Data[2*k+1] = float32(k % b.Len)
		}
		out[adapters.LastHiddenState] = t
	}
	return out, nil
}

func (f *fakeRunner) seen() []adapters.Batch {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.batches)
}

// markers returns the first token of every row the runner computed: tests
// give each request a unique first token.
func (f *fakeRunner) markers() []int64 {
	var m []int64
	for _, b := range f.seen() {
		for i := range b.Rows {
			m = append(m, b.InputIDs[i*b.Len])
		}
	}
	return m
}

// seqOf builds a sequence of n tokens whose first token is marker.
func seqOf(marker int32, n int) Sequence {
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = 1
	}
	ids[0] = marker
	return Sequence{IDs: ids}
}

// waitFor polls cond until it holds or the test times out.
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

type submitted struct {
	res Result
	err error
}

// submitAsync runs Submit in a goroutine; the channel gets its outcome.
func submitAsync(ctx context.Context, b *Batcher, s Sequence) <-chan submitted {
	ch := make(chan submitted, 1)
	go func() {
		res, err := b.Submit(ctx, s)
		ch <- submitted{res, err}
	}()
	return ch
}

// submitInOrder queues the sequences one after another (each seen by the
// actor before the next is sent), so the queue order is known.
func submitInOrder(t *testing.T, ctx context.Context, b *Batcher, seqs []Sequence) []<-chan submitted {
	t.Helper()
	out := make([]<-chan submitted, len(seqs))
	for i, s := range seqs {
		before := b.arrived.Load()
		out[i] = submitAsync(ctx, b, s)
		waitFor(t, "the actor to receive a request", func() bool { return b.arrived.Load() > before })
	}
	return out
}

func closeBatcher(t *testing.T, b *Batcher) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.Close(ctx); err != nil {
		t.Errorf("Close() = %v", err)
	}
}
