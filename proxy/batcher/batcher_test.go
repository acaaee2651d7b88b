package batcher

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
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSubmitRejectsBadInput(t *testing.T) {
	b := New(Config{MaxBatchTokens: 8}, &fakeRunner{})
	defer closeBatcher(t, b)
	tests := []struct {
		name string
		give Sequence
	}{
		{"empty", Sequence{}},
		{"type ids of another length", Sequence{IDs: []int32{1, 2}, TypeIDs: []int32{0}}},
		{"longer than the token budget", seqOf(1, 9)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.Submit(context.Background(), tt.give)
			if got := adapters.KindOf(err); got != adapters.KindBadInput {
				t.Errorf("Submit(%v) = %v (kind %v); want kind %v", tt.give, err, got, adapters.KindBadInput)
			}
		})
	}
}

// TestLimits checks that no batch breaks the row limit or the padded token
// budget, whatever mix of lengths is queued.
func TestLimits(t *testing.T) {
	for _, grouping := range []Grouping{ByLength, FIFO} {
		t.Run(grouping.String(), func(t *testing.T) {
			clock, r := newFakeClock(), &fakeRunner{}
			cfg := Config{MaxBatchSize: 4, MaxBatchTokens: 40, MaxDelay: time.Hour, HoldWhenIdle: true, MaxInFlight: 1, Grouping: grouping}
			b := New(cfg, r, WithClock(clock))
			lens := []int{10, 3, 20, 7, 7, 40, 1, 12, 10, 10, 10, 10, 2, 39}
			var outs []<-chan submitted
			for i, n := range lens {
				outs = append(outs, submitAsync(context.Background(), b, seqOf(int32(100+i), n)))
			}
			waitFor(t, "all requests to arrive", func() bool { return b.arrived.Load() == int64(len(lens)) })
			closeBatcher(t, b) // flushes the partial batches
			for i, ch := range outs {
				if got := <-ch; got.err != nil {
					t.Errorf("request %d: %v", i, got.err)
				}
			}
			rows := 0
			for _, bt := range r.seen() {
				rows += bt.Rows
				if bt.Rows > cfg.MaxBatchSize || bt.Rows*bt.Len > cfg.MaxBatchTokens {
					t.Errorf("batch [%d, %d] breaks limits %d rows, %d tokens", bt.Rows, bt.Len, cfg.MaxBatchSize, cfg.MaxBatchTokens)
				}
			}
			if rows != len(lens) {
				t.Errorf("runner computed %d rows; want %d", rows, len(lens))
			}
		})
	}
}

func TestMaxDelay(t *testing.T) {
	clock := newFakeClock()
	r := &fakeRunner{started: make(chan adapters.Batch, 1)}
	b := New(Config{MaxBatchSize: 8, MaxDelay: 10 * time.Millisecond, HoldWhenIdle: true}, r, WithClock(clock))
	defer closeBatcher(t, b)

	outs := submitInOrder(t, context.Background(), b, []Sequence{seqOf(1, 3), seqOf(2, 4), seqOf(3, 5)})
	clock.Advance(9 * time.Millisecond)
	select {
	case bt := <-r.started:
		t.Fatalf("batch of %d rows left after 9ms; want it to wait for MaxDelay", bt.Rows)
	case <-time.After(50 * time.Millisecond):
	}
	clock.Advance(time.Millisecond)
	bt := <-r.started
	if bt.Rows != 3 {
		t.Errorf("partial batch has %d rows; want 3", bt.Rows)
	}
	for i, ch := range outs {
		got := <-ch
		if got.err != nil {
			t.Fatalf("request %d: %v", i, got.err)
		}
		if got.res.Queue != 10*time.Millisecond {
			t.Errorf("request %d queued %v; want 10ms (all arrived at once)", i, got.res.Queue)
		}
		if got.res.BatchRows != 3 || got.res.BatchTokens != 15 {
			t.Errorf("result batch = %d rows, %d tokens; want 3, 15", got.res.BatchRows, got.res.BatchTokens)
		}
	}
}

