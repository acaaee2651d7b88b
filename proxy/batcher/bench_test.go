package batcher

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infergate/infergate/adapters"
)

// simulatedRuntime is a fake runtime whose call takes a fixed overhead plus a
// cost per padded token, the shape of a BERT forward pass on CPU. It lets the
// benchmark compare batch policies without a model.
type simulatedRuntime struct {
	overhead, perToken time.Duration
}

func (s simulatedRuntime) Infer(ctx context.Context, b adapters.Batch) (adapters.Outputs, error) {
	t := time.NewTimer(s.overhead + time.Duration(b.Rows*b.Len)*s.perToken)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return adapters.Outputs{adapters.Logits: {Shape: []int64{int64(b.Rows), 2}, Data: make([]float32, 2*b.Rows)}}, nil
}

// tokenCounter is an Observer summing real and padded tokens.
type tokenCounter struct {
	batches, rows, tokens, padded, busy atomic.Int64
}

func (c *tokenCounter) BatchDone(rows, tokens, padded int, d time.Duration) {
	c.busy.Add(int64(d))
	c.batches.Add(1)
	c.rows.Add(int64(rows))
	c.tokens.Add(int64(tokens))
	c.padded.Add(int64(padded))
}

// mixedLengths is the benchmark workload: mostly short texts, some medium,
// a few long ones up to a 128-token model limit.
func mixedLengths(n int) []int {
	rng := rand.New(rand.NewPCG(7, 7))
	lens := make([]int, n)
	for i := range lens {
		switch p := rng.IntN(100); {
		case p < 70:
			lens[i] = 8 + rng.IntN(17) // 8..24
		case p < 90:
			lens[i] = 32 + rng.IntN(33) // 32..64
		default:
			lens[i] = 96 + rng.IntN(33) // 96..128
		}
	}
	return lens
}

// BenchmarkGrouping compares length grouping with plain FIFO token-budget
// batching on the same mixed workload, driven by 256 closed-loop clients.
// It reports requests/s, the padding ratio (share of padded tokens that are
// padding), the mean rows and runtime per batch, and the p99 latency of
// Submit (a starved long text would show there).
func BenchmarkGrouping(b *testing.B) {
	lens := mixedLengths(4096)
	for _, grouping := range []Grouping{ByLength, FIFO} {
		b.Run(grouping.String(), func(b *testing.B) {
			obs := &tokenCounter{}
			rt := simulatedRuntime{overhead: 2 * time.Millisecond, perToken: time.Microsecond}
			cfg := Config{MaxBatchSize: 32, MaxBatchTokens: 4096, MaxDelay: 2 * time.Millisecond,
				MaxQueue: 4096, MaxInFlight: 2, Grouping: grouping}
			bt := New(cfg, rt, WithObserver(obs))
			var (
				next, failed atomic.Int64
				wg           sync.WaitGroup
				mu           sync.Mutex
				latencies    []time.Duration
			)
			const clients = 256
			b.ResetTimer()
			start := time.Now()
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var mine []time.Duration
					defer func() {
						mu.Lock()
						latencies = append(latencies, mine...)
						mu.Unlock()
					}()
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						t0 := time.Now()
						if _, err := bt.Submit(context.Background(), seqOf(1, lens[i%int64(len(lens))])); err != nil {
							failed.Add(1)
						}
						mine = append(mine, time.Since(t0))
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if err := bt.Close(context.Background()); err != nil {
				b.Fatal(err)
			}
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d requests failed", n)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
			b.ReportMetric(1-float64(obs.tokens.Load())/float64(obs.padded.Load()), "padding")
			b.ReportMetric(float64(obs.rows.Load())/float64(obs.batches.Load()), "rows/batch")
			b.ReportMetric(float64(obs.busy.Load())/float64(obs.batches.Load())/1e6, "ms/batch")
			slices.Sort(latencies)
			b.ReportMetric(float64(latencies[len(latencies)*99/100])/1e6, "p99-ms")
		})
	}
}

// instantRuntime answers at once: what remains is the batcher's own cost.
type instantRuntime struct{}

func (instantRuntime) Infer(_ context.Context, b adapters.Batch) (adapters.Outputs, error) {
	return adapters.Outputs{adapters.Logits: {Shape: []int64{int64(b.Rows), 2}, Data: make([]float32, 2*b.Rows)}}, nil
}

// BenchmarkSubmitOverhead measures the batcher's cost per request (queueing,
// batch forming, padding, splitting, replies) with a runtime that costs
// nothing, from many concurrent callers.
func BenchmarkSubmitOverhead(b *testing.B) {
	lens := mixedLengths(4096)
	for _, grouping := range []Grouping{ByLength, FIFO} {
		b.Run(grouping.String(), func(b *testing.B) {
			obs := &tokenCounter{}
			bt := New(Config{MaxBatchSize: 32, MaxBatchTokens: 4096, MaxQueue: 4096, Grouping: grouping}, instantRuntime{}, WithObserver(obs))
			var next atomic.Int64
			b.SetParallelism(64)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1)
					if _, err := bt.Submit(context.Background(), seqOf(1, lens[i%int64(len(lens))])); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			if err := bt.Close(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(obs.rows.Load())/float64(obs.batches.Load()), "rows/batch")
		})
	}
}
