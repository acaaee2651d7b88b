package batcher

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infergate/infergate/adapters"
)

// serialRuntime is a fake single-replica CPU runtime: calls run one at a
// time (a second in-flight batch waits for the first), each costing a small
// fixed overhead plus a cost per padded token. With a flat cost per token,
// as measured for the reference model on this machine, batching saves
// little, so a partial batch held for company only adds latency.
type serialRuntime struct {
	mu                 sync.Mutex
	overhead, perToken time.Duration
}

func (s *serialRuntime) Infer(ctx context.Context, b adapters.Batch) (adapters.Outputs, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return simulatedRuntime{overhead: s.overhead, perToken: s.perToken}.Infer(ctx, b)
}

// BenchmarkIdleDispatch compares continuous batching (an idle runtime takes
// what is queued at once) with HoldWhenIdle (the oldest request waits
// MaxDelay for company even on an idle runtime), at 1, 8 and 64 closed-loop
// clients on the mixed-length workload, MaxDelay 2 ms and 2 batches in
// flight as in the gateway. It reports requests/s, p50 and p99 Submit
// latency and rows per batch.
func BenchmarkIdleDispatch(b *testing.B) {
	lens := mixedLengths(4096)
	for _, clients := range []int{1, 8, 64} {
		for _, hold := range []bool{false, true} {
			name := "continuous"
			if hold {
				name = "hold-when-idle"
			}
			b.Run(fmt.Sprintf("%s/c=%d", name, clients), func(b *testing.B) {
				obs := &tokenCounter{}
				rt := &serialRuntime{overhead: 100 * time.Microsecond, perToken: 10 * time.Microsecond}
				cfg := Config{MaxBatchSize: 32, MaxBatchTokens: 4096, MaxDelay: 2 * time.Millisecond,
					MaxQueue: 4096, MaxInFlight: 2, HoldWhenIdle: hold}
				bt := New(cfg, rt, WithObserver(obs))
				lat, elapsed, failed := closedLoop(b.N, clients, func(i int) error {
					_, err := bt.Submit(context.Background(), seqOf(1, lens[i%len(lens)]))
					return err
				})
				b.StopTimer()
				if err := bt.Close(context.Background()); err != nil {
					b.Fatal(err)
				}
				if failed > 0 {
					b.Fatalf("%d requests failed", failed)
				}
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
				b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100])/1e6, "p99-ms")
				b.ReportMetric(float64(obs.rows.Load())/float64(obs.batches.Load()), "rows/batch")
			})
		}
	}
}

// closedLoop runs n calls of do from the given number of clients, each
// sending its next call when the last returns. It returns the sorted
// latencies, the wall time and the number of failed calls.
func closedLoop(n, clients int, do func(i int) error) ([]time.Duration, time.Duration, int64) {
	var (
		next, failed atomic.Int64
		wg           sync.WaitGroup
		mu           sync.Mutex
		lat          = make([]time.Duration, 0, n)
	)
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					break
				}
				t0 := time.Now()
				if err := do(int(i)); err != nil {
					failed.Add(1)
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	return lat, elapsed, failed.Load()
}