func TestFullBatchLeavesWithoutDelay(t *testing.T) {
	clock := newFakeClock()
	r := &fakeRunner{started: make(chan adapters.Batch, 2)}
	b := New(Config{MaxBatchSize: 2, MaxDelay: time.Hour, HoldWhenIdle: true}, r, WithClock(clock))
	defer closeBatcher(t, b)
	outs := submitInOrder(t, context.Background(), b, []Sequence{seqOf(1, 3), seqOf(2, 3)})
	if bt := <-r.started; bt.Rows != 2 {
		t.Errorf("batch has %d rows; want 2", bt.Rows)
	}
	for _, ch := range outs {
		if got := <-ch; got.err != nil {
			t.Error(got.err)
		}
	}
}

// TestPartialBatchWaitsForCompany: a long text that cannot join the short
// oldest one does not make the short one leave early alone.
func TestPartialBatchWaitsForCompany(t *testing.T) {
	clock := newFakeClock()
	r := &fakeRunner{started: make(chan adapters.Batch, 2)}
	b := New(Config{MaxBatchSize: 8, MaxBatchTokens: 100, MaxDelay: 10 * time.Millisecond, HoldWhenIdle: true, MaxInFlight: 1}, r, WithClock(clock))
	defer closeBatcher(t, b)
	outs := submitInOrder(t, context.Background(), b, []Sequence{seqOf(1, 10), seqOf(2, 95)})
	select {
	case bt := <-r.started:
		t.Fatalf("batch of %d rows left before MaxDelay; want the short text to wait for company", bt.Rows)
	case <-time.After(50 * time.Millisecond):
	}
	outs = append(outs, submitInOrder(t, context.Background(), b, []Sequence{seqOf(3, 9)})...)
	clock.Advance(10 * time.Millisecond)
	for _, ch := range outs {
		if got := <-ch; got.err != nil {
			t.Fatal(got.err)
		}
	}
	if got := rowsOf(r.seen()); !slices.EqualFunc(got, [][]int64{{1, 3}, {2}}, slices.Equal) {
		t.Errorf("batches %v; want [[1 3] [2]]", got)
	}
}

// blockedBatcher returns a batcher whose first batch (one row, marker 1)
// holds the only in-flight slot until release is closed, so the test can
// fill the queue first.
func blockedBatcher(t *testing.T, cfg Config) (*Batcher, *fakeRunner, *fakeClock, chan struct{}, <-chan submitted) {
	t.Helper()
	clock := newFakeClock()
	release := make(chan struct{})
	r := &fakeRunner{release: release, started: make(chan adapters.Batch, 64)}
	cfg.MaxInFlight = 1
	b := New(cfg, r, WithClock(clock))
	first := submitInOrder(t, context.Background(), b, []Sequence{seqOf(1, 1)})[0]
	clock.Advance(cfg.MaxDelay)
	<-r.started
	return b, r, clock, release, first
}

// paddedTokens runs a mixed workload queued behind a blocked batch and
// returns the real and padded tokens of the batches formed from it.
func paddedTokens(t *testing.T, grouping Grouping, lens []int) (real, padded int) {
	cfg := Config{MaxBatchSize: 8, MaxBatchTokens: 1024, MaxDelay: time.Hour, HoldWhenIdle: true, Grouping: grouping}
	b, r, _, release, first := blockedBatcher(t, cfg)
	seqs := make([]Sequence, len(lens))
	for i, n := range lens {
		seqs[i] = seqOf(int32(100+i), n)
		real += n
	}
	outs := submitInOrder(t, context.Background(), b, seqs)
	close(release)
	closeBatcher(t, b)
	<-first
	for _, ch := range outs {
		if got := <-ch; got.err != nil {
			t.Fatal(got.err)
		}
	}
	for _, bt := range r.seen()[1:] {
		padded += bt.Rows * bt.Len
	}
	return real, padded
}

func TestGroupingReducesPadding(t *testing.T) {
	var lens []int
	for range 6 {
		lens = append(lens, 5, 5, 5, 100)
	}
	real, fifo := paddedTokens(t, FIFO, lens)
	_, grouped := paddedTokens(t, ByLength, lens)
	t.Logf("real tokens %d, padded: fifo %d, by length %d", real, fifo, grouped)
	// FIFO puts two long texts in each batch of eight: 3 x 8 x 100.
	if fifo != 2400 {
		t.Errorf("fifo padded tokens = %d; want 2400", fifo)
	}
	// By length: eight short, six long with two short, eight short.
	if grouped != 8*5+8*100+8*5 {
		t.Errorf("by-length padded tokens = %d; want %d", grouped, 8*5+8*100+8*5)
	}
}

