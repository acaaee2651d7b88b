package batcher

import (
	"context"
	"testing"
	"time"

	"github.com/infergate/infergate/adapters"
)

// TestContinuousBatching covers when a batch leaves: at once when no batch
// runs (unless HoldWhenIdle), after at most MaxDelay while one runs and a
// slot is free, and as one batch of everything that arrived while every slot
// was busy once a slot frees. The fake clock only moves when a case says so,
// so a batch that leaves without an advance left without waiting.
func TestContinuousBatching(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		busy bool // a one-row batch holds a slot until released
		// queued requests (lengths); early is advanced before checking that
		// nothing left yet (when wantWait); then advance, and release the
		// busy batch if release.
		queued         []int
		wantWait       bool
		early, advance time.Duration
		release        bool
		wantRows       int
	}{
		{name: "idle runtime: a lone request leaves at once despite MaxDelay",
			cfg: Config{MaxBatchSize: 8, MaxDelay: time.Hour, MaxInFlight: 2}, queued: []int{4}, wantRows: 1},
		{name: "idle runtime with HoldWhenIdle: waits MaxDelay for company",
			cfg:    Config{MaxBatchSize: 8, MaxDelay: 10 * time.Millisecond, HoldWhenIdle: true, MaxInFlight: 2},
			queued: []int{4, 5}, wantWait: true, early: 9 * time.Millisecond, advance: time.Millisecond, wantRows: 2},
		{name: "all slots busy: arrivals form one batch when the slot frees",
			cfg: Config{MaxBatchSize: 8, MaxDelay: time.Hour, MaxInFlight: 1}, busy: true,
			queued: []int{4, 5, 6}, wantWait: true, release: true, wantRows: 3},
		{name: "all slots busy, MaxDelay 0: arrivals still accumulate",
			cfg: Config{MaxBatchSize: 8, MaxInFlight: 1}, busy: true,
			queued: []int{4, 5, 6}, wantWait: true, release: true, wantRows: 3},
		{name: "all slots busy: a freed slot takes at most the row limit",
			cfg: Config{MaxBatchSize: 2, MaxDelay: time.Hour, MaxInFlight: 1}, busy: true,
			queued: []int{4, 5, 6}, wantWait: true, release: true, wantRows: 2},
		{name: "a batch runs and a slot is free: waits at most MaxDelay",
			cfg: Config{MaxBatchSize: 8, MaxDelay: 10 * time.Millisecond, MaxInFlight: 2}, busy: true,
			queued: []int{4, 5}, wantWait: true, early: 9 * time.Millisecond, advance: time.Millisecond, wantRows: 2},
		{name: "a batch runs and a slot is free, MaxDelay 0: leaves at once",
			cfg: Config{MaxBatchSize: 8, MaxInFlight: 2}, busy: true, queued: []int{4}, wantRows: 1},
		{name: "a batch runs and a slot is free: a full batch does not wait",
			cfg: Config{MaxBatchSize: 2, MaxDelay: time.Hour, MaxInFlight: 2}, busy: true, queued: []int{4, 5}, wantRows: 2},
		{name: "a batch runs and a slot is free: a full token budget does not wait",
			cfg: Config{MaxBatchSize: 8, MaxBatchTokens: 20, MaxDelay: time.Hour, MaxInFlight: 2}, busy: true,
			queued: []int{10, 10, 10}, wantRows: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			release := make(chan struct{})
			released := false
			unblock := func() {
				if !released {
					released = true
					close(release)
				}
			}
			r := &fakeRunner{release: release, started: make(chan adapters.Batch, 64)}
			b := New(tt.cfg, r, WithClock(clock))
			defer closeBatcher(t, b)
			defer unblock()

			var outs []<-chan submitted
			if tt.busy {
				outs = submitInOrder(t, context.Background(), b, []Sequence{seqOf(1, 1)})
				if bt := started(t, r); bt.Rows != 1 || bt.InputIDs[0] != 1 {
					t.Fatalf("first batch = %d rows, first id %d; want the busy request alone", bt.Rows, bt.InputIDs[0])
				}
			}
			seqs := make([]Sequence, len(tt.queued))
			for i, n := range tt.queued {
				seqs[i] = seqOf(int32(100+i), n)
			}
			outs = append(outs, submitInOrder(t, context.Background(), b, seqs)...)
			if tt.wantWait {
				clock.Advance(tt.early)
				select {
				case bt := <-r.started:
					t.Fatalf("batch of %d rows left early; want it to wait", bt.Rows)
				case <-time.After(50 * time.Millisecond):
				}
			}
			clock.Advance(tt.advance)
			if tt.release {
				unblock()
			}
			bt := started(t, r)
			if bt.Rows != tt.wantRows || bt.InputIDs[0] != 100 {
				t.Errorf("next batch = %d rows, first id %d; want %d rows led by the oldest queued (100)",
					bt.Rows, bt.InputIDs[0], tt.wantRows)
			}
			unblock()
			for i, ch := range outs {
				if got := <-ch; got.err != nil {
					t.Errorf("request %d: %v", i, got.err)
				}
			}
		})
	}
}

// started waits for the runner's next call; the fake clock stands still, so
// only a batch that leaves without a timer can arrive.
func started(t *testing.T, r *fakeRunner) adapters.Batch {
	t.Helper()
	select {
	case bt := <-r.started:
		return bt
	case <-time.After(5 * time.Second):
		t.Fatal("no batch started")
		return adapters.Batch{}
	}
}
