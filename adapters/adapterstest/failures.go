package adapterstest

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/infergate/infergate/adapters"
)

// wantKind fails t unless err is an error of kind want.
func wantKind(t *testing.T, what string, err error, want adapters.Kind) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s: err = nil; want a %v error", what, want)
	case adapters.KindOf(err) != want:
		t.Errorf("%s: err = %v (kind %v); want kind %v", what, err, adapters.KindOf(err), want)
	}
}

// stillServes fails t unless the runtime answers a golden case correctly.
func (s *suite) stillServes(t *testing.T, after string) {
	t.Helper()
	c := s.golden.Cases[0]
	rows, err := inferCases(context.Background(), s.rt, []Case{c}, 0)
	if err != nil {
		t.Fatalf("after %s: Infer = %v", after, err)
	}
	if msg := compare(rows[0], goldenRow(c)); msg != "" {
		t.Errorf("after %s: %s", after, msg)
	}
}

func (s *suite) testContext(t *testing.T) {
	b := batchOf(s.golden.Cases[:1], 0)

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.rt.Infer(cancelled, b)
	wantKind(t, "Infer(cancelled context)", err, adapters.KindTimeout)

	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err = s.rt.Infer(expired, b)
	wantKind(t, "Infer(expired context)", err, adapters.KindTimeout)

	s.stillServes(t, "cancelled calls")
}

// testDeadlineMidCall grows a batch until a call takes a while, then gives the
// same call a deadline a fifth as long: it must end early with KindTimeout,
// not run to completion.
func (s *suite) testDeadlineMidCall(t *testing.T) {
	c := s.golden.Cases[0]
	const seqLen, slow = 128, 60 * time.Millisecond
	var (
		b    adapters.Batch
		full time.Duration
	)
	for rows := 8; ; rows *= 2 {
		batch := make([]Case, min(rows, s.maxRows(512)))
		for i := range batch {
			batch[i] = c
		}
		b = batchOf(batch, seqLen, adapters.Logits)
		full = s.fastest(t, b, 2)
		if full >= slow || b.Rows >= s.maxRows(512) {
			break
		}
	}
	if full < slow/3 {
		// Too fast to tell an early stop from a finished call: only the kind
		// of a failure is checked.
		ctx, cancel := context.WithTimeout(context.Background(), full/5)
		defer cancel()
		if _, err := s.rt.Infer(ctx, b); err != nil {
			wantKind(t, "Infer past its deadline", err, adapters.KindTimeout)
		}
		return
	}

	// The call, given a fifth of its time, must end with KindTimeout by 9/10
	// of it. On a shared machine one call can take many times another, so
	// each try measures the call afresh, and a try the noise spoils (a late
	// return, or a call that beat its deadline) is repeated; a runtime that
	// ignores deadlines fails every try.
	var last string
	for try := range 5 {
		if try > 0 {
			full = s.fastest(t, b, 3)
		}
		deadline, limit := full/5, full*9/10
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		start := time.Now()
		_, err := s.rt.Infer(ctx, b)
		elapsed := time.Since(start)
		cancel()
		last = fmt.Sprintf("batch %d x %d: %v in full, %v with a %v deadline (err %v)", b.Rows, b.Len, full, elapsed, deadline, err)
		t.Log(last)
		switch {
		case err != nil && adapters.KindOf(err) != adapters.KindTimeout:
			t.Fatalf("Infer past its deadline: err = %v (kind %v); want kind %v", err, adapters.KindOf(err), adapters.KindTimeout)
		case err != nil && elapsed <= limit:
			s.stillServes(t, "a call stopped at its deadline")
			return
		}
	}
	t.Fatalf("Infer never ended early with KindTimeout by 9/10 of the call's time; last try: %s", last)
}