func TestNoStarvation(t *testing.T) {
	cfg := Config{MaxBatchSize: 4, MaxBatchTokens: 4096, MaxDelay: time.Hour, HoldWhenIdle: true}
	b, r, _, release, first := blockedBatcher(t, cfg)
	// Three short texts, one long, then a stream of short ones: grouping
	// alone would keep pairing short with short and leave the long one.
	seqs := []Sequence{seqOf(100, 5), seqOf(101, 5), seqOf(102, 5), seqOf(999, 200)}
	for i := range 20 {
		seqs = append(seqs, seqOf(int32(200+i), 5))
	}
	outs := submitInOrder(t, context.Background(), b, seqs)
	close(release)
	closeBatcher(t, b)
	<-first
	for _, ch := range outs {
		if got := <-ch; got.err != nil {
			t.Fatal(got.err)
		}
	}
	batches := r.seen()
	// Batch 0 is the blocker, batch 1 the three oldest short texts plus the
	// closest short one; the long text is the oldest left, so batch 2 has it.
	if !slices.Contains(batches[2].InputIDs, 999) {
		t.Errorf("long text not in the batch after it became the oldest; batches: %v", rowsOf(batches))
	}
}

func rowsOf(batches []adapters.Batch) [][]int64 {
	var out [][]int64
	for _, b := range batches {
		var firsts []int64
		for i := range b.Rows {
			firsts = append(firsts, b.InputIDs[i*b.Len])
		}
		out = append(out, firsts)
	}
	return out
}

func TestQueueFull(t *testing.T) {
	cfg := Config{MaxBatchSize: 1, MaxQueue: 2, MaxDelay: time.Hour, HoldWhenIdle: true}
	b, _, _, release, first := blockedBatcher(t, cfg)
	outs := submitInOrder(t, context.Background(), b, []Sequence{seqOf(2, 1), seqOf(3, 1)})
	if got := b.QueueDepth(); got != 2 {
		t.Errorf("QueueDepth() = %d; want 2", got)
	}
	start := time.Now()
	_, err := b.Submit(context.Background(), seqOf(4, 1))
	if !errors.Is(err, ErrQueueFull) {
		t.Errorf("Submit on a full queue = %v; want ErrQueueFull", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Submit on a full queue took %v; want it at once", d)
	}
	close(release)
	for _, ch := range append(outs, first) {
		if got := <-ch; got.err != nil {
			t.Error(got.err)
		}
	}
	closeBatcher(t, b)
}

func TestDepartedRequestsAreNeverComputed(t *testing.T) {
	cfg := Config{MaxBatchSize: 8, MaxDelay: time.Hour, HoldWhenIdle: true}
	b, r, _, release, first := blockedBatcher(t, cfg)

	cancelled, cancel := context.WithCancel(context.Background())
	expiring, cancelExpiring := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancelExpiring()
	gone := submitInOrder(t, cancelled, b, []Sequence{seqOf(2, 3)})[0]
	late := submitInOrder(t, expiring, b, []Sequence{seqOf(3, 3)})[0]
	kept := submitInOrder(t, context.Background(), b, []Sequence{seqOf(4, 3)})[0]

	cancel()
	if got := <-gone; !errors.Is(got.err, context.Canceled) {
		t.Errorf("cancelled Submit = %v; want context.Canceled", got.err)
	}
	if got := <-late; !errors.Is(got.err, context.DeadlineExceeded) || adapters.KindOf(got.err) != adapters.KindTimeout {
		t.Errorf("expired Submit = %v; want context.DeadlineExceeded of kind timeout", got.err)
	}
	if got := b.QueueDepth(); got != 1 {
		t.Errorf("QueueDepth() = %d after two callers left; want 1", got)
	}
	close(release)
	closeBatcher(t, b)
	if got := <-kept; got.err != nil {
		t.Error(got.err)
	}
	<-first
	if m := r.markers(); !slices.Equal(m, []int64{1, 4}) {
		t.Errorf("runner computed rows %v; want [1 4] (never the departed 2 and 3)", m)
	}
}

// TestDepartedBetweenFormingAndRunning covers a caller who leaves after its
// request was taken into a batch but before the batch runs.
func TestDepartedBetweenFormingAndRunning(t *testing.T) {
	r := &fakeRunner{}
	b := New(Config{}, r)
	defer closeBatcher(t, b)
	done := make(chan struct{})
	close(done)
	left := &request{seq: seqOf(1, 2), done: done, reply: make(chan reply, 1)}
	stayed := &request{seq: seqOf(2, 2), reply: make(chan reply, 1)}
	b.execute(context.Background(), []*request{left, stayed})
	if m := r.markers(); !slices.Equal(m, []int64{2}) {
		t.Errorf("runner computed rows %v; want [2]", m)
	}
	b.execute(context.Background(), []*request{left})
	if n := len(r.seen()); n != 1 {
		t.Errorf("runner called %d times; want 1 (a batch of departed callers never runs)", n)
	}
}

func TestOutputsSplitPerRow(t *testing.T) {
	clock := newFakeClock()
	r := &fakeRunner{}
	b := New(Config{MaxBatchSize: 3, MaxDelay: time.Hour, HoldWhenIdle: true, PadID: 7}, r, WithClock(clock))
	defer closeBatcher(t, b)
	seqs := []Sequence{
		{IDs: []int32{11, 12, 13}, TypeIDs: []int32{0, 1, 1}, Outputs: []string{adapters.Logits}},
		{IDs: []int32{21, 22, 23, 24, 25}, Outputs: []string{adapters.LastHiddenState}},
		{IDs: []int32{31, 32}, Outputs: []string{adapters.Logits, adapters.LastHiddenState}},
	}
	outs := submitInOrder(t, context.Background(), b, seqs)
	var results []Result
	for i, ch := range outs {
		got := <-ch
		if got.err != nil {
			t.Fatalf("request %d: %v", i, got.err)
		}
		results = append(results, got.res)
	}

	bt := r.seen()[0]
	if want := []string{adapters.LastHiddenState, adapters.Logits}; !slices.Equal(bt.Outputs, want) {
		t.Errorf("batch outputs = %v; want the union %v", bt.Outputs, want)
	}
	wantIDs := []int64{11, 12, 13, 7, 7, 21, 22, 23, 24, 25, 31, 32, 7, 7, 7}
	wantMask := []int64{1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}
	wantTypes := []int64{0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if !slices.Equal(bt.InputIDs, wantIDs) || !slices.Equal(bt.AttentionMask, wantMask) || !slices.Equal(bt.TokenTypeIDs, wantTypes) {
		t.Errorf("padded batch = ids %v mask %v types %v; want %v %v %v",
			bt.InputIDs, bt.AttentionMask, bt.TokenTypeIDs, wantIDs, wantMask, wantTypes)
	}

	for i, s := range seqs {
		res := results[i]
		if len(res.Outputs) != len(s.Outputs) {
			t.Errorf("request %d got outputs %v; want only %v", i, keys(res.Outputs), s.Outputs)
		}
		if l, ok := res.Outputs[adapters.Logits]; ok {
			sum, types := float32(0), float32(0)
			for j, id := range s.IDs {
				sum += float32(id)
				if s.TypeIDs != nil {
					types += float32(s.TypeIDs[j])
				}
			}
			want := []float32{sum, float32(len(s.IDs)), types}
			if !slices.Equal(l.Shape, []int64{3}) || !slices.Equal(l.Data, want) {
				t.Errorf("request %d logits = %v %v; want [3] %v", i, l.Shape, l.Data, want)
			}
		}
		if h, ok := res.Outputs[adapters.LastHiddenState]; ok {
			var want []float32
			for j, id := range s.IDs {
				want = append(want, float32(id), float32(j))
			}
			if !slices.Equal(h.Shape, []int64{int64(len(s.IDs)), 2}) || !slices.Equal(h.Data, want) {
				t.Errorf("request %d hidden = %v %v; want [%d 2] %v", i, h.Shape, h.Data, len(s.IDs), want)
			}
		}
	}
}

func keys(o adapters.Outputs) []string {
	var k []string
	for name := range o {
		k = append(k, name)
	}
	return k
}

func TestMalformedRunnerOutput(t *testing.T) {
	tests := []struct {
		name string
		give adapters.Outputs
	}{
		{"missing output", adapters.Outputs{}},
		{"wrong rows", adapters.Outputs{adapters.Logits: {Shape: []int64{3, 2}, Data: make([]float32, 6)}}},
		{"data shorter than shape", adapters.Outputs{adapters.Logits: {Shape: []int64{1, 2}, Data: make([]float32, 1)}}},
		{"scalar", adapters.Outputs{adapters.Logits: {Data: make([]float32, 1)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := adapters.Batch{Rows: 1, Len: 2}
			_, err := splitRow(tt.give, b, 0, 2, []string{adapters.Logits})
			if adapters.KindOf(err) != adapters.KindInternal {
				t.Errorf("splitRow(%v) = %v; want an internal error", tt.give, err)
			}
		})
	}
}

func TestRunnerErrorFailsEveryMember(t *testing.T) {
	runnerErr := adapters.Errorf(adapters.KindUnavailable, "replica down")
	r := &fakeRunner{err: runnerErr}
	b := New(Config{MaxBatchSize: 3, MaxDelay: time.Hour, HoldWhenIdle: true}, r)
	defer closeBatcher(t, b)
	outs := submitInOrder(t, context.Background(), b, []Sequence{seqOf(1, 2), seqOf(2, 3), seqOf(3, 4)})
	for i, ch := range outs {
		got := <-ch
		if !errors.Is(got.err, runnerErr) || adapters.KindOf(got.err) != adapters.KindUnavailable {
			t.Errorf("request %d: err = %v; want the runner's unavailable error", i, got.err)
		}
	}
}

func TestRunnerPanicFailsTheBatchNotTheProcess(t *testing.T) {
	r := &fakeRunner{onCall: func(context.Context, adapters.Batch) { panic("index out of range") }}
	b := New(Config{MaxBatchSize: 2, MaxDelay: time.Hour, HoldWhenIdle: true}, r)
	defer closeBatcher(t, b)
	outs := submitInOrder(t, context.Background(), b, []Sequence{seqOf(1, 2), seqOf(2, 2)})
	for i, ch := range outs {
		if got := <-ch; adapters.KindOf(got.err) != adapters.KindInternal {
			t.Errorf("request %d: err = %v; want an internal error", i, got.err)
		}
	}
}

func TestBatchContext(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name      string
		timeout   time.Duration
		deadlines []time.Duration // 0: no deadline
		want      time.Duration   // 0: no deadline
	}{
		{"latest member deadline", 0, []time.Duration{time.Hour, 2 * time.Hour}, 2 * time.Hour},
		{"a member without deadline", 0, []time.Duration{time.Hour, 0}, 0},
		{"timeout tighter than members", time.Minute, []time.Duration{time.Hour, 2 * time.Hour}, time.Minute},
		{"members tighter than timeout", 3 * time.Hour, []time.Duration{time.Hour, 2 * time.Hour}, 2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &Batcher{cfg: Config{Timeout: tt.timeout}}
			var reqs []*request
			for _, d := range tt.deadlines {
				reqs = append(reqs, &request{deadline: now.Add(d), hasDeadline: d != 0})
			}
			ctx, cancel := b.batchContext(context.Background(), reqs)
			defer cancel()
			got, ok := ctx.Deadline()
			switch {
			case tt.want == 0 && ok:
				t.Errorf("batch deadline %v; want none", got.Sub(now))
			case tt.want != 0 && (!ok || got.Sub(now) < tt.want-time.Second || got.Sub(now) > tt.want+time.Second):
				t.Errorf("batch deadline %v (set %v); want %v", got.Sub(now), ok, tt.want)
			}
		})
	}
}

// TestOneCallerLeavingDoesNotCancelTheBatch: the batch runs on its own
// context, so the other members still get their rows.
func TestOneCallerLeavingDoesNotCancelTheBatch(t *testing.T) {
	release := make(chan struct{})
	r := &fakeRunner{release: release, started: make(chan adapters.Batch, 1)}
	var batchErr error
	r.onCall = func(ctx context.Context, _ adapters.Batch) {
		<-release
		batchErr = ctx.Err()
	}
	b := New(Config{MaxBatchSize: 2, MaxDelay: time.Hour, HoldWhenIdle: true}, r)
	defer closeBatcher(t, b)
	leaving, cancel := context.WithCancel(context.Background())
	gone := submitInOrder(t, leaving, b, []Sequence{seqOf(1, 2)})[0]
	kept := submitInOrder(t, context.Background(), b, []Sequence{seqOf(2, 2)})[0]
	<-r.started
	cancel()
	start := time.Now()
	if got := <-gone; !errors.Is(got.err, context.Canceled) {
		t.Errorf("departed Submit = %v; want context.Canceled", got.err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Submit took %v to return after cancel", d)
	}
	close(release)
	if got := <-kept; got.err != nil {
		t.Errorf("remaining member: %v", got.err)
	}
	if batchErr != nil {
		t.Errorf("batch context ended with %v when one member left", batchErr)
	}
}

func TestCloseFinishesQueuedWork(t *testing.T) {
	clock := newFakeClock()
	r := &fakeRunner{}
	b := New(Config{MaxDelay: time.Hour, HoldWhenIdle: true}, r, WithClock(clock))
	outs := submitInOrder(t, context.Background(), b, []Sequence{seqOf(1, 2), seqOf(2, 3)})
	closeBatcher(t, b)
	for _, ch := range outs {
		if got := <-ch; got.err != nil {
			t.Errorf("queued request after Close: %v", got.err)
		}
	}
	if _, err := b.Submit(context.Background(), seqOf(3, 2)); !errors.Is(err, ErrClosed) || adapters.KindOf(err) != adapters.KindUnavailable {
		t.Errorf("Submit after Close = %v; want ErrClosed", err)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Errorf("second Close() = %v", err)
	}
}

func TestCloseGivesUpWhenItsContextEnds(t *testing.T) {
	cfg := Config{MaxBatchSize: 1, MaxDelay: time.Hour, HoldWhenIdle: true}
	b, _, _, _, first := blockedBatcher(t, cfg) // never released
	queued := submitInOrder(t, context.Background(), b, []Sequence{seqOf(2, 2)})[0]
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := b.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close() = %v; want context.DeadlineExceeded", err)
	}
	if got := <-first; adapters.KindOf(got.err) != adapters.KindTimeout {
		t.Errorf("running batch after abort: %v; want a timeout", got.err)
	}
	if got := <-queued; !errors.Is(got.err, ErrClosed) {
		t.Errorf("queued request after abort: %v; want ErrClosed", got.err)
	}
}

// TestConcurrentSubmitters hammers the batcher from many goroutines with
// random lengths and cancellations (run with -race) and checks every answer
// against its own input.
func TestConcurrentSubmitters(t *testing.T) {
	r := &fakeRunner{}
	cfg := Config{MaxBatchSize: 8, MaxBatchTokens: 256, MaxDelay: 200 * time.Microsecond, MaxQueue: 4096, MaxInFlight: 3}
	b := New(cfg, r)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for i := range 100 {
				n := 1 + rng.IntN(64)
				s := seqOf(int32(g*1000+i), n)
				ctx, cancel := context.WithCancel(context.Background())
				if i%10 == 0 {
					cancel() // some callers leave at once
				}
				res, err := b.Submit(ctx, s)
				cancel()
				switch {
				case i%10 == 0:
					if !errors.Is(err, context.Canceled) {
						errs <- fmt.Errorf("cancelled request: %v", err)
					}
				case err != nil:
					errs <- err
				default:
					want := float32(g*1000+i) + float32(n-1)
					if l := res.Outputs[adapters.Logits].Data; l[0] != want || l[1] != float32(n) {
						errs <- fmt.Errorf("request %d/%d got logits %v; want [%v %d 0]", g, i, l, want, n)
					}
				}
			}
		}()
	}
	wg.Wait()
	closeBatcher(t, b)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, bt := range r.seen() {
		if bt.Rows > cfg.MaxBatchSize || bt.Rows*bt.Len > cfg.MaxBatchTokens {
			t.Errorf("batch [%d, %d] breaks limits", bt.Rows, bt.Len)
		}
	}
	if d := b.QueueDepth(); d != 0 {
		t.Errorf("QueueDepth() = %d after all requests; want 0", d)
	}
}