// fastest returns the shortest of n runs of b.
func (s *suite) fastest(t *testing.T, b adapters.Batch, n int) time.Duration {
	t.Helper()
	best := time.Duration(math.MaxInt64)
	for range n {
		start := time.Now()
		if _, err := s.rt.Infer(context.Background(), b); err != nil {
			t.Fatalf("Infer(%d x %d) = %v", b.Rows, b.Len, err)
		}
		best = min(best, time.Since(start))
	}
	return best
}

func (s *suite) testBadInput(t *testing.T) {
	c := s.golden.Cases[0]
	n := len(c.InputIDs)
	good := func(edit func(b *adapters.Batch)) adapters.Batch {
		b := batchOf([]Case{c}, 0)
		edit(&b)
		return b
	}
	tooLong := batchOf([]Case{c}, 4096)
	for i := range tooLong.InputIDs {
		tooLong.InputIDs[i], tooLong.AttentionMask[i] = c.InputIDs[i%n], 1
	}
	tests := []struct {
		name string
		give adapters.Batch
	}{
		{"no rows", adapters.Batch{}},
		{"negative length", adapters.Batch{Rows: 1, Len: -1}},
		{"rows x len mismatch", good(func(b *adapters.Batch) { b.Rows = 2 })},
		{"short input_ids", good(func(b *adapters.Batch) { b.InputIDs = b.InputIDs[:n-1] })},
		{"short attention_mask", good(func(b *adapters.Batch) { b.AttentionMask = b.AttentionMask[:n-1] })},
		{"short token_type_ids", good(func(b *adapters.Batch) { b.TokenTypeIDs = b.TokenTypeIDs[:n-1] })},
		{"unknown output", good(func(b *adapters.Batch) { b.Outputs = []string{"no_such_output"} })},
		{"negative id", good(func(b *adapters.Batch) { b.InputIDs[n-1] = -5 })},
		{"attention mask 2", good(func(b *adapters.Batch) { b.AttentionMask[0] = 2 })},
		{"id beyond the vocabulary", good(func(b *adapters.Batch) { b.InputIDs[n-1] = 1 << 40 })},
		{"sequence beyond the position table", tooLong},
	}
	for _, tt := range tests {
		_, err := s.rt.Infer(context.Background(), tt.give)
		wantKind(t, "Infer("+tt.name+")", err, adapters.KindBadInput)
	}
	s.stillServes(t, "bad input")
}

// testClose closes a runtime while calls are in flight: every call either
// succeeds or fails with KindUnavailable, later calls fail the same way, and
// no goroutine is left behind.
func (s *suite) testClose(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	func() {
		rt := s.newRuntime(t)
		b := batchOf(s.golden.Cases[:1], 0)
		var (
			wg     sync.WaitGroup
			ok     atomic.Int64
			closed atomic.Bool
		)
		for w := range 4 {
			wg.Go(func() {
				// Calls until one fails; a call that starts after Close
				// returned may not succeed, so a worker gets a few.
				for afterClose := 0; afterClose < 3; {
					if closed.Load() {
						afterClose++
					}
					_, err := rt.Infer(context.Background(), b)
					if err == nil {
						ok.Add(1)
						continue
					}
					wantKind(t, fmt.Sprintf("Infer racing Close (worker %d)", w), err, adapters.KindUnavailable)
					return
				}
				t.Errorf("worker %d: Infer kept succeeding after Close", w)
			})
		}
		for start := time.Now(); ok.Load() < 8 && time.Since(start) < 30*time.Second; {
			time.Sleep(time.Millisecond)
		}
		if err := rt.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
		closed.Store(true)
		wg.Wait()

		ctx := context.Background()
		_, err := rt.Infer(ctx, b)
		wantKind(t, "Infer after Close", err, adapters.KindUnavailable)
		wantKind(t, "Ready after Close", rt.Ready(ctx), adapters.KindUnavailable)
		_, err = rt.Metadata(ctx)
		if err == nil {
			t.Error("Metadata after Close: err = nil; want an error")
		}
		_ = rt.Close() // a second Close must not panic
	}()
	goleak.VerifyNone(t, ignore)
}
